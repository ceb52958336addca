"""The guest agent's service: RPC server, datastore bring-back, heartbeats.

One process, no launcher: oslo.service's would keep a master process
beside the worker, doubling the agent's memory for a single redis-server,
and its restart of a dead worker is the init system's job on a guest
(the image's systemd unit restarts the agent).

On start it brings back a datastore prepared before (adopting a
redis-server still running), takes RPC messages on
``guestagent.<instance id>``, then starts the heartbeats and the watch
over redis-server (``supervisor.py``). On SIGTERM or SIGINT it stops
taking messages, sending heartbeats and watching, but leaves redis-server
running: the datastore outlives the agent, and only the ``stop`` call or
the server's deletion stops it.
"""

import signal
import threading

import oslo_messaging as messaging
from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import rpc
from trove_mr.guestagent import heartbeat
from trove_mr.guestagent import manager as guest_manager
from trove_mr.guestagent import rpcapi

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# Threads taking RPC messages (oslo.messaging's default is 64). A guest
# serves one instance and its manager runs datastore changes one at a
# time; each idle thread is memory the guest's RAM is better spent on.
RPC_THREADS = 8


class GuestService:
    """``trove-mr-guestagent``: its RPC server, heartbeats and watch."""

    def __init__(self, instance_id=None):
        self.instance_id = instance_id or CONF.guest.instance_id
        self.topic = rpcapi.topic_for(self.instance_id)
        self.manager = None
        self.heartbeat = None
        self.rpcserver = None
        self._stop_requested = threading.Event()

    def start(self):
        """Bring the datastore back, serve RPC, then start heartbeats."""
        self.manager = guest_manager.GuestManager(self.instance_id)
        self.heartbeat = heartbeat.Heartbeat(
            self.manager.heartbeat_payload,
            heartbeat.guest_conductor_api(self.instance_id),
            self.instance_id, tenant_id=CONF.guest.tenant_id)
        self.manager.notify = self.heartbeat.send
        self.manager.notify_ready = self.heartbeat.send_ready
        self.manager.resume()
        target = messaging.Target(
            exchange=rpcapi.exchange_for(self.instance_id),
            topic=self.topic, server=CONF.host)
        self.rpcserver = rpc.get_server(
            target, [self.manager],
            serializer=rpc.server_serializer(rpc.guest_key_lookup))
        self.rpcserver.start(override_pool_size=RPC_THREADS)
        LOG.info('Guest agent listening on topic %s as %s', self.topic,
                 CONF.host)
        # Heartbeats start once the RPC server listens, so that a first
        # heartbeat also tells the control plane that casts will arrive.
        self.heartbeat.start()
        self.manager.supervisor.start()

    def stop(self):
        """Stop watching, heartbeats and RPC; redis-server keeps running.

        Calls in flight finish first.
        """
        if self.manager is not None:
            self.manager.supervisor.stop()
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.rpcserver is not None:
            try:
                self.rpcserver.stop()
                self.rpcserver.wait()
            except Exception:
                LOG.exception('Error stopping the RPC server')
            self.rpcserver = None
        rpc.cleanup()
        LOG.info('Guest agent of instance %s stopped', self.instance_id)

    def request_stop(self, signum=None, frame=None):
        """Signal handler: make :meth:`run` return."""
        # At once: a SIGTERM to the whole server also stops redis-server,
        # which must not be started again meanwhile.
        if self.manager is not None:
            self.manager.supervisor.halt()
        self._stop_requested.set()

    def run(self):
        """Start, serve until SIGTERM or SIGINT, stop; returns 0."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.request_stop)
        # Configuration files that may change at run time (log levels)
        # are read again on SIGHUP, as oslo.service's "mutate" did.
        signal.signal(signal.SIGHUP,
                      lambda signum, frame: CONF.mutate_config_files())
        self.start()
        try:
            # A timeout keeps the main thread able to run signal handlers.
            while not self._stop_requested.wait(1):
                pass
        finally:
            self.stop()
        return 0


def create_service():
    """The guest agent's service for the loaded configuration."""
    return GuestService()
