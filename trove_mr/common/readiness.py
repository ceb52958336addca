"""Readiness push: a guest's "ready" wakes the flow waiting for it.

A build waits for its guest's RUNNING report. The guest's reports reach
the database through the conductor, and the waiting flow used to find
them only by reading that row every few tenths of a second. Now:

1. the taskmanager process that runs the flow listens on a wake topic of
   its own (``<control_exchange>-taskmanager-wake``, server
   ``<host>.<pid>.<id>``, see :func:`start_server`) and names it in the
   guest's ``prepare`` (``ready_to``);
2. the guest, once its redis-server is up (or prepare failed), casts
   ``guest_ready`` to the conductor with its status;
3. the conductor records the status, then casts ``instance_ready``
   (taskmanager RPC API 1.7) to that one process;
4. the process wakes the wait (:class:`Waiters`), which reads the row at
   once.

The wake is only a hint: the flow always reads the database, which stays
the one truth, so a forged or repeated wake costs a read. The wait still
reads the row every ``guest_ready_fallback_interval`` seconds, so a lost
message (a conductor or taskmanager restarted meanwhile, an older guest,
a conductor with ``guest_ready_wake`` off) only delays the build.

Casting to one process, not to the taskmanager topic, is the point: a
cast to the topic reaches any taskmanager of the cell, and a fanout one
is accepted by one receiver only (the RPC envelope refuses a nonce seen
before).
"""

import os
import threading
import uuid

import oslo_messaging as messaging
from amqp import exceptions as amqp_exc
from oslo_log import log as logging

from trove_mr.common import broker_admin
from trove_mr.common import cfg
from trove_mr.common import processes
from trove_mr.common import rpc

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

WAKE_TOPIC = 'trove-mr-taskmanager-wake'
# The taskmanager RPC API version that brought instance_ready.
WAKE_VERSION = '1.7'
# Longest wake target a conductor forwards to (a host name, a pid and an
# id); anything else in a guest's report is dropped.
_MAX_TARGET = 255


class Waiters:
    """Events of the waits of this process, by key (an instance id).

    ``expect`` before reading the condition, ``sleep`` between two reads,
    ``forget`` when the wait is over. A wake that arrives between the read
    and the sleep is not lost: the event stays set until a sleep takes it.
    """

    def __init__(self):
        self._events = {}
        self._lock = threading.Lock()

    def expect(self, key):
        with self._lock:
            return self._events.setdefault(key, threading.Event())

    def wake(self, key):
        """Wake the wait of ``key``; False when nothing here waits."""
        with self._lock:
            event = self._events.get(key)
        if event is None:
            return False
        event.set()
        return True

    def sleep(self, key, seconds):
        """Sleep up to ``seconds``; True when woken for ``key``."""
        event = self.expect(key)
        woken = event.wait(max(seconds, 0))
        event.clear()
        return woken

    def forget(self, key):
        with self._lock:
            self._events.pop(key, None)

    def waiting(self):
        with self._lock:
            return sorted(self._events)


WAITERS = Waiters()
_address = None


def wake_topic():
    """``<control_exchange>-taskmanager-wake`` (``WAKE_TOPIC`` under the
    default), named after the exchange like the other topics, so that
    planes sharing a virtual host never share its queue."""
    return '%s-taskmanager-wake' % rpc.control_exchange()


def address():
    """This process's wake target, or None when it listens for none."""
    return _address


def poll_interval(interval):
    """The read interval of a wait that a push can end: the slow fallback
    when this process listens for wakes, else ``interval``."""
    return max(interval, CONF.guest_ready_fallback_interval) \
        if _address else interval


def valid_target(target):
    """Whether ``target`` can be a wake target (what guests send back)."""
    return isinstance(target, str) and 0 < len(target) <= _MAX_TARGET \
        and target.isprintable() and ' ' not in target


