"""Wake queues that dead taskmanagers left are swept, on real RabbitMQ."""

import os
import subprocess
import uuid

import pytest

from trove_mr.common import broker_admin
from trove_mr.common import cfg
from trove_mr.common import readiness
from trove_mr.common import rpc

CONF = cfg.CONF
BUS = 'rabbit://guest:guest@127.0.0.1:5672/'


@pytest.fixture
def exchange():
    name = 'sweep-%s' % uuid.uuid4().hex[:8]
    rpc.register_bus_options()
    CONF.set_override('transport_url', BUS)
    CONF.set_override('control_exchange', name)
    yield name
    CONF.clear_override('control_exchange')
    CONF.clear_override('transport_url')


def _dead_pid():
    proc = subprocess.Popen(['true'])
    proc.wait()
    return proc.pid


def _exists(conn, name):
    channel = conn.channel()
    try:
        channel.queue_declare(name, passive=True)
        return True
    except Exception:  # noqa: BLE001 - NOT_FOUND closes the channel
        return False


def test_only_unconsumed_queues_of_dead_processes_of_this_host_go(exchange):
    topic = readiness.wake_topic()
    dead = '%s.tm-host.%d.aaaa1111' % (topic, _dead_pid())
    consumed = '%s.tm-host.%d.bbbb2222' % (topic, _dead_pid())
    mine = '%s.tm-host.%d.cccc3333' % (topic, os.getpid())
    other_host = '%s.other-host.%d.dddd4444' % (topic, _dead_pid())
    names = [dead, consumed, mine, other_host]
    with rpc.bus_connection(BUS) as conn, \
            rpc.bus_connection(BUS) as holder:
        for name in names:
            conn.channel().queue_declare(name, auto_delete=False)
        # A process elsewhere with the same host name still consumes.
        holder_channel = holder.channel()
        holder_channel.basic_consume(consumed, callback=lambda m: None)
        try:
            admin = broker_admin.ManagementAdmin()
            deleted = readiness.sweep_dead_wake_queues('tm-host',
                                                       admin=admin)
            assert deleted == [dead]
            assert not _exists(conn, dead)
            assert all(_exists(conn, n) for n in (consumed, mine,
                                                  other_host))
        finally:
            holder_channel.close()
            rpc.delete_queues(names, BUS)


def test_nothing_is_swept_without_a_broker_administrator(exchange):
    CONF.set_override('credentials', 'shared', group='guest_broker')
    try:
        assert readiness.sweep_dead_wake_queues('tm-host') == []
    finally:
        CONF.clear_override('credentials', group='guest_broker')


def test_an_unreachable_administrator_is_logged_not_raised(exchange):
    admin = broker_admin.ManagementAdmin(url='http://127.0.0.1:1')
    assert readiness.sweep_dead_wake_queues('tm-host', admin=admin) == []
