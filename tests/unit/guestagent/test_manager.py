"""The guest manager's phases, discovery and prepare failures."""

import json
import os

import pytest

from trove_mr.common import cfg
from trove_mr.common import states
from trove_mr.guestagent import bootstrap
from trove_mr.guestagent import manager as guest_manager
from trove_mr.guestagent.datastore.redis import service as redis_service

CONF = cfg.CONF


class FakeApp:
    """A RedisApp stand-in: no process, a status to report."""

    def __init__(self, status=redis_service.RUNNING):
        self._status = status
        self.starts = 0

    def status(self):
        return self._status

    def start(self, timeout=None):
        self.starts += 1
        self._status = redis_service.RUNNING

    def keep_stopped(self):
        self.kept_stopped = True

    def volume_used_gb(self):
        return 0.25


@pytest.fixture
def layout(tmp_path):
    return bootstrap.Layout(address='127.98.1.2',
                            volume_dir=str(tmp_path / 'vol'),
                            data_dir=str(tmp_path / 'vol' / 'data'),
                            conf_dir=str(tmp_path / 'vol' / 'redis-conf'))


@pytest.fixture
def guest(layout):
    manager = guest_manager.GuestManager('inst-1', layout=layout)
    sent = []
    manager.notify = lambda: sent.append(manager.heartbeat_payload())
    return manager, sent


def test_prepare_with_backup_info_reports_failed_with_message(guest):
    manager, sent = guest

    manager.prepare(None, {'password': 'p' * 20,
                           'backup_info': {'id': 'b-42'}})

    assert [p['service_status'] for p in sent] == ['BUILD', 'FAILED']
    assert 'b-42' in sent[-1]['message']
    assert manager.get_status(None)['status'] == 'failed'


def test_prepare_without_password_fails_and_never_starts_redis(guest):
    manager, sent = guest

    manager.prepare(None, {'backup_info': None})

    assert sent[-1]['service_status'] == 'FAILED'
    assert 'password' in sent[-1]['message']
    assert manager.app is None


def test_prepare_on_a_prepared_guest_only_checks_redis_runs(guest):
    manager, sent = guest
    app = FakeApp(status=redis_service.RUNNING)
    manager.app, manager.phase = app, guest_manager.PHASE_READY

    manager.prepare(None, {'password': 'q' * 20})

    assert manager.app is app
    assert app.starts == 0
    assert sent == [{'service_status': 'RUNNING', 'volume_used': 0.25}]


@pytest.mark.parametrize('app_status,expected', [
    (redis_service.RUNNING, states.SERVICE_RUNNING),
    (redis_service.SHUTDOWN, states.SERVICE_SHUTDOWN),
    (redis_service.FAILED, states.SERVICE_FAILED)])
def test_prepared_guest_reports_its_redis_status(guest, app_status,
                                                  expected):
    manager, _ = guest
    manager.app, manager.phase = FakeApp(app_status), 'ready'

    assert manager.service_status() == expected


def test_guest_not_prepared_reports_build(guest):
    manager, _ = guest

    assert manager.service_status() == states.SERVICE_BUILD
    assert manager.get_status(None) == {'status': 'shutdown',
                                        'volume_used': 0.0}


def test_restart_of_unprepared_guest_is_refused(guest):
    manager, sent = guest

    with pytest.raises(guest_manager.GuestError):
        manager.restart(None)
    assert sent[-1]['service_status'] == 'BUILD'


def test_resume_without_marker_waits_for_prepare(guest):
    manager, _ = guest

    manager.resume()

    assert manager.phase == guest_manager.PHASE_NEW


def test_resume_after_stop_does_not_start_redis(guest, layout, monkeypatch):
    manager, _ = guest
    os.makedirs(layout.conf_dir)
    with open(os.path.join(layout.conf_dir, 'redis.conf'), 'w') as f:
        f.write('port 6379\nrequirepass "%s"\n' % ('s' * 24))
    bootstrap.write_marker(layout, {'stopped': True, 'clustered': False})
    made = []
    monkeypatch.setattr(manager, '_new_app',
                        lambda pw, cl: made.append(pw) or FakeApp(
                            redis_service.SHUTDOWN))

    manager.resume()

    assert made == ['s' * 24]
    assert manager.phase == guest_manager.PHASE_READY
    assert manager.app.starts == 0
    assert manager.app.kept_stopped


def test_a_redis_stopped_before_an_agent_restart_is_not_revived(
        guest, layout):
    """The supervisor takes a redis-server that is not running for one
    that died, unless it was stopped on request: an agent started after
    the stop (a server reboot) must know that from the marker."""
    manager, _ = guest
    os.makedirs(layout.conf_dir)
    with open(os.path.join(layout.conf_dir, 'redis.conf'), 'w') as f:
        f.write('port 6379\nrequirepass "%s"\n' % ('s' * 24))
    bootstrap.write_marker(layout, {'stopped': True, 'clustered': False})

    manager.resume()

    assert manager.app.status() == redis_service.SHUTDOWN
    assert manager.app.stopped_on_request
    assert manager.supervisor._needs_restart(manager.app,
                                             manager.phase) is None


def test_discover_prefers_options_then_environment(tmp_path):
    env = {bootstrap.ADDRESS_ENV: '127.98.3.4',
           bootstrap.VOLUMES_ENV: json.dumps([
               {'id': 'v', 'path': str(tmp_path / 'v1'),
                'device': '/dev/vdb'}])}

    found = bootstrap.discover(env)

    assert found.address == '127.98.3.4'
    assert found.data_dir == str(tmp_path / 'v1' / 'data')
    assert found.conf_dir == str(tmp_path / 'v1' / 'redis-conf')
    CONF.set_override('bind_address', '127.98.9.9', group='guest')
    CONF.set_override('data_dir', str(tmp_path / 'opt'), group='guest')
    try:
        found = bootstrap.discover(env)
    finally:
        CONF.clear_override('bind_address', group='guest')
        CONF.clear_override('data_dir', group='guest')
    assert found.address == '127.98.9.9'
    assert found.volume_dir == str(tmp_path / 'opt')


