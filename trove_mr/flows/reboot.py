"""Reboot an instance's server (the admin ``reboot`` action).

The API moved the instance to task REBOOTING. The flow reboots the Nova
server in the instance's own region, waits for it to be ACTIVE again and
for the guest's first RUNNING heartbeat sent after the reboot, then gives
the instance back (task NONE); a guest that keeps Redis stopped on
request (an admin's ``stop``) ends the wait with its SHUTDOWN report.
Any failure leaves it in ERROR with the
fault. Run again after its taskmanager died, a task reboots once more:
harmless, and the waits only count what happened after the last reboot.
"""

import datetime
import time

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import database
from trove_mr.flows import engine
from trove_mr.flows import guest

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

OPERATION = 'trove.instance.reboot'


def as_naive_utc(epoch):
    """A time.time() value as the naive UTC datetime rows hold."""
    return datetime.datetime.fromtimestamp(
        epoch, datetime.timezone.utc).replace(tzinfo=None)


class RebootServer(task.Task):
    """Ask Nova, in the instance's region, for a soft reboot."""

    default_provides = 'rebooted_at'

    def execute(self, context, instance_id):
        instance = db_api.instance_get(context, instance_id)
        if not instance.server_id:
            raise common.StepFailed('Instance %s has no server to reboot.'
                                    % instance_id)
        nova = clients.create_nova_client(context, instance.region_name)
        nova.servers.reboot(instance.server_id)
        # The local and real Nova stop the old guest before answering a
        # reboot or soon after; heartbeats after this time are the new
        # guest's.
        return time.time()

    def revert(self, *args, **kwargs):
        """Nothing to undo: a reboot cannot be taken back."""


class WaitServerRebooted(task.Task):
    """Check once that the server is ACTIVE again."""

    def execute(self, context, instance_id, deadline_at, timeout):
        instance = db_api.instance_get(context, instance_id)
        nova = clients.create_nova_client(context, instance.region_name)
        server = nova.servers.get(instance.server_id)
        if server.status == 'ERROR':
            fault = (getattr(server, 'fault', None) or {}).get(
                'message', 'no fault given')
            raise common.StepFailed(
                'Server %s failed in region %s: %s'
                % (server.id, instance.region_name, fault))
        if server.status != 'ACTIVE':
            common.not_ready(common.Deadline.until(deadline_at, timeout),
                             'server %s to be ACTIVE after its reboot'
                             % server.id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting built nothing."""


class WaitGuestRunningAgain(task.Task):
    """Check once for a RUNNING heartbeat sent after the reboot, or a
    SHUTDOWN one from a guest that keeps Redis stopped on request."""

    def execute(self, context, instance_id, rebooted_at, deadline_at,
                timeout):
        # A FAILED report is not final here: a guest coming back may
        # report the redis-server that died with the old boot before it
        # starts a new one. Only the deadline ends the wait.
        status = db_api.instance_status_get(context, instance_id)
        since = as_naive_utc(rebooted_at)
        if status.heartbeat_at is not None and status.heartbeat_at >= since:
            if status.status == states.SERVICE_RUNNING:
                return
            if status.status == states.SERVICE_SHUTDOWN and \
                    guest.status_now(context, instance_id).get(
                        'stopped_on_request'):
                LOG.info('Instance %s rebooted; its Redis stays stopped '
                         'on request', instance_id)
                return
        common.not_ready(
            common.Deadline.until(deadline_at, timeout),
            'a RUNNING heartbeat after the reboot (last report: %s)'
            % status.status)

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting built nothing."""


class MarkRebooted(task.Task):
    """Last task: the guest runs again (REBOOTING -> NONE)."""

    def execute(self, context, instance_id):
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.next_task(states.TASK_REBOOTING, 'done'),
             'fault_message': None},
            expected_task_status=states.TASK_REBOOTING)

    def revert(self, *args, **kwargs):
        """Nothing to undo: MarkErrorOnRevert sets the final state."""


def get_flow():
    """The reboot flow of one instance."""
    flow = linear_flow.Flow(OPERATION)
    flow.add(database.MarkErrorOnRevert(expected=states.TASK_REBOOTING,
                                        name='mark-error-on-revert'),
             RebootServer(name='reboot-server'),
             common.wait(WaitServerRebooted(name='wait-server-rebooted')),
             common.wait(WaitGuestRunningAgain(name='wait-guest-running'),
                         interval=guest.STATUS_POLL_INTERVAL),
             MarkRebooted(name='mark-rebooted'))
    return flow


def instance_store(instance_id):
    """The plain store of the reboot of ``instance_id``."""
    timeout = CONF.reboot_time_out + CONF.agent_call_high_timeout
    return {'instance_id': instance_id,
            'deadline_at': common.deadline_at(timeout),
            'timeout': timeout}


def submit(context, instance_id):
    """Post the reboot of ``instance_id`` as a job."""
    return engine.submit(context, OPERATION, get_flow,
                         instance_store(instance_id),
                         resource_type='instance', resource_id=instance_id)
