"""The taskmanager service: its RPC server and its periodic work."""

from trove_mr.common import rpc
from trove_mr.common import service
from trove_mr.taskmanager import manager
from trove_mr.taskmanager import rpcapi


def create_service(host=None):
    """The RPC service of ``trove-mr-taskmanager``.

    Periodic work (e.g. failing instances stuck in BUILD past
    ``usage_timeout``) is added with ``add_periodic_task`` here.
    """
    return service.RPCService(
        rpcapi.TOPIC, lambda: [manager.TaskManager(host=host)],
        key_lookup=rpc.control_key_lookup, host=host)
