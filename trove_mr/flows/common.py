"""What the tasks of every flow share: deadlines and bounded polling."""

import time

from trove_mr.common import cfg
from trove_mr.common import exceptions

CONF = cfg.CONF

# Prefix of the Nova servers and Cinder volumes of instances, and the
# metadata key that ties them to their instance: orphans are found by
# either even when their id was never recorded.
RESOURCE_PREFIX = 'trove-mr-'
METADATA_KEY = 'trove_mr_instance_id'


class BuildTimeout(exceptions.TroveMRError):
    """A step did not finish before the build's deadline."""


class StepFailed(exceptions.TroveMRError):
    """A cloud resource or the guest reported a failure."""


def resource_name(instance_id):
    """Name of the server and the volume of an instance."""
    return RESOURCE_PREFIX + instance_id


def resource_metadata(instance_id):
    """Metadata of the server and the volume of an instance."""
    return {METADATA_KEY: instance_id}


class Deadline:
    """A point in time every wait of one flow is bounded by."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds

    def remaining(self):
        return max(0.0, self.at - self._clock())

    def expired(self):
        return self._clock() >= self.at


def poll(check, deadline, waiting_for, interval=None, sleep=time.sleep):
    """Call ``check()`` until it returns a truthy value; return it.

    Bounded by ``deadline`` (a Deadline or seconds): past it, BuildTimeout
    naming ``waiting_for``. ``check`` raises to stop early on a failure.
    """
    if not isinstance(deadline, Deadline):
        deadline = Deadline(deadline)
    interval = CONF.server_poll_interval if interval is None else interval
    while True:
        result = check()
        if result:
            return result
        if deadline.expired():
            raise BuildTimeout('Timed out after %ss waiting for %s.'
                               % (int(deadline.seconds), waiting_for))
        sleep(min(interval, max(deadline.remaining(), 0.01)))
