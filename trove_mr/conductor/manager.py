"""Server side of the conductor RPC API (see rpcapi.py for versions).

The conductor is the only writer of what guests report. The DB API it
records through ignores messages older than the last one applied (Trove's
"message too old" check), so that casts handled out of order never roll
a status back. Order and age come from the conductor's own clock at
receipt, never from the guest's: a guest whose clock runs ahead could
otherwise keep itself from ever being marked LOST, or have every later
report ignored; the guest's send time is only compared to log skew.
"""

import collections
import datetime
import threading
import time

import oslo_messaging as messaging
from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import readiness
from trove_mr.common import rpc
from trove_mr.common import states
from trove_mr.conductor import status_writer
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# Statuses a guest may report; anything else is a bug in the guest and is
# dropped rather than shown to users.
GUEST_STATUSES = frozenset((states.SERVICE_BUILD, states.SERVICE_RUNNING,
                            states.SERVICE_SHUTDOWN, states.SERVICE_FAILED))

# Instance keys never change, so the conductor does not need to decrypt a
# key from the database on every heartbeat; it re-reads it now and then so
# that a deleted instance's key does not stay usable for ever.
# Past _KEY_CACHE_MAX keys the least recently used one makes room: a
# cell of more guests than that would decrypt a key per heartbeat.
# Hash slots of a Redis Cluster.
_HASH_SLOTS = 16384
_KEY_CACHE_SECONDS = 300
_KEY_CACHE_MAX = 50000
_key_cache = collections.OrderedDict()
_key_cache_lock = threading.Lock()


def instance_rpc_key(instance_id):
    """The RPC key of ``instance_id`` from the database, or None.

    Installed as the conductor's instance key source, so that messages a
    guest seals under its own key can be opened. Found keys are cached for
    a few minutes; a missing key is never cached.
    """
    now = time.monotonic()
    with _key_cache_lock:
        cached = _key_cache.get(instance_id)
        if cached is not None and cached[1] > now:
            _key_cache.move_to_end(instance_id)
            return cached[0]
    key = db_api.instance_rpc_key_get(trove_context.get_admin_context(),
                                      instance_id)
    if key:
        with _key_cache_lock:
            _key_cache[instance_id] = (key, now + _KEY_CACHE_SECONDS)
            _key_cache.move_to_end(instance_id)
            while len(_key_cache) > _KEY_CACHE_MAX:
                _key_cache.popitem(last=False)
    return key


def _sender_may_report(context, instance_id):
    """Whether the message's key lets it speak for ``instance_id``.

    A guest holds its own instance's key only; without this check a guest
    could report the status of any other instance under its own key.
    """
    if not rpc.secure_enabled():
        return True
    # The serializer left the key id the message was opened with here.
    key_id = rpc.sender_key_id(context)
    return key_id in (rpc.CONTROL_KEY_ID, rpc.instance_key_id(instance_id))


def _reported_status(context, instance_id, payload, what):
    """The status a guest's ``what`` (a heartbeat...) reports, or None
    when it is dropped: sealed under another instance's key, or a status
    a guest may not report."""
    if not _sender_may_report(context, instance_id):
        LOG.warning('Dropped a %s for instance %s sealed under another '
                    'key.', what, instance_id)
        return None
    status = (payload or {}).get('service_status')
    if status not in GUEST_STATUSES:
        LOG.warning('Dropped a %s of instance %s with unknown status %r.',
                    what, instance_id, status)
        return None
    return status


# Seconds of difference between a guest's send time and the receive time
# worth a warning (the envelope refuses messages past rpc_message_window).
_SKEW_WARNING = 30


def receive_time():
    """The conductor's clock, seconds since the epoch (patched in tests)."""
    return time.time()


def _received(instance_id, sent):
    received = receive_time()
    if isinstance(sent, (int, float)) and \
            abs(received - sent) > _SKEW_WARNING:
        LOG.warning('Guest of instance %s sent at %.3f, received at %.3f: '
                    'its clock is off by %.0fs.', instance_id, sent,
                    received, sent - received)
    return received


# Heartbeats of many guests share a transaction (status_writer.py).
_status_writer = status_writer.StatusWriter()

_RESTART_REASON_MAX = 255


def guest_restarts(instance_id, payload):
    """The checked ``datastore_restarts`` of a heartbeat, or None.

    ``{'count': int >= 1, 'last_at': POSIX time or None, 'last_reason':
    text or None}``: how often the agent started its redis-server again
    on its own. Anything malformed is dropped (logged), never applied.
    """
    restarts = (payload or {}).get('datastore_restarts')
    if restarts is None:
        return None
    try:
        count = int(restarts['count'])
        last_at = restarts.get('last_at')
        if last_at is not None:
            last_at = float(last_at)
        reason = restarts.get('last_reason')
        if reason is not None:
            reason = str(reason)[:_RESTART_REASON_MAX]
    except (TypeError, ValueError, KeyError, AttributeError):
        count = -1
    if count < 1:
        LOG.warning('Dropped the malformed restart count of instance %s: '
                    '%r', instance_id, restarts)
        return None
    return {'count': count, 'last_at': last_at, 'last_reason': reason}


def cluster_slots(instance_id, payload):
    """The checked ``cluster_slots`` of a heartbeat (0 to 16384), or
    None; anything else is dropped (logged), never applied."""
    slots = (payload or {}).get('cluster_slots')
    if slots is None:
        return None
    if isinstance(slots, int) and not isinstance(slots, bool) and \
            0 <= slots <= _HASH_SLOTS:
        return slots
    LOG.warning('Dropped the malformed slot count of instance %s: %r',
                instance_id, slots)
    return None


