"""The guest agent's service: RPC server, datastore bring-back, heartbeats.

Runs in the launcher's worker process. On start it brings back a datastore
prepared before (adopting a redis-server still running), starts the
heartbeats, then takes RPC messages on ``guestagent.<instance id>``. On
SIGTERM it stops taking messages and sending heartbeats but leaves
redis-server running: the datastore outlives the agent, and only the
``stop`` call or the server's deletion stops it.
"""

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import rpc
from trove_mr.common import service
from trove_mr.guestagent import heartbeat
from trove_mr.guestagent import manager as guest_manager
from trove_mr.guestagent import rpcapi

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


class GuestService(service.RPCService):
    """``trove-mr-guestagent``'s RPC service with its heartbeat thread."""

    def __init__(self, instance_id=None):
        self.instance_id = instance_id or CONF.guest.instance_id
        self.manager = None
        self.heartbeat = None
        super().__init__(rpcapi.topic_for(self.instance_id),
                         self._endpoints, key_lookup=rpc.guest_key_lookup,
                         exchange=rpcapi.exchange_for(self.instance_id))

    def _endpoints(self):
        return [self.manager]

    def start(self):
        """Bring the datastore back, serve RPC, then start heartbeats."""
        self.manager = guest_manager.GuestManager(self.instance_id)
        self.heartbeat = heartbeat.Heartbeat(
            self.manager.heartbeat_payload,
            heartbeat.guest_conductor_api(self.instance_id),
            self.instance_id, tenant_id=CONF.guest.tenant_id)
        self.manager.notify = self.heartbeat.send
        self.manager.resume()
        super().start()
        # Heartbeats start once the RPC server listens, so that a first
        # heartbeat also tells the control plane that casts will arrive.
        self.heartbeat.start()

    def stop(self, graceful=True):
        """Stop RPC and heartbeats; redis-server keeps running."""
        if self.heartbeat is not None:
            self.heartbeat.stop()
        super().stop(graceful)


def create_service():
    """The guest agent's service for the loaded configuration."""
    return GuestService()
