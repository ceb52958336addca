"""Cluster upgrade through the /clusters API (both action paths), real
policy and SQLite; the taskmanager is a fake."""

import pytest

from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from trove_mr.common import context as trove_context
from trove_mr.db.main import api as db_api

BASE = '/v1.0/p1/clusters'
PATHS = ('%s/%s', '%s/%s/action')


@pytest.fixture
def upgrades(taskmanager, databases):
    def upgrade_cluster(context, *args, **kwargs):
        taskmanager._record('upgrade_cluster', context, *args, **kwargs)
    taskmanager.upgrade_cluster = upgrade_cluster
    db_api.datastore_version_create(
        trove_context.get_admin_context(), 'redis', {
            'name': '7.2', 'manager': 'redis',
            'image_name': 'trove-mr-redis', 'active': True})
    return taskmanager


def _ready_cluster(api):
    members = [{'flavorRef': '7', 'volume': {'size': 1}},
               {'flavorRef': '7', 'volume': {'size': 1},
                'region': 'RegionTwo'}]
    resp = call(api, BASE, 'POST', {'cluster': {
        'name': 'c1', 'datastore': {'type': 'redis', 'version': '7.0'},
        'instances': members}})
    assert resp.status_int == 202, resp.text
    cluster_id = resp.json['cluster']['id']
    ctx = trove_context.get_admin_context()
    for member in db_api.instances_by_cluster(ctx, cluster_id):
        db_api.instance_update(ctx, member.id, {'task_status': 'NONE'})
        db_api.instance_status_update(ctx, member.id, 'RUNNING', 2e9, 0.1)
    db_api.cluster_update(ctx, cluster_id, {'task_id': 1,
                                            'task_name': 'NONE'})
    return cluster_id


@pytest.mark.parametrize('path', PATHS)
def test_cluster_upgrade_locks_and_casts_a_decision_per_member(
        api, upgrades, path):
    cluster_id = _ready_cluster(api)
    url = path % (BASE, cluster_id)
    body = {'upgrade': {'datastore_version': '7.2'}}
    assert call(api, url, 'POST', body, headers=OTHER).status_int == 404
    resp = call(api, url, 'POST', body)
    assert resp.status_int == 202, resp.text
    shown = call(api, '%s/%s' % (BASE, cluster_id)).json['cluster']
    assert shown['task']['name'] == 'UPGRADING_CLUSTER'
    name, _ctx, args, _kwargs = upgrades.casts[-1]
    assert name == 'upgrade_cluster'
    assert args[0] == cluster_id
    placements = args[1]['placements']
    assert sorted(p['region_name'] for p in placements.values()) == [
        'RegionOne', 'RegionTwo']
    assert args[1]['version_name'] == '7.2'
    # Busy now: a second upgrade is a 409.
    assert call(api, url, 'POST', body).status_int == 409


def test_cluster_upgrade_refusals(api, upgrades):
    cluster_id = _ready_cluster(api)
    url = '%s/%s' % (BASE, cluster_id)
    same = call(api, url, 'POST', {'upgrade': {'datastore_version': '7.0'}})
    assert same.status_int == 400
    assert 'already' in same.json['badRequest']['message']
    unknown = call(api, url, 'POST',
                   {'upgrade': {'datastore_version': '8.8'}})
    assert unknown.status_int == 404
    bad = call(api, url, 'POST', {'upgrade': {'version': '7.2'}})
    assert bad.status_int == 400
    shown = call(api, url).json['cluster']
    assert shown['task']['name'] == 'NONE'
    assert [c[0] for c in upgrades.casts] == ['create_cluster']