def _lag_figure(value):
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and \
            0 <= value < 2 ** 62:
        return value
    raise ValueError(value)


def replication_lag(instance_id, payload):
    """The checked ``replication`` of a heartbeat, or None.

    ``{'bytes': how far the replica's offset is behind its master's,
    'seconds': seconds since it last heard from its master}``, each a
    non-negative integer or None (unknown: the master is unreachable).
    Anything malformed is dropped (logged), never applied.
    """
    lag = (payload or {}).get('replication')
    if lag is None:
        return None
    try:
        return {'bytes': _lag_figure(lag.get('bytes')),
                'seconds': _lag_figure(lag.get('seconds'))}
    except (AttributeError, ValueError):
        LOG.warning('Dropped the malformed replication lag of instance '
                    '%s: %r', instance_id, lag)
        return None


class ConductorManager:
    """Endpoint of ``trove-mr-conductor``."""

    target = messaging.Target(version='1.1')

    def __init__(self, host=None):
        self.host = host or CONF.host

    def ping(self, context):
        """Answer a liveness check with this service's name and host."""
        return {'service': 'conductor', 'host': self.host}

    def heartbeat(self, context, instance_id, payload, sent):
        """Record a guest's status unless a newer one was recorded.

        :param payload: {'service_status': BUILD|RUNNING|SHUTDOWN|FAILED,
            'volume_used': GB, 'message': optional failure text,
            'datastore_restarts': optional, see :func:`guest_restarts`,
            'cluster_slots': a cluster member's hash slots, optional,
            'replication': a replica's lag, optional, see
            :func:`replication_lag`}
        :param sent: when the guest sent it by its own clock, seconds
            since the epoch; only compared with the receive time, which
            orders and ages heartbeats.
        """
        received = _received(instance_id, sent)
        status = _reported_status(context, instance_id, payload,
                                  'heartbeat')
        if status is None:
            return
        applied = _status_writer.record(
            context, instance_id, status, received,
            volume_used=payload.get('volume_used'),
            restarts=guest_restarts(instance_id, payload),
            cluster_slots=cluster_slots(instance_id, payload),
            replication=replication_lag(instance_id, payload))
        if applied is False:
            LOG.debug('Heartbeat of instance %s received at %s is older '
                      'than the last one recorded; ignored.', instance_id,
                      received)
        elif status == states.SERVICE_FAILED and payload.get('message'):
            LOG.warning('Guest of instance %s reports a failure: %s',
                        instance_id, payload['message'])

    def guest_ready(self, context, instance_id, payload, ready_to, sent):
        """Record a guest's status at the end of prepare, then wake the
        taskmanager process whose flow waits for it (``ready_to``).

        Recorded at once, not in a batch: the woken flow reads the row
        right away. The wake is only a hint (the flow reads the row), so
        one that cannot be sent is logged and the flow's slower reads
        find the status.
        """
        received = _received(instance_id, sent)
        status = _reported_status(context, instance_id, payload,
                                  'readiness report')
        if status is None:
            return
        db_api.instance_status_update(
            context, instance_id, status, received,
            volume_used=payload.get('volume_used'),
            restarts=guest_restarts(instance_id, payload),
            cluster_slots=cluster_slots(instance_id, payload))
        if not CONF.guest_ready_wake:
            LOG.debug('Readiness of instance %s recorded; taskmanager %s '
                      'not woken (guest_ready_wake is off).', instance_id,
                      ready_to)
            return
        if not readiness.valid_target(ready_to):
            LOG.warning('Readiness report of instance %s names no valid '
                        'taskmanager to wake: %r', instance_id, ready_to)
            return
        try:
            _wake_api().instance_ready(trove_context.get_admin_context(),
                                       ready_to, instance_id)
        except Exception as exc:  # noqa: BLE001 - the flow reads anyway
            LOG.warning('Could not wake %s for instance %s: %s', ready_to,
                        instance_id, exc)

    def update_backup(self, context, instance_id, backup_id, sent,
                      **values):
        """Record a guest's report on a backup (state, size, checksum...)."""
        if not _sender_may_report(context, instance_id):
            LOG.warning('Dropped a backup report for instance %s sealed '
                        'under another key.', instance_id)
            return
        db_api.backup_update_from_guest(context, instance_id, backup_id,
                                        _received(instance_id, sent),
                                        **values)


_wake = []


def _wake_api():
    """The client of taskmanager processes' wake topics (made once)."""
    if not _wake:
        _wake.append(readiness.WakeAPI())
    return _wake[0]


def mark_lost_guests(expiry=None, now=None):
    """Mark instances whose heartbeats stopped as LOST (shown SHUTDOWN).

    The conductor's periodic task: one UPDATE over every instance of this
    cell silent for ``expiry`` seconds (``agent_heartbeat_expiry``).
    Returns how many were marked.
    """
    expiry = CONF.agent_heartbeat_expiry if expiry is None else expiry
    now = now or datetime.datetime.now(datetime.timezone.utc)
    cutoff = (now - datetime.timedelta(seconds=expiry)).replace(tzinfo=None)
    count = db_api.instance_status_mark_lost(
        trove_context.get_admin_context(), cutoff,
        lost_status=states.SERVICE_LOST)
    if count:
        LOG.warning('%d guest(s) sent no heartbeat for %ss; marked %s.',
                    count, expiry, states.SERVICE_LOST)
    return count
