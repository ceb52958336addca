"""Rebuilding the members a failover lost, through the API: the checks
(400/404/409) and the job asked of the taskmanager; the real policy
engine and SQLite databases, a taskmanager fake that records the
calls. And the flow's own pieces that need no cloud."""

import datetime

import pytest
from oslo_serialization import jsonutils

from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.cluster.conftest import FakeClusterTaskManagerAPI
from trove_mr.api import hooks
from trove_mr.cluster.redis.flows import standby_rebuild
from trove_mr.common import context as trove_context
from trove_mr.db import rows
from trove_mr.db.main import api as db_api

BASE = '/v1.0/p1/clusters'


class FakeRebuildTaskManagerAPI(FakeClusterTaskManagerAPI):

    def rebuild_lost_members(self, context, *args, **kwargs):
        self._record('rebuild_lost_members', context, *args, **kwargs)


@pytest.fixture
def taskmanager(monkeypatch):
    fake = FakeRebuildTaskManagerAPI()
    monkeypatch.setattr(hooks.RPCHook, '_taskmanager_api', fake)
    return fake


@pytest.fixture(params=['%s/%s/action', '%s/%s'])
def action_url(request):
    return lambda cluster_id: request.param % (BASE, cluster_id)


def _ctx():
    return trove_context.get_admin_context()


def _standby_cluster(api, heard_ago=0):
    """A settled 2-shard cluster, masters in RegionOne, standbys in
    RegionTwo, every guest last heard ``heard_ago`` seconds ago."""
    member = {'flavorRef': '7', 'volume': {'size': 1}}
    resp = call(api, BASE, 'POST', {'cluster': {
        'name': 'c1', 'datastore': {'type': 'redis', 'version': '7.0'},
        'instances': [dict(member), dict(member)],
        'standby_region': 'RegionTwo'}})
    assert resp.status_int == 202, resp.text
    cluster_id = resp.json['cluster']['id']
    ctx = _ctx()
    for m in db_api.instances_by_cluster(ctx, cluster_id):
        db_api.instance_update(ctx, m.id, {'task_status': 'NONE'})
        db_api.instance_status_update(
            ctx, m.id, 'RUNNING',
            rows.now() - datetime.timedelta(seconds=heard_ago))
    db_api.cluster_update(ctx, cluster_id, {'task_id': 1,
                                            'task_name': 'NONE'})
    return cluster_id


def _fail_over(cluster_id):
    """The record a failover to RegionTwo leaves: RegionOne's members
    LOST, the standbys masters."""
    ctx = _ctx()
    members = db_api.instances_by_cluster(ctx, cluster_id)
    pairs = [[m.related_to, m.id] for m in members
             if m.region_name == 'RegionTwo']
    lost = sorted(m.id for m in members if m.region_name == 'RegionOne')
    db_api.cluster_swap_roles(
        ctx, cluster_id, pairs,
        {'primary_region': 'RegionTwo', 'standby_region': 'RegionOne',
         'failover_state': jsonutils.dumps({
             'kind': 'failover', 'from_region': 'RegionOne',
             'primary_region': 'RegionTwo', 'lost_members': lost})},
        lost_ids=lost, lost_status='LOST')
    return lost, sorted(s for _m, s in pairs)


