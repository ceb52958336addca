"""Per-step times of a running flow, in the taskmanager's log.

A listener on an engine logs, for every task that ends (in success,
failure or revert), how long it ran and when it ended, counted from the
engine's start: where an operation's time goes, read from the log of one
run (``grep 'Step ' trove-mr-taskmanager.log``).
"""

import time

from oslo_log import log as logging
from taskflow import states
from taskflow.listeners import base

LOG = logging.getLogger(__name__)

_ENDED = (states.SUCCESS, states.FAILURE, states.REVERTED)


class StepTimes(base.Listener):
    """Logs each task's duration and end (seconds from the start)."""

    def __init__(self, engine, label=None, clock=time.monotonic,
                 log=None):
        super().__init__(engine, task_listen_for=(states.RUNNING,) +
                         _ENDED, flow_listen_for=(),
                         retry_listen_for=())
        self.label = label or ''
        self._clock = clock
        self._log = log or LOG
        self._started_at = None
        self._running = {}

    def register(self):
        self._started_at = self._clock()
        super().register()

    def _task_receiver(self, state, details):
        now = self._clock()
        name = details.get('task_name')
        if state == states.RUNNING:
            self._running[name] = now
            return
        began = self._running.pop(name, now)
        self._log.debug('Step %s of %s %s: %.3f s, ended at +%.3f s',
                        name, self.label, state.lower(), now - began,
                        now - (self._started_at or now))
