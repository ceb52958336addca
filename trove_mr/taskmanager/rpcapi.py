"""Client side of the taskmanager RPC API.

Version history:

| 1.0 - Initial version: ping, ping_conductor.

Add a method by raising RPC_API_VERSION (1.1, 1.2, ...), giving the method
``version='1.x'`` in its ``prepare`` call, adding a line above, and raising
the manager's ``target`` version to match.
"""

import oslo_messaging as messaging

from trove_mr.common import rpc

TOPIC = 'trove-mr-taskmanager'


class TaskManagerAPI:
    """Calls and casts to ``trove-mr-taskmanager``."""

    RPC_API_VERSION = '1.0'

    def __init__(self, version_cap=None):
        target = messaging.Target(topic=TOPIC, version='1.0')
        self._clients = rpc.ClientCache(
            target, version_cap or self.RPC_API_VERSION,
            rpc.client_serializer)

    def _prepare(self, context, version, **kwargs):
        return self._clients.for_context(context).prepare(
            version=version, **kwargs)

    def ping(self, context):
        """Ask one taskmanager for {'service': 'taskmanager', 'host': ...}."""
        return self._prepare(context, '1.0').call(context, 'ping')

    def ping_conductor(self, context):
        """Ping a conductor through a taskmanager; returns both answers."""
        return self._prepare(context, '1.0').call(context, 'ping_conductor')