def test_rebuild_lost_builds_a_replica_of_each_new_master(
        api, taskmanager, action_url):
    cluster_id = _standby_cluster(api)
    lost, masters = _fail_over(cluster_id)
    # The lost region, back (RegionThree's image differs: refused).
    resp = call(api, action_url(cluster_id), 'POST',
                {'rebuild_lost': {'region': 'RegionOne'}})
    assert resp.status_int == 202, resp.text
    new = resp.json['cluster']['instances']
    assert sorted(m['related_to'] for m in new) == masters
    assert {m['region'] for m in new} == {'RegionOne'}
    # Built from RegionOne's own flavor, named after the masters' one.
    assert {m['flavor']['id'] for m in new} == {'7'}
    assert {m['type'] for m in new} == {'slave'}
    name, _ctx_, args, _kw = taskmanager.casts[-1]
    assert name == 'rebuild_lost_members'
    got_id, placements, lost_ids, region = args
    assert (got_id, sorted(lost_ids), region) == (cluster_id, lost,
                                                  'RegionOne')
    assert sorted(placements) == sorted(m['id'] for m in new)
    shown = call(api, '%s/%s' % (BASE, cluster_id)).json['cluster']
    assert shown['task']['name'] == 'GROWING_CLUSTER'
    # The cluster is busy now: a second request is a 409.
    again = call(api, action_url(cluster_id), 'POST',
                 {'rebuild_lost': {'region': 'RegionOne'}})
    assert again.status_int == 409, again.text


@pytest.mark.parametrize('region, words', [
    ('RegionTwo', "holds the cluster's masters"),
    ('RegionNine', "Region 'RegionNine' is not known")])
def test_a_region_of_masters_or_unknown_is_a_400(api, taskmanager, region,
                                                 words):
    cluster_id = _standby_cluster(api)
    _fail_over(cluster_id)
    resp = call(api, '%s/%s/action' % (BASE, cluster_id), 'POST',
                {'rebuild_lost': {'region': region}})
    assert resp.status_int == 400, resp.text
    message = resp.json['badRequest']['message']
    assert "'rebuild_lost.region'" in message and words in message
    assert taskmanager.casts[-1][0] == 'create_cluster'


def test_no_lost_member_is_a_409(api, taskmanager, action_url):
    cluster_id = _standby_cluster(api)
    resp = call(api, action_url(cluster_id), 'POST',
                {'rebuild_lost': {'region': 'RegionThree'}})
    assert resp.status_int == 409, resp.text
    assert 'no member lost in a failover' in resp.text
    # Nor once the lost members came back as replicas on their own.
    _fail_over(cluster_id)
    ctx = _ctx()
    for m in db_api.instances_by_cluster(ctx, cluster_id):
        db_api.instance_status_update(ctx, m.id, 'RUNNING', rows.now())
    resp = call(api, action_url(cluster_id), 'POST',
                {'rebuild_lost': {'region': 'RegionThree'}})
    assert resp.status_int == 409, resp.text
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']


def test_surviving_guests_that_do_not_report_are_a_409(api, taskmanager):
    # As after a takeover: the survivors report to the lost cell's bus,
    # their last heartbeat here is old.
    cluster_id = _standby_cluster(api, heard_ago=600)
    _lost, masters = _fail_over(cluster_id)
    resp = call(api, '%s/%s/action' % (BASE, cluster_id), 'POST',
                {'rebuild_lost': {'region': 'RegionThree'}})
    assert resp.status_int == 409, resp.text
    assert masters[0] in resp.text and masters[1] in resp.text
    assert 'do not report' in resp.text
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']


def test_another_tenants_cluster_is_a_404(api, taskmanager):
    cluster_id = _standby_cluster(api)
    _fail_over(cluster_id)
    for path in ('/v1.0/p2/clusters/%s/action', '/v1.0/p2/clusters/%s'):
        resp = call(api, path % cluster_id, 'POST',
                    {'rebuild_lost': {'region': 'RegionThree'}},
                    headers=OTHER)
        assert resp.status_int == 404, (path, resp.text)
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']


@pytest.mark.parametrize('body', [
    {'rebuild_lost': {}}, {'rebuild_lost': {'region': ''}},
    {'rebuild_lost': {'region': 'RegionThree', 'now': True}},
    {'rebuild_lost': {'region': 'RegionThree'}, 'drain': True}])
def test_malformed_rebuild_is_a_400(api, taskmanager, body):
    cluster_id = _standby_cluster(api)
    _fail_over(cluster_id)
    resp = call(api, '%s/%s/action' % (BASE, cluster_id), 'POST', body)
    assert resp.status_int == 400, resp.text


