"""redis-server lifecycle through RedisApp, against real processes."""

import os
import signal

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from trove_mr.guestagent.datastore.redis import errors
from trove_mr.guestagent.datastore.redis import service


def test_restart_keeps_data_written_to_the_aof(redis_node_factory):
    app = redis_node_factory()
    app.start(timeout=10)
    assert app.status() == 'running'
    client = app.client()
    client.mset({'key-%d' % i: 'value-%d' % i for i in range(100)})

    app.restart(timeout=10)

    assert app.status() == 'running'
    assert client.get('key-42') == 'value-42'
    assert client.dbsize() == 100
    assert os.path.isfile(os.path.join(app.data_dir, 'appendonlydir',
                                       'appendonly.aof.manifest'))
    assert app.volume_used_gb() > 0


def test_status_is_shutdown_after_stop(redis_node_factory):
    app = redis_node_factory()
    app.start(timeout=10)
    pid = app.status_details()['pid']

    app.stop(timeout=10)

    assert app.status_details() == {'status': 'shutdown',
                                    'process_alive': False, 'pid': None}
    assert not service.pid_alive(pid)
    assert not os.path.exists(app.pidfile)
    assert not app.is_running()


def test_status_is_failed_when_the_process_was_killed(redis_node_factory):
    app = redis_node_factory()
    app.start(timeout=10)
    pid = app.status_details()['pid']

    os.kill(pid, signal.SIGKILL)
    app._proc.wait(5)

    details = app.status_details()
    assert details['status'] == 'failed'
    assert details['process_alive'] is False


def test_client_without_password_is_refused(redis_node_factory):
    app = redis_node_factory()
    app.start(timeout=10)
    anonymous = redis.Redis(host=app.address, port=app.port,
                            retry=Retry(NoBackoff(), 0))
    try:
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
    finally:
        anonymous.close()
    assert app.client().ping()


def test_new_agent_adopts_the_running_server(redis_node_factory, tmp_path):
    first = redis_node_factory(root=tmp_path)
    first.start(timeout=10)
    first.client().set('before', 'restart')
    pid = first.status_details()['pid']

    # Same directories and address: what a restarted agent would build.
    second = redis_node_factory(root=tmp_path, address=first.address,
                                password=first.password)
    second.start(timeout=10)

    assert second.status_details()['pid'] == pid
    assert second.client().get('before') == 'restart'
    second.stop(timeout=10)
    first._proc.wait(5)
    assert not service.pid_alive(pid)


def test_start_failure_raises_with_the_log_tail(redis_node_factory):
    running = redis_node_factory()
    running.start(timeout=10)
    # A second server on the same address and port cannot bind.
    clash = redis_node_factory(address=running.address)

    with pytest.raises(errors.RedisStartError) as raised:
        clash.start(timeout=10)

    assert 'exited' in str(raised.value)
    assert 'Address already in use' in str(raised.value)
    assert clash.status() == 'failed'
    assert running.status() == 'running'