def test_discover_without_volumes_uses_the_default_dir():
    found = bootstrap.discover({bootstrap.ADDRESS_ENV: '127.98.3.4'})

    assert found.volume_dir == bootstrap.DEFAULT_VOLUME_DIR


def test_bad_volumes_environment_is_a_clear_error():
    with pytest.raises(bootstrap.GuestConfigError):
        bootstrap.volume_dir({bootstrap.VOLUMES_ENV: '{not json'})


def test_read_password_finds_requirepass_only(tmp_path):
    conf = tmp_path / 'redis.conf'
    conf.write_text('masterauth "other"\nrequirepass "abcdefghijklmnopq"\n')

    assert bootstrap.read_password(str(conf)) == 'abcdefghijklmnopq'
    assert bootstrap.read_password(str(tmp_path / 'missing')) is None


def test_post_upgrade_starts_redis_stopped_for_the_rebuild_and_records(
        guest, layout, monkeypatch):
    manager, sent = guest
    os.makedirs(layout.conf_dir)
    with open(os.path.join(layout.conf_dir, 'redis.conf'), 'w') as f:
        f.write('port 6379\nrequirepass "%s"\n' % ('s' * 24))
    # What pre_upgrade left on the volume before the rebuild.
    bootstrap.write_marker(layout, {'stopped': True, 'clustered': False,
                                    'datastore_version': '7.0'})
    monkeypatch.setattr(manager, '_new_app', lambda pw, cl: FakeApp(
        redis_service.SHUTDOWN))
    monkeypatch.setenv('TROVE_MR_IMAGE_VERSION', '7.2')
    CONF.set_override('datastore_version', '7.2', group='guest')
    try:
        manager.resume()
        assert manager.app.starts == 0
        info = manager.post_upgrade(None)
    finally:
        CONF.clear_override('datastore_version', group='guest')

    assert manager.app.starts == 1
    assert info['datastore_version'] == '7.2'
    assert info['image_version'] == '7.2'
    marker = bootstrap.read_marker(layout)
    assert marker['stopped'] is False
    assert marker['datastore_version'] == '7.2'
    assert sent[-1]['service_status'] == states.SERVICE_RUNNING


def test_post_upgrade_of_unprepared_guest_is_refused(guest):
    manager, _ = guest
    with pytest.raises(guest_manager.GuestError):
        manager.post_upgrade(None)


class FakeClusterNode:
    def __init__(self, ranges=None, error=None):
        self.ranges, self.error = ranges, error

    def my_slots(self):
        if self.error is not None:
            raise self.error
        return self.ranges


@pytest.mark.parametrize('clustered, node, wanted', [
    (True, FakeClusterNode([[0, 5460], [10923, 10923]]), 5462),
    (True, FakeClusterNode([]), 0),
    (True, FakeClusterNode(error=RuntimeError('loading')), None),
    (False, FakeClusterNode([[0, 16383]]), None),
])
def test_heartbeat_carries_a_cluster_members_slots(guest, clustered, node,
                                                   wanted):
    manager, _sent = guest
    app = FakeApp()
    app.clustered, app.cluster = clustered, node
    manager.app, manager.phase = app, guest_manager.PHASE_READY
    payload = manager.heartbeat_payload()
    assert payload['service_status'] == states.SERVICE_RUNNING
    assert payload.get('cluster_slots') == wanted


def test_prepare_pushes_its_end_to_the_taskmanager_named(guest):
    manager, sent = guest
    pushed = []
    manager.notify_ready = lambda target: pushed.append(
        (target, manager.heartbeat_payload()['service_status']))

    # Failed: the push says so at once, before the heartbeat.
    manager.prepare(None, {'backup_info': None, 'ready_to': 'vm.9.ab'})
    assert pushed == [('vm.9.ab', 'FAILED')]
    assert sent[-1]['service_status'] == 'FAILED'

    # On a prepared guest (prepare sent again), RUNNING.
    manager.app, manager.phase = FakeApp(), guest_manager.PHASE_READY
    manager.prepare(None, {'password': 'q' * 20, 'ready_to': 'vm.9.cd'})
    assert pushed[-1] == ('vm.9.cd', 'RUNNING')


def test_prepare_without_a_taskmanager_named_pushes_nothing(guest):
    manager, sent = guest
    pushed = []
    manager.notify_ready = pushed.append

    manager.prepare(None, {'backup_info': None})

    assert pushed == []
    assert sent[-1]['service_status'] == 'FAILED'


def test_heartbeat_sends_readiness_as_a_guest_ready_cast():
    from trove_mr.guestagent import heartbeat

    class Conductor:
        def __init__(self):
            self.casts = []

        def guest_ready(self, context, instance_id, payload, target, sent):
            self.casts.append((instance_id, payload, target))

        def heartbeat(self, *args):
            raise AssertionError('a readiness report is no heartbeat')

    conductor = Conductor()
    beat = heartbeat.Heartbeat(lambda: {'service_status': 'RUNNING'},
                               conductor, 'inst-1', interval=60)
    assert beat.send_ready('vm.1.ab') == {'service_status': 'RUNNING'}
    assert conductor.casts == [('inst-1', {'service_status': 'RUNNING'},
                                'vm.1.ab')]

    conductor.guest_ready = lambda *a: (_ for _ in ()).throw(
        RuntimeError('bus down'))
    # Never raises: the heartbeats report the status anyway.
    assert beat.send_ready('vm.1.ab') is None
