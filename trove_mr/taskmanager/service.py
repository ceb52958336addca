"""The taskmanager service: its RPC server, job conductor, periodic work."""

import threading

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import readiness
from trove_mr.common import rpc
from trove_mr.common import service
from trove_mr.db.main import api as db_api
from trove_mr.flows import engine as flow_engine
from trove_mr.taskmanager import conductor
from trove_mr.taskmanager import manager
from trove_mr.taskmanager import recovery
from trove_mr.taskmanager import rpcapi

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


class TaskManagerService(service.RPCService):
    """RPC server (casts become jobs) and job conductor (runs jobs).

    On SIGTERM it stops taking casts and jobs first, then gives running
    jobs ``[taskflow] shutdown_timeout`` seconds to reach a save point;
    what is left goes back to the board for another taskmanager.
    """

    def __init__(self, host=None):
        self.endpoint = None
        self.job_conductor = None
        self.wake_server = None
        super().__init__(rpcapi.topic_name(), self._make_endpoints,
                         key_lookup=rpc.control_key_lookup, host=host)

    def _make_endpoints(self):
        # Runs in the worker process, after the fork.
        self.endpoint = manager.TaskManager(host=self.host)
        return [self.endpoint]

    def start(self):
        super().start()
        # Before any job runs: the flows name this process's wake target
        # in the guests' prepare.
        self.wake_server = readiness.start_server(self.host)
        # What taskmanagers of this host that died left behind, aside:
        # listing queues may start a rabbitmqctl (seconds).
        threading.Thread(target=readiness.sweep_dead_wake_queues,
                         args=(self.host,), name='wake-sweep',
                         daemon=True).start()
        if flow_engine.jobboard_enabled():
            self.job_conductor = conductor.JobConductor(self.endpoint.keeper)
            self.job_conductor.start()

    def stop(self, graceful=True):
        # The heartbeat goes first: the API refuses new work for this
        # process while its jobs reach a save point.
        self._stop_reporting()
        if self.job_conductor is not None:
            self.job_conductor.stop()
        if self.endpoint is not None:
            self.endpoint.keeper.stop()
        if self.wake_server is not None:
            readiness.stop_server(self.wake_server)
            self.wake_server = None
        super().stop(graceful)


def create_service(host=None):
    """The service of ``trove-mr-taskmanager``.

    Periodic work: its heartbeat in the cell's database (written at
    start-up, deleted on a clean stop; the API refuses actions of a cell
    with no live taskmanager), recovery of abandoned builds (first run
    right after start-up) and the comparison of instances with their Nova
    servers.
    """
    tm_service = TaskManagerService(host=host)
    tm_service.report_state(rpcapi.BINARY, db_api.service_heartbeat,
                            db_api.service_delete)
    tm_service.add_periodic_task(
        CONF.build_recovery_interval,
        recovery.guarded('Build recovery',
                         lambda: tm_service.endpoint.recover_builds()),
        initial_delay=1)
    tm_service.add_periodic_task(
        CONF.nova_reconcile_interval,
        recovery.guarded('Server reconciliation',
                         lambda: tm_service.endpoint.reconcile_servers()),
        initial_delay=CONF.nova_reconcile_interval)
    tm_service.add_periodic_task(
        CONF.redis.standby_watch_interval,
        recovery.guarded('Standby watch',
                         lambda: tm_service.endpoint.watch_standby_clusters()),
        initial_delay=CONF.redis.standby_watch_interval)
    return tm_service