def test_lost_node_ids_are_those_no_survivor_calls_its_own():
    views = {
        'a': [{'id': 'n-a', 'myself': True}, {'id': 'n-b', 'myself': False},
              {'id': 'n-x', 'myself': False}],
        'b': [{'id': 'n-b', 'myself': True}, {'id': 'n-a', 'myself': False},
              {'id': 'n-y', 'myself': False}, {'id': 'n-x'}],
    }
    assert standby_rebuild.lost_node_ids(views) == ['n-x', 'n-y']


def test_record_rebuild_moves_the_standby_region_and_keeps_history(
        api, taskmanager):
    cluster_id = _standby_cluster(api)
    lost, _masters = _fail_over(cluster_id)
    for _ in range(2):  # safe to repeat
        standby_rebuild.RecordRebuild().execute(
            _ctx(), cluster_id, lost, ['n1', 'n2'], 'RegionThree',
            '2026-01-01T00:00:00')
    shown = call(api, '%s/%s' % (BASE, cluster_id)).json['cluster']
    assert shown['standby_region'] == 'RegionThree'
    assert shown['primary_region'] == 'RegionTwo'
    record = shown['failover']
    assert record['kind'] == 'failover'
    assert record['from_region'] == 'RegionOne'
    assert record['lost_members'] == []
    assert record['rebuilt_in'] == 'RegionThree'
    assert record['rebuilt']['removed_members'] == lost
    assert record['rebuilt']['new_members'] == ['n1', 'n2']


def test_lost_members_are_forgotten_when_their_region_does_not_answer(
        api, taskmanager, monkeypatch):
    cluster_id = _standby_cluster(api)
    lost, _masters = _fail_over(cluster_id)
    deleted = []

    def run(context, instance_id):
        # The first lost member's region answers, the second's does not.
        if instance_id == lost[0]:
            deleted.append(instance_id)
            if instance_id in {m.id for m in db_api.instances_by_cluster(
                    context, cluster_id)}:
                db_api.instance_soft_delete(context, instance_id)
            return True
        return False

    monkeypatch.setattr(standby_rebuild.delete_instance, 'run', run)
    for _ in range(2):  # safe to repeat
        standby_rebuild.DeleteLostMembers().execute(_ctx(), cluster_id,
                                                    lost)
    left = {m.id for m in db_api.instances_by_cluster(_ctx(), cluster_id)}
    assert not left & set(lost)
    assert len(left) == 2
    assert deleted == [lost[0], lost[0]]


class _NodesGuest:

    def __init__(self, instance_id, views, calls):
        self.instance_id = instance_id
        self.views = views
        self.calls = calls

    def cluster_nodes(self):
        return self.views[self.instance_id]

    def remove_nodes(self, node_ids):
        self.calls.append((self.instance_id, tuple(node_ids)))
        return list(node_ids)


def test_survivors_forget_every_node_that_is_none_of_theirs(
        api, taskmanager, monkeypatch):
    cluster_id = _standby_cluster(api)
    lost, masters = _fail_over(cluster_id)
    for instance_id in lost:
        db_api.instance_soft_delete(_ctx(), instance_id)
    views = {m: [{'id': 'n-' + m, 'myself': True},
                 {'id': 'n-' + masters[1 - i], 'myself': False},
                 {'id': 'gone-1', 'myself': False},
                 {'id': 'gone-2', 'myself': False}]
             for i, m in enumerate(masters)}
    calls = []
    monkeypatch.setattr(
        standby_rebuild.cluster_flows, 'guest_clients',
        lambda context, ids: {i: _NodesGuest(i, views, calls) for i in ids})
    forgotten = standby_rebuild.ForgetLostNodes().execute(
        _ctx(), cluster_id, lost)
    assert forgotten == ['gone-1', 'gone-2']
    assert sorted(calls) == [(m, ('gone-1', 'gone-2')) for m in masters]
