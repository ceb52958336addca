"""The agent's watch over redis-server, with a stand-in for the process:
restarts, backoff, giving up, and what heartbeats then carry."""

import os

import pytest

from trove_mr.guestagent import bootstrap
from trove_mr.guestagent import manager as guest_manager
from trove_mr.guestagent import supervisor
from trove_mr.guestagent.datastore.redis import service as redis_service


class DyingApp:
    """A RedisApp stand-in whose server dies on demand and whose starts
    fail while ``broken``."""

    address, port = '127.98.1.2', 6379

    def __init__(self):
        self.alive = True
        self.broken = False
        self.stopped_on_request = False
        self.clean_exit = False
        self.starts = 0

    def status_details(self):
        if self.alive:
            return {'status': redis_service.RUNNING, 'process_alive': True,
                    'pid': 42}
        state = redis_service.SHUTDOWN if (
            self.stopped_on_request or self.clean_exit) \
            else redis_service.FAILED
        return {'status': state, 'process_alive': False, 'pid': None}

    def status(self):
        return self.status_details()['status']

    def exit_reason(self):
        return 'exited with code 0' if self.clean_exit \
            else 'killed by SIGKILL'

    def start(self, timeout=None):
        self.starts += 1
        self.stopped_on_request = False
        if self.broken:
            raise RuntimeError('bad AOF manifest')
        self.alive = True

    def stop(self, timeout=None, save=True):
        self.alive, self.stopped_on_request = False, True

    def restart(self, timeout=None):
        self.stop()
        self.start()

    def volume_used_gb(self):
        return 0.0

    def die(self, clean=False):
        self.alive, self.clean_exit = False, clean


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def guest(tmp_path, monkeypatch):
    layout = bootstrap.Layout(address='127.98.1.2',
                              volume_dir=str(tmp_path),
                              data_dir=str(tmp_path / 'data'),
                              conf_dir=str(tmp_path / 'conf'))
    manager = guest_manager.GuestManager('inst-1', layout=layout)
    bootstrap.write_marker(layout, {'instance_id': 'inst-1'})
    manager.app, manager.phase = DyingApp(), guest_manager.PHASE_READY
    sent = []
    manager.notify = lambda: sent.append(manager.heartbeat_payload())
    clock = Clock()
    manager.supervisor = supervisor.Supervisor(
        manager, interval=1, limit=3, window=300, max_delay=8, clock=clock)
    # No grace wait in unit tests.
    monkeypatch.setattr(supervisor, 'CLEAN_EXIT_GRACE', 0)
    return manager, sent, clock


def test_a_dead_server_is_started_again_and_counted_in_the_marker(guest):
    manager, sent, clock = guest
    assert manager.supervisor.check() is None
    manager.app.die()

    assert manager.supervisor.check() == 'restarted'

    assert manager.app.alive
    assert sent[-1]['service_status'] == 'RUNNING'
    assert sent[-1]['datastore_restarts']['count'] == 1
    assert sent[-1]['datastore_restarts']['last_reason'] == \
        'killed by SIGKILL'
    marker = bootstrap.read_marker(manager.layout)
    assert marker['datastore_restarts'] == 1
    # A new agent reads the count back and carries it on.
    again = guest_manager.GuestManager('inst-1', layout=manager.layout)
    again.supervisor.load(marker)
    assert again.heartbeat_payload()['datastore_restarts']['count'] == 1


def test_a_server_that_keeps_dying_waits_longer_then_is_given_up(guest):
    manager, sent, clock = guest
    outcomes = []
    for _ in range(3):
        manager.app.die()
        outcomes.append(manager.supervisor.check())
        # Dies again at once: the next start waits.
        manager.app.die()
        outcomes.append(manager.supervisor.check())
        clock.now += 10

    # Once at once, then after 2 s, 4 s...; the fourth death in the
    # window is one too many.
    assert outcomes == ['restarted', 'restarted', 'restarted', 'waiting',
                        'gave-up', None]
    assert manager.app.starts == 3
    assert sent[-1]['service_status'] == 'FAILED'
    assert 'died 4 times within 300 s' in sent[-1]['message']
    assert manager.get_status(None)['failure'] == sent[-1]['message']

    # A user's restart starts it and lets the watch try again.
    manager.restart(None)
    assert manager.app.alive
    manager.app.die()
    assert manager.supervisor.check() == 'restarted'


def test_failed_starts_back_off_and_count_toward_the_limit(guest):
    manager, sent, clock = guest
    manager.app.die()
    manager.app.broken = True

    assert manager.supervisor.check() == 'failed'
    assert sent[-1]['service_status'] == 'FAILED'
    assert manager.supervisor.check() == 'waiting'
    clock.now += 1
    assert manager.supervisor.check() == 'failed'
    clock.now += 1
    assert manager.supervisor.check() == 'waiting'
    clock.now += 1
    assert manager.supervisor.check() == 'failed'
    clock.now += 4
    assert manager.supervisor.check() == 'gave-up'
    assert 'datastore_restarts' not in sent[-1]


def test_stopped_on_request_busy_or_unprepared_is_left_alone(guest):
    manager, sent, clock = guest
    manager.app.stop()
    assert manager.supervisor.check() is None

    manager.app.alive, manager.app.stopped_on_request = False, False
    with manager._lock:
        assert manager.supervisor.check() == 'busy'

    manager.phase = guest_manager.PHASE_PREPARING
    assert manager.supervisor.check() is None
    assert manager.app.starts == 0


def test_a_clean_exit_is_started_again_unless_the_agent_stops(guest):
    manager, sent, clock = guest
    manager.app.die(clean=True)
    manager.supervisor.halt()

    assert manager.supervisor.check() is None
    assert not manager.app.alive

    manager.supervisor._stop.clear()
    assert manager.supervisor.check() == 'restarted'
    assert sent[-1]['datastore_restarts']['last_reason'] == \
        'exited with code 0'


def test_zero_limit_turns_the_watch_off(guest):
    manager, sent, clock = guest
    watch = supervisor.Supervisor(manager, limit=0)
    watch.start()
    assert watch._thread is None
    assert os.path.exists(bootstrap.marker_path(manager.layout))
