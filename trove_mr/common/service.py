"""Long-running RPC services, launched with oslo.service.

``trove_mr`` selects oslo.service's threading backend on import: the
launcher forks one worker process (cotyledon) that runs the service, and
SIGTERM to the launcher stops the RPC server, waits for calls in flight
and exits 0.

A service that reports its state (``RPCService.report_state``) keeps a
heartbeat row in its cell's database, as Nova's service group does: written
at start-up, renewed every ``report_interval`` seconds, deleted on a clean
stop before the RPC server drains, so that the API stops counting the
process at once.
"""

import sys
import threading
import uuid

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_service import service

from trove_mr.common import batch_consumer
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import notifications
from trove_mr.common import rpc

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


class RPCService(service.Service):
    """An oslo.messaging RPC server on ``topic``, named after this host.

    :param endpoints_factory: callable returning the endpoint objects; it
        runs in the worker process, after the fork, so that no connection
        is shared across processes.
    :param key_lookup: secure-RPC key lookup of this server (see rpc.py).
    :param exchange: the exchange to listen on (default: the control
        exchange).
    :param extra_targets: more ``(exchange, topic)`` served by the same
        endpoints (the conductor takes guest reports on its own exchange
        and topic). Each needs a topic of its own: servers sharing a
        queue would take each other's messages.
    :param batched_targets: ``(exchange, topic, inline, thread_setup)``
        of topics of casts only, read in batches
        (:class:`~trove_mr.common.batch_consumer.BatchConsumer`, with its
        ``inline`` and ``thread_setup``) when ``guest_report_batch`` is
        set and the bus allows it, else served as ``extra_targets``.
    """

    def __init__(self, topic, endpoints_factory, key_lookup=None,
                 host=None, exchange=None, extra_targets=(),
                 batched_targets=()):
        super().__init__()
        self.topic = topic
        self.exchange = exchange
        self.extra_targets = tuple(extra_targets)
        self.batched_targets = tuple(batched_targets)
        self._extra_servers = []
        self.host = host or CONF.host
        self._endpoints_factory = endpoints_factory
        self._key_lookup = key_lookup or rpc.control_key_lookup
        self._periodic = []
        self._stopped = threading.Event()
        self.rpcserver = None
        self.binary = None
        self.boot_id = None
        self._reporter = None
        self._reporting = False
        self._report_lock = threading.Lock()

    def add_periodic_task(self, interval, task, initial_delay=None):
        """Run ``task()`` every ``interval`` seconds while running.

        To be called before the service starts, e.g. for the conductor's
        heartbeat expiry. A task that raises is logged and runs again at
        the next interval.
        """
        self._periodic.append((interval, task, initial_delay))

    def report_state(self, binary, record, forget):
        """Keep a heartbeat of this process as ``binary`` while it runs.

        ``record(context, host, binary, topic, boot_id,
        forget_stale_after=seconds)`` writes the heartbeat: once when the
        service starts, then every ``report_interval`` seconds;
        ``forget(context, host, binary, boot_id)`` deletes it when the
        service stops. The boot id is new at every start. To be called
        before the service starts.
        """
        self.binary = binary
        self._reporter = (record, forget)

    def start(self):
        """Start the RPC server, the heartbeat and the periodic tasks."""
        super().start()
        target = messaging.Target(exchange=self.exchange, topic=self.topic,
                                  server=self.host)
        endpoints = self._endpoints_factory()
        # The extra servers first: once the main one answers, their queues
        # exist too, so nothing sent to them is dropped by the broker.
        batched = CONF.guest_report_batch and batch_consumer.usable()
        extra_targets = list(self.extra_targets)
        for exchange, topic, inline, setup in self.batched_targets:
            if not batched:
                extra_targets.append((exchange, topic))
                continue
            consumer = batch_consumer.BatchConsumer(
                exchange, topic, rpc.get_dispatcher(
                    messaging.Target(exchange=exchange, topic=topic,
                                     server=self.host), endpoints,
                    serializer=rpc.server_serializer(self._key_lookup,
                                                     replies=False)),
                batch=CONF.guest_report_batch, inline=inline,
                thread_setup=setup)
            consumer.start()
            self._extra_servers.append(consumer)
        for exchange, topic in extra_targets:
            server = rpc.get_server(
                messaging.Target(exchange=exchange, topic=topic,
                                 server=self.host), endpoints,
                serializer=rpc.server_serializer(self._key_lookup))
            server.start()
            self._extra_servers.append(server)
        self.rpcserver = rpc.get_server(
            target, endpoints,
            serializer=rpc.server_serializer(self._key_lookup))
        self.rpcserver.start()
        if self._reporter is not None:
            self._start_reporting()
        for interval, task, initial_delay in self._periodic:
            self.tg.add_timer(interval, self._guarded(task),
                              initial_delay=initial_delay)
        LOG.info('%s listening on topic %s as %s', self.__class__.__name__,
                 self.topic, self.host)

    def _start_reporting(self):
        if CONF.service_down_time <= CONF.report_interval:
            LOG.warning('service_down_time (%d s) should be several times '
                        'report_interval (%d s): services will seem down '
                        'between two heartbeats.', CONF.service_down_time,
                        CONF.report_interval)
        # Made here, in the worker process: a worker the launcher starts
        # again is a process of its own.
        self.boot_id = uuid.uuid4().hex
        self._reporting = True
        # The first heartbeat before start() returns: a service that has
        # just started counts as alive at once.
        self._report()
        self.tg.add_timer(CONF.report_interval, self._report,
                          initial_delay=CONF.report_interval)

    def _report_context(self):
        return trove_context.get_admin_context(CONF.region_name)

    def _report(self):
        record, _forget = self._reporter
        with self._report_lock:
            if not self._reporting:
                return
            try:
                record(self._report_context(), self.host, self.binary,
                       self.topic, self.boot_id,
                       forget_stale_after=CONF.service_down_time)
            except Exception as exc:
                # Only the error's type: its text may carry a database
                # URL. The next heartbeat tries again.
                LOG.warning('Could not record the heartbeat of %s on %s: '
                            '%s', self.binary, self.host,
                            type(exc).__name__)

    def _stop_reporting(self):
        if self._reporter is None:
            return
        _record, forget = self._reporter
        with self._report_lock:
            if not self._reporting:
                return
            self._reporting = False
            try:
                forget(self._report_context(), self.host, self.binary,
                       self.boot_id)
            except Exception as exc:
                LOG.warning('Could not delete the heartbeat of %s on %s: '
                            '%s; it expires after service_down_time.',
                            self.binary, self.host, type(exc).__name__)

    @staticmethod
    def _guarded(task):
        def run():
            try:
                task()
            except Exception:
                LOG.exception('Periodic task %s failed', task)
        return run

    def stop(self, graceful=True):
        """Delete the heartbeat, stop taking messages, finish those in
        flight, then stop."""
        # First: while calls in flight finish, the API already refuses
        # new work for this process.
        self._stop_reporting()
        for server in [self.rpcserver] + self._extra_servers:
            if server is None:
                continue
            try:
                server.stop()
                server.wait()
            except Exception:
                LOG.exception('Error stopping the RPC server')
        self._extra_servers = []
        super().stop(graceful)
        rpc.cleanup()
        notifications.cleanup()
        self._stopped.set()
        LOG.info('Stopped %s on topic %s', self.__class__.__name__,
                 self.topic)

    def wait(self):
        """Block until the service is stopped."""
        self._stopped.wait()
        super().wait()


# The OpenStack clients log whole requests and answers at DEBUG, bodies
# included, and a server create carries the guest's configuration (bus
# credentials, its RPC key) in its user data: keep them at INFO even when
# debug is on. Operators may still change default_log_levels.
QUIET_LOGGERS = ['novaclient=INFO', 'cinderclient=INFO', 'glanceclient=INFO',
                 'swiftclient=INFO', 'keystoneauth=INFO']


def prepare_service(argv):
    """Parse config and set up logging for a service process."""
    logging.register_options(CONF)
    logging.set_defaults(default_log_levels=[
        level for level in logging.get_default_log_levels()
        if level.split('=')[0] not in
        {q.split('=')[0] for q in QUIET_LOGGERS}] + QUIET_LOGGERS)
    cfg.parse_args(argv)
    logging.setup(CONF, 'trove-mr')
    for name in cfg.keys_left_at_default():
        LOG.warning('%s is still the built-in default, which is public: '
                    'set your own key before serving real tenants.', name)


def serve(rpc_service, workers=1):
    """Launch ``rpc_service`` in ``workers`` processes and block until it
    stops; exit its code."""
    launcher = service.launch(CONF, rpc_service, workers=workers,
                              restart_method='mutate')
    sys.exit(launcher.wait() or 0)
