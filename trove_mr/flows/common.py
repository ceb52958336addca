"""What the tasks of every flow share: deadlines, waits and polling.

A wait is a task that checks once and raises :class:`NotReady` while its
condition does not hold; :func:`wait` wraps it in a subflow whose retry
controller (:class:`PollRetry`) sleeps and runs it again. The engine, not
a loop inside ``execute``, owns the time, so a flow is saved (and can be
resumed by another taskmanager) between two checks. Deadlines are wall
clock times (``deadline_at``, seconds since the epoch) kept in the store,
so they survive a change of taskmanager.
"""

import time

from taskflow import retry
from taskflow.patterns import linear_flow

from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import readiness

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


class NotReady(exceptions.TroveMRError):
    """A wait's condition does not hold yet: check again later.

    ``wake_key`` (an instance id) names what a readiness push wakes
    (common/readiness.py): the retry then sleeps until woken.
    """

    def __init__(self, message=None, wake_key=None, **kwargs):
        super().__init__(message, **kwargs)
        self.wake_key = wake_key


def resource_name(instance_id):
    """Name of the server and the volume of an instance."""
    return RESOURCE_PREFIX + instance_id


def resource_metadata(instance_id):
    """Metadata of the server and the volume of an instance."""
    return {METADATA_KEY: instance_id}


def deadline_at(seconds, started_at=None):
    """The wall-clock deadline (epoch seconds) ``seconds`` after a start."""
    return (time.time() if started_at is None else started_at) + seconds


class Deadline:
    """A point in time every wait of one flow is bounded by."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds

    @classmethod
    def until(cls, at, seconds):
        """The deadline at wall-clock time ``at`` of a ``seconds`` budget.
        """
        deadline = cls(seconds, clock=time.time)
        deadline.at = at
        return deadline

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


def check_deadline(deadline, waiting_for):
    """Raise BuildTimeout naming ``waiting_for`` once ``deadline`` passed.
    """
    if deadline.expired():
        raise BuildTimeout('Timed out after %ss waiting for %s.'
                           % (int(deadline.seconds), waiting_for))


def not_ready(deadline, waiting_for, wake_key=None):
    """What a wait raises when its condition does not hold yet; a push
    for ``wake_key`` ends the retry's sleep early."""
    check_deadline(deadline, waiting_for)
    raise NotReady('Still waiting for %s.' % waiting_for,
                   wake_key=wake_key)


# The first check of a wait comes this soon after the one before; each
# further one twice as late, up to the wait's interval. Most things waited
# for (a volume, a server of the local cloud, a guest's report) are ready
# in well under a second: a full interval first would be mostly idle.
FIRST_POLL = 0.05


def backoff(attempt, interval):
    """Seconds to sleep after the ``attempt``-th (1-based) failed check."""
    return min(interval, FIRST_POLL * 2 ** min(max(attempt - 1, 0), 16))


def _wake_key(failures):
    """The one key a push may wake these failures' wait for, or None."""
    keys = {getattr(f.exception, 'wake_key', None) for f in failures}
    return keys.pop() if len(keys) == 1 else None


class PollRetry(retry.Retry):
    """Runs its subflow again while it raises NotReady, soon at first then
    every ``interval`` seconds (:func:`backoff`); any other failure
    reverts (the wait's own deadline raises BuildTimeout)."""

    def __init__(self, interval=None, **kwargs):
        super().__init__(**kwargs)
        self.interval = interval

    def on_failure(self, history, *args, **kwargs):
        failures = ([f for _name, f in history.outcomes_iter(index=-1)]
                    if len(history) else [])
        if failures and all(f.check(NotReady) for f in failures):
            interval = (CONF.server_poll_interval if self.interval is None
                        else self.interval)
            key = _wake_key(failures)
            if key is None:
                time.sleep(backoff(len(history), interval))
            else:
                readiness.WAITERS.sleep(key, backoff(
                    len(history), readiness.poll_interval(interval)))
            return retry.RETRY
        return retry.REVERT_ALL

    def execute(self, history, *args, **kwargs):
        return len(history)

    def revert(self, history, *args, **kwargs):
        """Nothing to undo: retrying built nothing."""


def bound(task_class, prefix, per_instance, **kwargs):
    """``task_class`` named and bound for the instance of ``prefix``.

    Flows that run one subflow per instance (a cluster's members, the
    replicas of one request) keep each instance's values in the store
    under ``<prefix><name>``: the task's name, the arguments it requires
    and the values it provides that are in ``per_instance`` take the
    prefix; the others (shared values) keep their names.
    """
    probe = task_class(**kwargs)
    if not prefix:
        return probe

    def own(name):
        return prefix + name if name in per_instance else name
    rebind = {arg: own(arg) for arg in probe.requires | probe.optional
              if arg in per_instance}
    provides = task_class.default_provides
    if provides:
        kwargs['provides'] = own(provides) if isinstance(provides, str) \
            else [own(name) for name in provides]
    return task_class(name=prefix + probe.name, rebind=rebind, **kwargs)


def wait(check_task, interval=None):
    """``check_task`` retried by a PollRetry until it stops raising
    NotReady."""
    flow = linear_flow.Flow(check_task.name + '-wait',
                            retry=PollRetry(interval=interval,
                                            name=check_task.name + '-retry'))
    flow.add(check_task)
    return flow
