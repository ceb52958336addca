"""Replica creates as python-troveclient sends them (no flavor, no
volume), all or nothing, and the master delete refused."""

from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
BASE = '/v1.0/p1/instances'


def _usage(project='p1'):
    return api_db.quota_usage_get_all(
        trove_context.get_admin_context(), project)


def _master(api, **overrides):
    answer = call(api, BASE, 'POST', create_body(**overrides))
    assert answer.status_int == 202, answer.text
    master_id = answer.json['instance']['id']
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, master_id, {'task_status': 'NONE'})
    db_api.instance_status_update(ctx, master_id, 'RUNNING', 2e9, 0.5)
    return master_id


def _replica_body(master_id, **extra):
    # What python-troveclient 8.11 sends for
    # ``instance create NAME --replica-of MASTER``: no flavor, no volume.
    body = {'name': 'rep', 'replica_of': master_id}
    body.update(extra)
    return {'instance': body}


def test_replica_without_flavor_takes_the_masters_flavor_and_volume(
        api, taskmanager):
    master_id = _master(api, volume={'size': 3})
    taskmanager.casts.clear()
    answer = call(api, BASE, 'POST', _replica_body(master_id))
    assert answer.status_int == 202, answer.text
    view = answer.json['instance']
    assert view['flavor']['id'] == '7'
    assert view['volume']['size'] == 3
    assert view['region'] == 'RegionOne'
    (cast,) = taskmanager.casts
    assert cast[0] == 'create_replicas'
    assert cast[2][0] == [view['id']]
    row = db_api.instance_get(trove_context.get_admin_context(), view['id'])
    assert row.replica_of_id == master_id


def test_cross_region_replica_gets_the_flavor_of_the_same_name(
        api, taskmanager):
    # Master in RegionTwo (its m1.redis is id 17); replica in RegionOne
    # (m1.redis is id 7 there).
    master_id = _master(api, region='RegionTwo')
    ctx = trove_context.get_admin_context()
    assert db_api.instance_get(ctx, master_id).flavor_id == '17'
    answer = call(api, BASE, 'POST', _replica_body(
        master_id, region_name='RegionOne'))
    assert answer.status_int == 202, answer.text
    view = answer.json['instance']
    assert view['region'] == 'RegionOne'
    assert view['flavor']['id'] == '7'
    placement = taskmanager.casts[-1][2][1]
    assert placement['region_name'] == 'RegionOne'
    assert placement['flavor_name'] == 'm1.redis'


def test_create_without_flavor_is_still_a_400_when_not_a_replica(api):
    answer = call(api, BASE, 'POST', {'instance': {
        'name': 'x', 'volume': {'size': 1}}})
    assert answer.status_int == 400
    assert "'instance.flavorRef'" in answer.json['badRequest']['message']


def test_replica_count_reserves_all_or_refuses_with_nothing_left(
        api, taskmanager):
    master_id = _master(api)
    CONF.set_override('max_instances_per_tenant', 3)
    try:
        taskmanager.casts.clear()
        answer = call(api, BASE, 'POST', _replica_body(
            master_id, replica_count=3))
        assert answer.status_int == 413, answer.text
        assert taskmanager.casts == []
        assert _usage() == {'instances': 1, 'volumes': 1}
        answer = call(api, BASE, 'POST', _replica_body(
            master_id, replica_count=2))
        assert answer.status_int == 202, answer.text
    finally:
        CONF.clear_override('max_instances_per_tenant')
    (cast,) = taskmanager.casts
    assert len(cast[2][0]) == 2
    assert _usage() == {'instances': 3, 'volumes': 3}


def test_replica_cast_failure_leaves_no_replica_and_no_quota(
        api, taskmanager):
    master_id = _master(api)
    taskmanager.error = RuntimeError('bus down')
    answer = call(api, BASE, 'POST', _replica_body(master_id,
                                                   replica_count=2))
    assert answer.status_int == 503
    taskmanager.error = None
    listed = call(api, BASE).json['instances']
    assert [i['id'] for i in listed] == [master_id]
    assert _usage() == {'instances': 1, 'volumes': 1}


def test_deleting_a_master_with_replicas_is_a_400_saying_what_to_do(
        api, taskmanager):
    master_id = _master(api)
    answer = call(api, BASE, 'POST', _replica_body(master_id))
    replica_id = answer.json['instance']['id']
    taskmanager.casts.clear()
    answer = call(api, '%s/%s' % (BASE, master_id), 'DELETE')
    assert answer.status_int == 400
    message = answer.json['badRequest']['message']
    assert 'promote' in message and 'detach' in message
    assert replica_id in message
    assert taskmanager.casts == []
    ctx = trove_context.get_admin_context()
    assert db_api.instance_get(ctx, master_id).task_status == 'NONE'
    # Detached (replica_of_id cleared), the master can go.
    db_api.instance_update(ctx, replica_id, {'replica_of_id': None})
    answer = call(api, '%s/%s' % (BASE, master_id), 'DELETE')
    assert answer.status_int == 202