class WakeEndpoint:
    """The taskmanager process's endpoint on its own wake topic."""

    target = messaging.Target(version=WAKE_VERSION)

    def __init__(self, waiters=None):
        self.waiters = waiters or WAITERS

    def instance_ready(self, context, instance_id):
        """A guest reported; the wait for it reads the database now."""
        woken = self.waiters.wake(instance_id)
        LOG.debug('Readiness of instance %s: %s', instance_id,
                  'wait woken' if woken else 'nothing waits here')


def start_server(host=None, waiters=None):
    """Listen for wakes as ``<host>.<pid>.<id>``; returns the server.

    Sets this process's :func:`address` (named in guests' ``prepare``).
    """
    global _address
    name = '%s.%d.%s' % (host or CONF.host, os.getpid(),
                         uuid.uuid4().hex[:8])
    server = rpc.get_server(
        messaging.Target(topic=wake_topic(), server=name),
        [WakeEndpoint(waiters)],
        serializer=rpc.server_serializer(rpc.control_key_lookup))
    server.start()
    _address = name
    LOG.info('Taskmanager wakes on %s as %s', wake_topic(), name)
    return server


def sweep_dead_wake_queues(host=None, admin=None, transport_url=None):
    """Remove the wake queues that taskmanagers of this host left when
    they died without stopping (a clean stop removes its own).

    A wake queue is named ``<wake topic>.<host>.<pid>.<id>``: the queues
    of this host whose process is gone are deleted, each only if no one
    consumes from it (a process of another machine misconfigured with
    the same host name keeps its queue). Needs the broker's
    administration (``[guest_broker] credentials``) to list queues;
    with ``shared``, nothing is swept. Best effort: returns the names
    deleted.
    """
    try:
        admin = admin or broker_admin.get_admin()
        if admin is None:
            return []
        url = messaging.TransportURL.parse(CONF, transport_url or
                                           CONF.transport_url)
        names = admin.list_queues(url.virtual_host or '/')
    except Exception as exc:  # noqa: BLE001 - best effort
        LOG.warning('Could not list the wake queues to sweep: %s', exc)
        return []
    prefix = '%s.%s.' % (wake_topic(), host or CONF.host)
    dead = []
    for name in names:
        pid, dot, _ident = name[len(prefix):].partition('.')
        if name.startswith(prefix) and dot and pid.isdigit() and \
                int(pid) != os.getpid() and not processes.pid_alive(int(pid)):
            dead.append(name)
    deleted = []
    if not dead:
        return deleted
    try:
        with rpc.bus_connection(transport_url, connect_timeout=5) as conn:
            for name in dead:
                # A channel each: a refused delete (the queue has a
                # consumer) closes its channel.
                channel = conn.channel()
                try:
                    channel.queue_delete(name, if_unused=True)
                    deleted.append(name)
                except amqp_exc.PreconditionFailed:
                    LOG.info('Wake queue %s has a consumer; kept.', name)
                finally:
                    try:
                        channel.close()
                    except Exception:  # noqa: BLE001 - closed already
                        pass
    except Exception as exc:  # noqa: BLE001 - best effort
        LOG.warning('Could not sweep the wake queues %s: %s', dead, exc)
    if deleted:
        LOG.info('Removed the wake queues of taskmanagers gone: %s',
                 ', '.join(deleted))
    return deleted


def stop_server(server):
    """Stop listening and remove this process's own wake queue."""
    global _address
    name, _address = _address, None
    try:
        server.stop()
        server.wait()
    except Exception:  # noqa: BLE001 - stopping anyway
        LOG.exception('Error stopping the wake server')
    if name:
        rpc.delete_queues(['%s.%s' % (wake_topic(), name)])


class WakeAPI:
    """The conductor's client of taskmanager processes' wake topics."""

    def __init__(self):
        self._clients = rpc.ClientCache(
            messaging.Target(topic=wake_topic(), version='1.0'),
            WAKE_VERSION, rpc.client_serializer)

    def instance_ready(self, context, target, instance_id):
        """Cast ``instance_ready`` to the process named ``target``."""
        self._clients.for_context(context).prepare(
            server=target, version=WAKE_VERSION).cast(
                context, 'instance_ready', instance_id=instance_id)
