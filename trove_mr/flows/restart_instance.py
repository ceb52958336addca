"""Restart an instance's Redis: REBOOTING, guest restart, RUNNING, NONE."""

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import faults
from trove_mr.common import states
from trove_mr.db import rows
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import database
from trove_mr.flows import guest

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def start_rebooting(context, instance_id):
    """Move the instance to task REBOOTING unless the API already did."""
    instance = db_api.instance_get(context, instance_id)
    if instance.task_status == states.TASK_REBOOTING:
        return instance
    return db_api.instance_update(
        context, instance_id,
        {'task_status': states.next_task(instance.task_status, 'restart')},
        expected_task_status=instance.task_status)


def run(context, instance_id):
    """Restart the guest's datastore; never raises.

    Returns True when the guest reported RUNNING again (task NONE), False
    when the instance went to ERROR or could not be restarted.
    """
    try:
        start_rebooting(context, instance_id)
    except exceptions.TroveMRError as exc:
        LOG.warning('Cannot restart instance %s: %s', instance_id, exc)
        return False
    started = rows.now()
    deadline = common.Deadline(CONF.agent_call_high_timeout)
    try:
        guest.guest_client(context, instance_id).restart()
        guest.wait_for_status(context, instance_id, deadline,
                              'a RUNNING heartbeat after the restart',
                              since=started)
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.next_task(states.TASK_REBOOTING, 'done'),
             'fault_message': None,
             # The restart applied the configuration values waiting
             # for one.
             'configuration_restart_required': False},
            expected_task_status=states.TASK_REBOOTING)
    except Exception as exc:  # noqa: BLE001 - recorded as the fault
        LOG.exception('Restart of instance %s failed', instance_id)
        database.mark_error(context, instance_id,
                            faults.tenant_message(exc, 'Restart failed'),
                            states.TASK_REBOOTING,
                            details=faults.details(exc))
        return False
    return True
