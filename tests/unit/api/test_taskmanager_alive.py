"""Instance, replica and backup actions are refused with 503 naming the
region, and change nothing, when no taskmanager of the owning cell has a
fresh heartbeat; they are accepted again once one has."""

import jsonschema
import oslo_messaging as messaging
import pytest

from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from tests.unit.api.conftest import snapshot
from tests.unit.api.conftest import stale_taskmanager
from tests.unit.api.conftest import taskmanager_heartbeat
from trove_mr.api.schemas import instances as schemas
from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import context as trove_context
from trove_mr.db.main import api as db_api

BASE = '/v1.0/p1'
REFUSED = ('No taskmanager of region RegionOne is alive; nothing was '
           'changed. Try again later.')


def _admin():
    return trove_context.get_admin_context()


def _create(api, **overrides):
    answer = call(api, BASE + '/instances', 'POST', create_body(**overrides))
    assert answer.status_int == 202, answer.text
    jsonschema.validate(answer.json, schemas.SHOW_RESPONSE)
    return answer.json['instance']['id']


def _activate(instance_id, service='RUNNING', sent_at=2e9):
    db_api.instance_update(_admin(), instance_id, {'task_status': 'NONE'})
    db_api.instance_status_update(_admin(), instance_id, service, sent_at,
                                  0.5)


def _running(api):
    instance_id = _create(api)
    _activate(instance_id)
    return instance_id


def _replica(api):
    master = _running(api)
    replica = _create(api, name='rep', replica_of=master)
    _activate(replica)
    return master, replica


def _completed_backup(api):
    instance_id = _running(api)
    backup = db_api.backup_create(_admin(), {
        'name': 'b1', 'tenant_id': 'p1', 'instance_id': instance_id,
        'region_name': 'RegionOne', 'state': 'COMPLETED'})
    return backup.id


@pytest.fixture
def swift(monkeypatch):
    monkeypatch.setattr(clients, 'object_store_url',
                        lambda context, region_name=None:
                        'http://swift.test/v1/AUTH_p1')


def _action(body):
    return lambda api: ('/instances/%s/action' % _running(api), 'POST',
                        body)


def _on_replica(body):
    return lambda api: ('/instances/%s/action' % _replica(api)[1], 'POST',
                        body)


def _eject(api):
    master, _replica_id = _replica(api)
    _activate(master, service='SHUTDOWN', sent_at=3e9)
    return ('/instances/%s/action' % master, 'POST',
            {'eject_replica_source': {}})


# (what is asked, how it is asked on a fresh setup, the cast it makes)
ACTIONS = [
    ('create', lambda api: ('/instances', 'POST', create_body()),
     'create_instance'),
    ('create replica', lambda api: ('/instances', 'POST', create_body(
        name='rep', replica_of=_running(api))), 'create_replicas'),
    ('delete', lambda api: ('/instances/%s' % _running(api), 'DELETE',
                            None), 'delete_instance'),
    ('restart', _action({'restart': {}}), 'restart_instance'),
    ('promote', _on_replica({'promote_to_replica_source': {}}),
     'promote_to_replica_source'),
    ('detach', lambda api: (
        '/instances/%s' % _replica(api)[1], 'PATCH',
        {'instance': {'replica_of': None}}), 'detach_replica'),
    ('eject', _eject, 'eject_replica_source'),
    ('backup create', lambda api: ('/backups', 'POST', {'backup': {
        'name': 'b1', 'instance': _running(api)}}), 'create_backup'),
    ('backup delete', lambda api: (
        '/backups/%s' % _completed_backup(api), 'DELETE', None),
     'delete_backup'),
]


@pytest.mark.parametrize('what, setup, cast', ACTIONS,
                         ids=[a[0] for a in ACTIONS])
def test_action_without_a_live_taskmanager_is_503_and_changes_nothing(
        api, databases, taskmanager, swift, what, setup, cast):
    path, method, body = setup(api)
    taskmanager.casts.clear()
    stale_taskmanager(_admin())
    before = snapshot(databases['region'], databases['api'])

    answer = call(api, BASE + path, method, body)

    assert answer.status_int == 503, answer.text
    assert answer.json == {'serviceUnavailable': {
        'code': 503, 'message': REFUSED}}
    assert snapshot(databases['region'], databases['api']) == before
    assert taskmanager.casts == []

    # The same request is accepted once a taskmanager is heard from.
    taskmanager_heartbeat(_admin())
    answer = call(api, BASE + path, method, body)
    assert answer.status_int == 202, answer.text
    assert [c[0] for c in taskmanager.casts] == [cast]


def test_a_heartbeat_within_service_down_time_is_alive(api, taskmanager):
    instance_id = _running(api)
    # Made stale for 60 s, then given 120 s of tolerance: alive again.
    stale_taskmanager(_admin())
    cfg.CONF.set_override('service_down_time', 120)
    try:
        answer = call(api, '%s/instances/%s' % (BASE, instance_id),
                      'DELETE')
    finally:
        cfg.CONF.clear_override('service_down_time')
    assert answer.status_int == 202, answer.text


def test_backup_delete_no_taskmanager_answers_is_503_and_keeps_it(
        api, taskmanager):
    # A live heartbeat, but the call that posts the job times out (the
    # taskmanager died holding it): 503, and the backup is still there.
    backup_id = _completed_backup(api)
    taskmanager.error = messaging.MessagingTimeout('no answer')
    answer = call(api, '/v1.0/p1/backups/%s' % backup_id, 'DELETE')
    assert answer.status_int == 503, answer.text
    assert 'No taskmanager could be reached' in \
        answer.json['serviceUnavailable']['message']
    assert db_api.backup_get(_admin(), backup_id).state == 'COMPLETED'
