"""The conductor service: its RPC server, its own heartbeat and the guest
heartbeat expiry task."""

from trove_mr.common import cfg
from trove_mr.common import rpc
from trove_mr.common import service
from trove_mr.conductor import manager
from trove_mr.conductor import rpcapi
from trove_mr.conductor import status_writer
from trove_mr.db.main import api as db_api

CONF = cfg.CONF


def _endpoints():
    # Guests seal their messages under their own key; the conductor finds
    # it in the database by the instance id the message names.
    rpc.set_instance_key_source(manager.instance_rpc_key)
    return [manager.ConductorManager()]


def expiry_check_interval():
    """Seconds between two heartbeat expiry checks.

    A third of the expiry, so that a silent guest is marked at most a
    third of ``agent_heartbeat_expiry`` late.
    """
    return max(1, CONF.agent_heartbeat_expiry // 3)


def create_service():
    """The conductor's RPC service with its own heartbeat in the cell's
    database and the guest heartbeat expiry task."""
    conductor = service.RPCService(
        rpcapi.topic_name(), _endpoints,
        key_lookup=rpc.conductor_key_lookup,
        # Heartbeats are dispatched in order on the consumer's thread
        # (they only queue their write); other reports on worker threads.
        batched_targets=[(rpcapi.guest_reports_exchange(),
                          rpcapi.guest_reports_topic(), ('heartbeat',),
                          lambda: status_writer.callers_wait(False))])
    conductor.report_state(rpcapi.BINARY, db_api.service_heartbeat,
                           db_api.service_delete)
    interval = expiry_check_interval()
    conductor.add_periodic_task(interval, manager.mark_lost_guests,
                                initial_delay=interval)
    return conductor
