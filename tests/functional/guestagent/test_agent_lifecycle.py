"""The real guest agent, conductor, RabbitMQ and redis-server together."""

import os
import signal
import stat
import time

import oslo_messaging as messaging
import pytest
import redis

from tests.functional.conductor.guest_fixtures import guest_world  # noqa
from tests.functional.conductor.guest_fixtures import synced_region_db  # noqa
from tests.functional.conductor.guest_fixtures import wait_for
from tests.functional.rpc_fixtures import call_until_ready
from tests.functional.rpc_fixtures import exchange  # noqa: F401
from tests.functional.rpc_fixtures import rpc_conf  # noqa: F401
from tests.functional.rpc_fixtures import start_service  # noqa: F401
from trove_mr.common import crypto
from trove_mr.common import states
from trove_mr.guestagent.datastore.redis import config as redis_config
from trove_mr.guestagent.datastore.redis import service as redis_service

PASSWORD = redis_config.generate_password()


def _prepared(world, backup_info=None):
    """Cast prepare, then start the agent, as the taskmanager does."""
    client = world.guest_rpcapi()
    client.prepare({'password': PASSWORD, 'backup_info': backup_info,
                    'cluster': None})
    return world.start_agent(), client


def _redis(world, password=PASSWORD):
    return redis.Redis(host=world.address, port=6379, password=password,
                       socket_connect_timeout=2, decode_responses=True)


def test_prepare_cast_before_the_agent_listens_starts_redis_with_password(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)

    row = guest_world.wait_status(states.SERVICE_RUNNING)

    assert states.display_status(states.TASK_NONE, row.status) == 'ACTIVE'
    tenant_redis = _redis(guest_world)
    assert tenant_redis.set('greeting', 'hello')
    assert tenant_redis.get('greeting') == 'hello'
    with pytest.raises(redis.AuthenticationError):
        _redis(guest_world, password='not-' + PASSWORD).ping()
    conf_path = os.path.join(guest_world.volume, 'redis-conf', 'redis.conf')
    assert stat.S_IMODE(os.stat(conf_path).st_mode) == 0o600
    assert os.path.isdir(os.path.join(guest_world.volume, 'data'))
    assert PASSWORD not in agent.log()
    with open(os.path.join(guest_world.volume,
                           'trove-mr-guest.json')) as marker:
        assert PASSWORD not in marker.read()
    assert client.get_status()['status'] == 'running'


def test_second_prepare_keeps_the_running_redis_and_its_data(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)
    first = guest_world.wait_status(states.SERVICE_RUNNING)
    _redis(guest_world).set('kept', '1')
    pid = guest_world.redis_pid()

    client.prepare({'password': redis_config.generate_password(),
                    'backup_info': None, 'cluster': None})
    guest_world.wait_status(states.SERVICE_RUNNING,
                            after=first.heartbeat_at)

    assert guest_world.redis_pid() == pid
    assert _redis(guest_world).get('kept') == '1'


def test_stop_reports_shutdown_and_restart_reports_running(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)
    guest_world.wait_status(states.SERVICE_RUNNING)
    _redis(guest_world).set('durable', 'yes')

    assert client.stop() == {'status': 'shutdown'}
    row = guest_world.wait_status(states.SERVICE_SHUTDOWN)
    assert states.display_status(states.TASK_NONE, row.status) == 'SHUTDOWN'
    with pytest.raises(redis.ConnectionError):
        _redis(guest_world).ping()

    assert client.restart() == {'status': 'running'}
    guest_world.wait_status(states.SERVICE_RUNNING)
    assert _redis(guest_world).get('durable') == 'yes'


def test_agent_sigterm_leaves_redis_running_and_new_agent_adopts_it(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)
    guest_world.wait_status(states.SERVICE_RUNNING)
    pid = guest_world.redis_pid()

    assert agent.terminate() == 0
    assert _redis(guest_world).ping()
    stopped_at = guest_world.status().heartbeat_at
    second = guest_world.start_agent()
    call_until_ready(client.ping, second)

    guest_world.wait_status(states.SERVICE_RUNNING, after=stopped_at)
    assert guest_world.redis_pid() == pid
    assert client.get_status()['status'] == 'running'


def test_agent_started_after_redis_died_starts_it_again(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)
    guest_world.wait_status(states.SERVICE_RUNNING)
    _redis(guest_world).set('survives', 'reboot')
    agent.terminate()
    # A reboot of the server: the datastore goes down with it.
    os.kill(guest_world.redis_pid(), signal.SIGTERM)
    wait_for(lambda: not os.path.exists(guest_world.redis_pidfile))

    second = guest_world.start_agent()
    call_until_ready(client.ping, second)

    assert wait_for(lambda: client.get_status()['status'] == 'running')
    assert _redis(guest_world).get('survives') == 'reboot'


def test_silent_agent_is_marked_lost_by_the_conductor(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)
    guest_world.wait_status(states.SERVICE_RUNNING)

    agent.kill_group()

    row = guest_world.wait_status(states.SERVICE_LOST, timeout=15)
    assert states.display_status(states.TASK_NONE, row.status) == 'SHUTDOWN'


def test_prepare_with_backup_info_fails_cleanly_with_failed_status(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world, backup_info={
        'id': 'backup-1', 'location': 'http://swift/c/o',
        'checksum': 'abc', 'region': 'RegionTwo'})

    guest_world.wait_status(states.SERVICE_FAILED)

    assert client.get_status()['status'] == 'failed'
    assert 'backup-1' in agent.log()
    assert not os.path.exists(guest_world.redis_pidfile)
    assert client.ping()['instance_id'] == guest_world.instance_id


def test_guest_refuses_prepare_sealed_with_another_key(
        guest_world):  # noqa: F811
    agent = guest_world.start_agent()
    call_until_ready(guest_world.guest_rpcapi().ping, agent)
    wrong = guest_world.guest_rpcapi(key=crypto.generate_key())

    with pytest.raises(messaging.RemoteError):
        wrong.get_status()
    wrong.prepare({'password': PASSWORD, 'backup_info': None,
                   'cluster': None})
    time.sleep(1.5)

    assert guest_world.status().status == states.SERVICE_BUILD
    assert not os.path.exists(guest_world.redis_pidfile)
    assert redis_service.pid_alive(agent.proc.pid)
