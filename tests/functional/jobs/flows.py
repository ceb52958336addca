"""A tiny flow for the job tests, rebuilt by TaskFlow from its name."""

from taskflow import task
from taskflow.patterns import linear_flow


class Reserve(task.Task):
    def execute(self, instance_id):
        return instance_id


class Build(task.Task):
    def __init__(self, fail, **kwargs):
        super().__init__(name='build', **kwargs)
        self.fail = fail

    def execute(self, instance_id):
        if self.fail:
            raise RuntimeError('no valid host for %s' % instance_id)
        return instance_id


class Finish(task.Task):
    def execute(self, instance_id):
        return instance_id


def get_flow(fail=False):
    """reserve, build (raises when ``fail``), finish."""
    flow = linear_flow.Flow('test-job')
    flow.add(Reserve(name='reserve'), Build(fail), Finish(name='finish'))
    return flow
