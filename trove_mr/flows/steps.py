"""Operations of one step, run as jobs like every other operation.

Restart and the replica actions are short conversations with guests that
end their own task (NONE, or ERROR with a fault) and never raise. Each is
a one-task flow on the jobboard: a taskmanager that dies while running it
leaves the job to another one, which runs the step again; every step is
safe to run twice.
"""

from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import notifications
from trove_mr.flows import engine
from trove_mr.flows import replica
from trove_mr.flows import restart_instance

# Operation name -> procedure(context, instance_id). Only these can run:
# a job names its step, never code.
STEPS = {
    notifications.INSTANCE_RESTART: restart_instance.run,
    notifications.INSTANCE_PROMOTE: replica.promote,
    notifications.INSTANCE_EJECT: replica.eject,
    notifications.INSTANCE_DETACH: replica.detach,
}


class RunStep(task.Task):
    """Run the step of ``operation`` on an instance."""

    def __init__(self, operation, **kwargs):
        super().__init__(name=operation.rsplit('.', 1)[-1], **kwargs)
        self.operation = operation

    def execute(self, context, instance_id):
        return STEPS[self.operation](context, instance_id)


def get_flow(operation):
    """The one-task flow of ``operation`` (a key of STEPS)."""
    if operation not in STEPS:
        raise ValueError('unknown step %r' % operation)
    flow = linear_flow.Flow(operation)
    flow.add(RunStep(operation))
    return flow


def submit(context, operation, instance_id):
    """Post step ``operation`` on ``instance_id`` as a job."""
    return engine.submit(context, operation, get_flow,
                         {'instance_id': instance_id},
                         factory_kwargs={'operation': operation},
                         resource_type='instance', resource_id=instance_id)
