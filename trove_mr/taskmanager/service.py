"""The taskmanager service: its RPC server and its periodic work."""

from trove_mr.common import cfg
from trove_mr.common import rpc
from trove_mr.common import service
from trove_mr.db.main import api as db_api
from trove_mr.taskmanager import manager
from trove_mr.taskmanager import recovery
from trove_mr.taskmanager import rpcapi

CONF = cfg.CONF


def create_service(host=None):
    """The RPC service of ``trove-mr-taskmanager``.

    Periodic work: its heartbeat in the cell's database (written at
    start-up, deleted on a clean stop; the API refuses actions of a cell
    with no live taskmanager), recovery of abandoned builds (first run
    right after start-up) and the comparison of instances with their Nova
    servers.
    """
    endpoints = []

    def make_endpoints():
        # Runs in the worker process, after the fork.
        endpoints[:] = [manager.TaskManager(host=host)]
        return list(endpoints)

    rpc_service = service.RPCService(
        rpcapi.TOPIC, make_endpoints, key_lookup=rpc.control_key_lookup,
        host=host)
    rpc_service.report_state(rpcapi.BINARY, db_api.service_heartbeat,
                             db_api.service_delete)
    rpc_service.add_periodic_task(
        CONF.build_recovery_interval,
        recovery.guarded('Build recovery',
                         lambda: endpoints[0].recover_builds()),
        initial_delay=1)
    rpc_service.add_periodic_task(
        CONF.nova_reconcile_interval,
        recovery.guarded('Server reconciliation',
                         lambda: endpoints[0].reconcile_servers()),
        initial_delay=CONF.nova_reconcile_interval)
    return rpc_service
