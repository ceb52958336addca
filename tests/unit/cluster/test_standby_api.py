"""A cluster's standby region through the API: create with one, add one,
switch over, fail over; the real policy engine and SQLite databases, a
taskmanager fake that records the casts."""

import jsonschema
import pytest

from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.cluster.conftest import FakeClusterTaskManagerAPI
from trove_mr.api import hooks
from trove_mr.api.schemas import clusters as schemas
from trove_mr.common import context as trove_context
from trove_mr.db.main import api as db_api

BASE = '/v1.0/p1/clusters'


class FakeStandbyTaskManagerAPI(FakeClusterTaskManagerAPI):

    def switchover_cluster(self, context, *args, **kwargs):
        self._record('switchover_cluster', context, *args, **kwargs)

    def failover_cluster(self, context, *args, **kwargs):
        self._record('failover_cluster', context, *args, **kwargs)


@pytest.fixture
def taskmanager(monkeypatch):
    fake = FakeStandbyTaskManagerAPI()
    monkeypatch.setattr(hooks.RPCHook, '_taskmanager_api', fake)
    return fake


@pytest.fixture(params=['%s/%s/action', '%s/%s'])
def action_url(request):
    return lambda cluster_id: request.param % (BASE, cluster_id)


def _create(api, **extra):
    member = {'flavorRef': '7', 'volume': {'size': 1}}
    return call(api, BASE, 'POST', {'cluster': dict(
        {'name': 'c1', 'datastore': {'type': 'redis', 'version': '7.0'},
         'instances': [dict(member), dict(member)]}, **extra)})


def _settle(cluster_id):
    ctx = trove_context.get_admin_context()
    for member in db_api.instances_by_cluster(ctx, cluster_id):
        db_api.instance_update(ctx, member.id, {'task_status': 'NONE'})
    db_api.cluster_update(ctx, cluster_id, {'task_id': 1,
                                            'task_name': 'NONE'})


def test_create_builds_a_standby_of_each_master_in_that_region(
        api, taskmanager):
    resp = _create(api, standby_region='RegionTwo')
    assert resp.status_int == 202, resp.text
    jsonschema.validate(resp.json, schemas.SHOW_RESPONSE)
    cluster = resp.json['cluster']
    members = {m['name']: m for m in cluster['instances']}
    assert sorted(members) == ['c1-member-1', 'c1-member-2',
                               'c1-standby-1', 'c1-standby-2']
    for number in (1, 2):
        standby = members['c1-standby-%d' % number]
        assert standby['region'] == 'RegionTwo'
        assert standby['type'] == 'slave'
        assert standby['related_to'] == members['c1-member-%d'
                                                % number]['id']
    assert cluster['primary_region'] == 'RegionOne'
    assert cluster['standby_region'] == 'RegionTwo'
    assert [(s['master'], s['standby']) for s in cluster['shards']] == [
        (members['c1-member-%d' % n]['id'],
         members['c1-standby-%d' % n]['id']) for n in (1, 2)]
    assert all(s['replication_lag'] == {'seconds': None, 'bytes': None}
               for s in cluster['shards'])
    (name, _ctx, args, _kw), = taskmanager.casts
    # The standbys are built from RegionTwo's own flavor.
    placements = args[1]
    assert sorted(p['flavor_id'] for p in placements.values()) == \
        ['17', '17', '7', '7']


@pytest.mark.parametrize('region, words', [
    ('RegionOne', 'holds the cluster\'s masters'),
    ('RegionNine', "Region 'RegionNine' is not known")])
def test_create_refuses_a_standby_region_naming_it(api, taskmanager,
                                                   region, words):
    resp = _create(api, standby_region=region)
    assert resp.status_int == 400, resp.text
    message = resp.json['badRequest']['message']
    assert "'cluster.standby_region'" in message and words in message
    assert taskmanager.casts == []


def test_add_standby_grows_a_replica_of_each_master(api, taskmanager,
                                                    action_url):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    resp = call(api, action_url(cluster['id']), 'POST',
                {'add_standby': {'region': 'RegionTwo'}})
    assert resp.status_int == 202, resp.text
    new = resp.json['cluster']['instances']
    masters = {m['id'] for m in cluster['instances']}
    assert {m['related_to'] for m in new} == masters
    assert {m['region'] for m in new} == {'RegionTwo'}
    assert taskmanager.casts[-1][0] == 'grow_cluster'
    shown = call(api, '%s/%s' % (BASE, cluster['id'])).json['cluster']
    assert shown['task']['name'] == 'GROWING_CLUSTER'
    assert shown['standby_region'] == 'RegionTwo'
    _settle(cluster['id'])
    again = call(api, action_url(cluster['id']), 'POST',
                 {'add_standby': {'region': 'RegionTwo'}})
    assert again.status_int == 400
    assert 'already has the standby region' in again.text


