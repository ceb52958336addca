"""Client side of the conductor RPC API.

Guests call ``heartbeat`` and ``update_backup`` with their instance key
(``ConductorAPI(key_id=rpc.instance_key_id(id), key=...)``); the control
plane calls with the control key.

Version history:

| 1.0 - Initial version: ping, heartbeat, update_backup.
| 1.1 - guest_ready: a guest's status once prepare is over, with the
|       taskmanager process to wake (common/readiness.py).
"""

import oslo_messaging as messaging

from trove_mr.common import rpc

# Under the default control exchange; see topic_name().
TOPIC = 'trove-mr-conductor'
# Guests send on an exchange and topic of their own, also served by every
# conductor: a guest's broker user may publish there, never on the control
# exchange. Both are named after ``control_exchange`` (these are the
# names under the default one): a topic's queue is named after the topic
# alone, so two planes sharing a vhost under different control exchanges
# would otherwise take turns consuming each other's guests' reports.
GUEST_REPORTS_EXCHANGE = 'trove-mr-guest-reports'
GUEST_REPORTS_TOPIC = 'trove-mr-conductor-guest-reports'


def topic_name():
    """``<control_exchange>-conductor``, for the reason given above."""
    return '%s-conductor' % rpc.control_exchange()


def guest_reports_exchange():
    """The exchange guests report on: ``<control_exchange>-guest-reports``."""
    return '%s-guest-reports' % rpc.control_exchange()


def guest_reports_topic():
    """The topic (and queue) of guests' reports:
    ``<control_exchange>-conductor-guest-reports``."""
    return '%s-conductor-guest-reports' % rpc.control_exchange()


# The process's name in its cell's services table (its heartbeats).
BINARY = 'trove-mr-conductor'


class ConductorAPI:
    """Calls and casts to ``trove-mr-conductor``."""

    RPC_API_VERSION = '1.1'

    def __init__(self, version_cap=None, key_id=rpc.CONTROL_KEY_ID,
                 key=None, exchange=None, topic=None):
        target = messaging.Target(exchange=exchange,
                                  topic=topic or topic_name(),
                                  version='1.0')
        self._clients = rpc.ClientCache(
            target, version_cap or self.RPC_API_VERSION,
            lambda: rpc.client_serializer(key_id, key))

    def _prepare(self, context, version, **kwargs):
        return self._clients.for_context(context).prepare(
            version=version, **kwargs)

    def ping(self, context):
        """Ask one conductor for {'service': 'conductor', 'host': ...}."""
        return self._prepare(context, '1.0').call(context, 'ping')

    def heartbeat(self, context, instance_id, payload, sent):
        """Report a guest's status (cast); ``sent`` is a UNIX timestamp.

        ``payload`` holds ``service_status`` and optionally
        ``volume_used``.
        """
        self._prepare(context, '1.0').cast(
            context, 'heartbeat', instance_id=instance_id, payload=payload,
            sent=sent)

    def update_backup(self, context, instance_id, backup_id, sent,
                      **values):
        """Report progress of a backup (cast): state, size, checksum..."""
        self._prepare(context, '1.0').cast(
            context, 'update_backup', instance_id=instance_id,
            backup_id=backup_id, sent=sent, **values)

    def guest_ready(self, context, instance_id, payload, ready_to, sent):
        """Report that prepare is over (cast): ``payload`` as a
        heartbeat's (RUNNING, or FAILED with its reason); the conductor
        records it, then wakes taskmanager process ``ready_to``."""
        self._prepare(context, '1.1').cast(
            context, 'guest_ready', instance_id=instance_id,
            payload=payload, ready_to=ready_to, sent=sent)
