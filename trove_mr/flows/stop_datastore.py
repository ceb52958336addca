"""Stop an instance's Redis (the admin ``stop`` action).

The API moved the instance to task STOPPING. The guest stops Redis,
saving its data, and records that it was stopped on request, so that it
stays stopped across agent and server restarts. The flow waits for the
guest's SHUTDOWN report sent after the stop, then gives the instance back
(task NONE): it shows SHUTDOWN until a ``restart`` starts Redis again.
Any failure leaves it in ERROR with the fault. Run again after its
taskmanager died, the stop is asked again: harmless, Redis is stopped.
"""

import time

from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import cfg
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import database
from trove_mr.flows import engine
from trove_mr.flows import guest
from trove_mr.flows import reboot

CONF = cfg.CONF

OPERATION = 'trove.instance.stop'


class StopDatastore(task.Task):
    """The guest stops Redis, saving its data, and keeps it stopped."""

    default_provides = 'stopped_at'

    def execute(self, context, instance_id):
        stopped_at = time.time()
        guest.guest_client(context, instance_id).stop()
        return stopped_at

    def revert(self, *args, **kwargs):
        """Left stopped: the instance goes to ERROR; a restart brings
        Redis back."""


class WaitGuestShutdown(task.Task):
    """Check once for the guest's SHUTDOWN report sent after the stop."""

    def execute(self, context, instance_id, stopped_at, deadline_at,
                timeout):
        status = db_api.instance_status_get(context, instance_id)
        if status.heartbeat_at is None or status.status != \
                states.SERVICE_SHUTDOWN or \
                status.heartbeat_at < reboot.as_naive_utc(stopped_at):
            common.not_ready(
                common.Deadline.until(deadline_at, timeout),
                'a SHUTDOWN report after the stop (last report: %s)'
                % status.status)

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting changed nothing."""


class MarkStopped(task.Task):
    """Last task: Redis is stopped, the task ends (STOPPING -> NONE)."""

    def execute(self, context, instance_id):
        if db_api.instance_get(context, instance_id).task_status != \
                states.TASK_STOPPING:
            return  # a run before this one ended it
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.next_task(states.TASK_STOPPING, 'done'),
             'fault_message': None},
            expected_task_status=states.TASK_STOPPING)

    def revert(self, *args, **kwargs):
        """Nothing to undo: MarkErrorOnRevert sets the final state."""


def get_flow():
    """The stop flow of one instance."""
    flow = linear_flow.Flow(OPERATION)
    flow.add(database.MarkErrorOnRevert(expected=states.TASK_STOPPING,
                                        name='mark-error-on-revert'),
             StopDatastore(name='stop-datastore'),
             common.wait(WaitGuestShutdown(name='wait-guest-shutdown'),
                         interval=guest.STATUS_POLL_INTERVAL),
             MarkStopped(name='mark-stopped'))
    return flow


def submit(context, instance_id):
    """Post the stop of ``instance_id`` (task STOPPING) as a job."""
    timeout = CONF.agent_call_high_timeout * 2
    store = {'instance_id': instance_id,
             'deadline_at': common.deadline_at(timeout),
             'timeout': timeout}
    return engine.submit(context, OPERATION, get_flow, store,
                         resource_type='instance', resource_id=instance_id)