def test_switchover_and_failover_cast_the_shards(api, taskmanager,
                                                 action_url):
    cluster = _create(api, standby_region='RegionTwo').json['cluster']
    _settle(cluster['id'])
    pairs = [[s['master'], s['standby']] for s in call(
        api, '%s/%s' % (BASE, cluster['id'])).json['cluster']['shards']]
    resp = call(api, action_url(cluster['id']), 'POST', {'switchover': {}})
    assert resp.status_int == 202, resp.text
    name, _ctx, args, _kw = taskmanager.casts[-1]
    assert (name, args) == ('switchover_cluster', (cluster['id'], pairs))
    busy = call(api, action_url(cluster['id']), 'POST', {'switchover': {}})
    assert busy.status_int == 409
    # A failover is accepted under a task the lost region left behind.
    resp = call(api, action_url(cluster['id']), 'POST',
                {'failover': {'region': 'RegionTwo'}})
    assert resp.status_int == 202, resp.text
    name, _ctx, args, _kw = taskmanager.casts[-1]
    assert (name, args) == ('failover_cluster',
                            (cluster['id'], pairs, 'RegionTwo'))
    shown = call(api, '%s/%s' % (BASE, cluster['id'])).json['cluster']
    assert shown['task']['name'] == 'FAILING_OVER'


def test_failover_names_the_standby_region_only(api, taskmanager,
                                                action_url):
    cluster = _create(api, standby_region='RegionTwo').json['cluster']
    _settle(cluster['id'])
    resp = call(api, action_url(cluster['id']), 'POST',
                {'failover': {'region': 'RegionOne'}})
    assert resp.status_int == 400
    assert "'failover.region'" in resp.json['badRequest']['message']


def test_no_standby_region_is_a_400(api, taskmanager, action_url):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    for body in ({'switchover': {}}, {'failover': {'region': 'RegionTwo'}}):
        resp = call(api, action_url(cluster['id']), 'POST', body)
        assert resp.status_int == 400
        assert 'has no standby region' in resp.text
    assert taskmanager.casts[-1][0] == 'create_cluster'


def test_another_tenants_cluster_is_404_for_every_standby_action(
        api, taskmanager):
    cluster = _create(api, standby_region='RegionTwo').json['cluster']
    _settle(cluster['id'])
    for path in ('/v1.0/p2/clusters/%s/action', '/v1.0/p2/clusters/%s'):
        for body in ({'switchover': {}},
                     {'failover': {'region': 'RegionTwo'}},
                     {'add_standby': {'region': 'RegionThree'}}):
            resp = call(api, path % cluster['id'], 'POST', body,
                        headers=OTHER)
            assert resp.status_int == 404, (path, body, resp.text)
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']


@pytest.mark.parametrize('body', [
    {'switchover': {'now': True}}, {'failover': {}},
    {'add_standby': {'region': ''}}, {'switchover': {}, 'drain': True}])
def test_malformed_standby_actions_are_400(api, taskmanager, body):
    cluster = _create(api, standby_region='RegionTwo').json['cluster']
    resp = call(api, '%s/%s/action' % (BASE, cluster['id']), 'POST', body)
    assert resp.status_int == 400, resp.text


def test_failover_policy_is_manual_until_turned_on(api, taskmanager,
                                                   action_url):
    refused = _create(api, auto_failover=True)
    assert refused.status_int == 400
    assert "'cluster.auto_failover'" in refused.text
    cluster = _create(api, standby_region='RegionTwo').json['cluster']
    assert cluster['failover_policy'] == 'manual'
    resp = call(api, action_url(cluster['id']), 'POST',
                {'failover_policy': {'automatic': True}})
    assert resp.status_int == 202, resp.text
    shown = call(api, '%s/%s' % (BASE, cluster['id'])).json['cluster']
    assert shown['failover_policy'] == 'automatic'
    # No job: the policy is a setting, read by the taskmanagers' watch.
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']
    other = call(api, '/v1.0/p2/clusters/%s/action' % cluster['id'], 'POST',
                 {'failover_policy': {'automatic': False}}, headers=OTHER)
    assert other.status_int == 404


def test_a_second_failover_while_one_runs_is_a_409(api, taskmanager):
    cluster = _create(api, standby_region='RegionTwo').json['cluster']
    _settle(cluster['id'])
    url = '%s/%s/action' % (BASE, cluster['id'])
    body = {'failover': {'region': 'RegionTwo'}}
    assert call(api, url, 'POST', body).status_int == 202
    again = call(api, url, 'POST', body)
    assert again.status_int == 409
    assert 'FAILING_OVER' in again.text
    assert [c[0] for c in taskmanager.casts].count('failover_cluster') == 1


def test_masters_in_several_regions_cannot_swap_regions(api, taskmanager):
    cluster = _create(api, standby_region='RegionTwo').json['cluster']
    _settle(cluster['id'])
    # As a grow of a master in another region leaves it.
    db_api.cluster_update(trove_context.get_admin_context(), cluster['id'],
                          {'primary_region': None})
    for body in ({'switchover': {}}, {'failover': {'region': 'RegionTwo'}}):
        answer = call(api, '%s/%s/action' % (BASE, cluster['id']), 'POST',
                      body)
        assert answer.status_int == 409
        assert 'several regions' in answer.text
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']
