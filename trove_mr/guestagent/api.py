"""Client side of the guest agent RPC API, used by the control plane.

Each guest listens on its own topic, ``guestagent.<instance id>``. With
secure RPC on, messages to a guest and its replies are sealed under that
instance's key, which the caller passes in (the taskmanager keeps the
keys, encrypted, in the database).

Version history:

| 1.0 - Initial version: ping.

Adding a call: raise RPC_API_VERSION, write a method that does
``self._call('name', version, timeout, **kwargs)`` (or ``self._cast``),
add it to the manager and raise the manager's target version.
"""

import oslo_messaging as messaging

from trove_mr.common import cfg
from trove_mr.common import rpc

CONF = cfg.CONF
TOPIC_PREFIX = 'guestagent'


def topic_for(instance_id):
    """The RPC topic guest ``instance_id`` listens on."""
    return '%s.%s' % (TOPIC_PREFIX, instance_id)


class GuestAgentAPI:
    """Calls and casts to the guest agent of one instance."""

    RPC_API_VERSION = '1.0'

    def __init__(self, context, instance_id, key=None, version_cap=None):
        self.context = context
        self.instance_id = instance_id
        target = messaging.Target(topic=topic_for(instance_id),
                                  version='1.0')
        key_id = rpc.instance_key_id(instance_id)
        self._clients = rpc.ClientCache(
            target, version_cap or self.RPC_API_VERSION,
            lambda: rpc.client_serializer(key_id, key))

    def _call(self, method, version, timeout, **kwargs):
        client = self._clients.for_context(self.context)
        return client.prepare(version=version, timeout=timeout).call(
            self.context, method, **kwargs)

    def _cast(self, method, version, **kwargs):
        client = self._clients.for_context(self.context)
        client.prepare(version=version).cast(self.context, method, **kwargs)

    def ping(self):
        """Ask the guest whether it is alive; quick call."""
        return self._call('ping', '1.0', CONF.agent_call_low_timeout)
