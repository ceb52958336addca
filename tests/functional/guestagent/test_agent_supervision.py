"""The agent's watch over its redis-server: the real agent, conductor,
RabbitMQ and redis-server.

A redis-server that dies is started again by the agent without any call,
the instance goes back to RUNNING (ACTIVE) and the restart is counted on
its status row for admins; one that cannot be kept up makes the guest
FAILED with the reason, until a user restarts it.
"""

import glob
import os
import signal

import redis
from redis import backoff as redis_backoff
from redis import retry as redis_retry

from tests.functional.conductor.guest_fixtures import guest_world  # noqa
from tests.functional.conductor.guest_fixtures import synced_region_db  # noqa
from tests.functional.conductor.guest_fixtures import wait_for
from tests.functional.rpc_fixtures import exchange  # noqa: F401
from tests.functional.rpc_fixtures import rpc_conf  # noqa: F401
from tests.functional.rpc_fixtures import start_service  # noqa: F401
from trove_mr.common import states
from trove_mr.guestagent.datastore.redis import config as redis_config

PASSWORD = redis_config.generate_password()


def _prepared(world):
    client = world.guest_rpcapi()
    client.prepare({'password': PASSWORD, 'backup_info': None,
                    'cluster': None})
    return world.start_agent(), client


def _redis(world):
    return redis.Redis(host=world.address, port=6379, password=PASSWORD,
                       socket_connect_timeout=2, decode_responses=True)


def _children(pid):
    found = []
    for path in glob.glob('/proc/%d/task/*/children' % pid):
        with open(path) as f:
            found.extend(int(child) for child in f.read().split())
    return sorted(found)


def _restarted(world, old_pid):
    """Whether a new redis-server (not ``old_pid``) answers."""
    try:
        return world.redis_pid() != old_pid and _redis(world).ping()
    except (OSError, ValueError, redis.RedisError):
        return False


def _row_with(world, restarts, status=states.SERVICE_RUNNING):
    row = world.status()
    if row.datastore_restarts == restarts and row.status == status:
        return row
    return None


def _gave_up(client):
    status = client.get_status()
    if 'stopped starting it again' in status.get('failure', ''):
        return status
    return None


def _write_guest_conf(world, **options):
    # A second file in the agent's --config-dir, read after the first.
    path = os.path.join(world.root, 'etc', 'trove-mr', 'zz-watch.conf')
    with open(path, 'w') as f:
        f.write('[guest]\n' + ''.join('%s = %s\n' % item
                                      for item in options.items()))


def test_agent_is_one_process_whose_only_child_is_redis_server(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)
    guest_world.wait_status(states.SERVICE_RUNNING)

    # No launcher: no second Python process beside the agent.
    assert _children(agent.proc.pid) == [guest_world.redis_pid()]


def test_killed_redis_is_started_again_by_the_agent_and_counted(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)
    running = guest_world.wait_status(states.SERVICE_RUNNING)
    assert running.datastore_restarts is None
    _redis(guest_world).set('durable', 'yes')
    pid = guest_world.redis_pid()

    os.kill(pid, signal.SIGKILL)

    # No call from anyone: the agent notices and starts it again.
    wait_for(lambda: _restarted(guest_world, pid), timeout=15)
    row = wait_for(lambda: _row_with(guest_world, 1), timeout=15)
    assert states.display_status(states.TASK_NONE, row.status) == 'ACTIVE'
    assert row.last_restart_reason == 'killed by SIGKILL'
    assert row.last_restart_at >= running.heartbeat_at.replace(
        microsecond=0)
    assert _redis(guest_world).get('durable') == 'yes'
    assert client.get_status()['status'] == 'running'
    assert 'died (killed by SIGKILL); starting it again' in agent.log()

    # Counted again at the next death, by an agent that adopted it.
    assert agent.terminate() == 0
    second = guest_world.start_agent()
    guest_world.wait_status(states.SERVICE_RUNNING, after=row.heartbeat_at)
    adopted = guest_world.redis_pid()
    os.kill(adopted, signal.SIGKILL)
    row = wait_for(lambda: _row_with(guest_world, 2), timeout=20)
    assert guest_world.redis_pid() != adopted
    assert row.last_restart_reason == 'the process exited'
    assert second.proc.poll() is None


def test_redis_that_cannot_start_again_makes_the_guest_failed_until_restart(
        guest_world):  # noqa: F811
    _write_guest_conf(guest_world, datastore_restart_limit=2,
                      datastore_restart_max_delay=1)
    agent, client = _prepared(guest_world)
    guest_world.wait_status(states.SERVICE_RUNNING)
    manifests = glob.glob(os.path.join(guest_world.volume, 'data',
                                       'appendonlydir', '*.manifest'))
    assert manifests
    with open(manifests[0]) as f:
        good_manifest = f.read()
    os.kill(guest_world.redis_pid(), signal.SIGKILL)
    # Damaged data: every start fails until it is repaired.
    with open(manifests[0], 'w') as f:
        f.write('not a manifest\n')

    row = guest_world.wait_status(states.SERVICE_FAILED, timeout=20)
    status = wait_for(lambda: _gave_up(client), timeout=20)
    assert status['status'] == 'failed'
    assert 'within 300 s' in status['failure']
    assert states.display_status(states.TASK_NONE, row.status) == 'ERROR'
    tries = agent.log().count('starting it again.')
    assert tries == 2, agent.log()

    # Repaired, then restarted by a user: running, and watched again.
    with open(manifests[0], 'w') as f:
        f.write(good_manifest)
    assert client.restart() == {'status': 'running'}
    guest_world.wait_status(states.SERVICE_RUNNING)
    assert 'failure' not in client.get_status()
    pid = guest_world.redis_pid()
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: _restarted(guest_world, pid), timeout=15)


def test_redis_shut_down_by_a_client_is_started_again_after_a_grace(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)
    guest_world.wait_status(states.SERVICE_RUNNING)
    pid = guest_world.redis_pid()

    # A clean exit nobody asked the agent for (SHUTDOWN from a client).
    # Not retried: a retry would shut the restarted server down too.
    once = redis.Redis(host=guest_world.address, port=6379,
                       password=PASSWORD, socket_connect_timeout=2,
                       retry=redis_retry.Retry(redis_backoff.NoBackoff(), 0))
    try:
        once.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    finally:
        once.close()

    wait_for(lambda: _restarted(guest_world, pid), timeout=15)
    row = wait_for(lambda: _row_with(guest_world, 1), timeout=15)
    assert row.last_restart_reason == 'exited with code 0'


def test_redis_stopped_on_request_is_not_started_again(
        guest_world):  # noqa: F811
    agent, client = _prepared(guest_world)
    guest_world.wait_status(states.SERVICE_RUNNING)

    assert client.stop() == {'status': 'shutdown'}

    row = guest_world.wait_status(states.SERVICE_SHUTDOWN)
    # Several of the agent's looks later, still down and not counted.
    guest_world.wait_status(states.SERVICE_SHUTDOWN, after=row.heartbeat_at)
    assert not os.path.exists(guest_world.redis_pidfile)
    assert guest_world.status().datastore_restarts is None
    assert 'starting it again' not in agent.log()
