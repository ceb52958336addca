"""The agent's watch over redis-server: started again when it dies.

A daemon thread looks at the prepared guest's redis-server every
``[guest] datastore_check_interval`` seconds. A server that is gone
without having been stopped on request (killed, crashed, out of memory)
is started again at once, then, if it keeps dying, after a backoff that
doubles from 2 s up to ``datastore_restart_max_delay`` seconds; one that
exited cleanly (SIGTERM, a client's SHUTDOWN) after ``CLEAN_EXIT_GRACE``
seconds, unless the agent itself is stopping meanwhile. After
``datastore_restart_limit`` restarts within ``datastore_restart_window``
seconds the agent stops trying: the guest reports FAILED with the reason
until a user restarts it (the restart call, or a reboot).

Every restart is counted in the prepare marker, so the count outlives
the agent, and every heartbeat carries the count, the time and the
reason of the last one: the conductor keeps them on the instance's status
for admins (``/mgmt/instances/<id>``). A server alive but not answering
(hung, still loading its data) is only reported, never killed.

The supervisor takes the manager's lock without waiting: while a call
works on redis-server (prepare, restart, stop, overrides, resize), it
looks again at the next interval.
"""

import collections
import threading
import time

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.guestagent import bootstrap
from trove_mr.guestagent.datastore.redis import service as redis_service

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# Seconds a redis-server that exited cleanly stays down before it is
# started again: a clean exit is how it answers SIGTERM, which a server
# shutdown sends to the agent as well, and the agent stopping must not
# leave a new redis-server behind.
CLEAN_EXIT_GRACE = 2

# Marker fields (see bootstrap.write_marker).
COUNT_FIELD = 'datastore_restarts'
LAST_AT_FIELD = 'last_restart_at'
LAST_REASON_FIELD = 'last_restart_reason'


def restart_report(marker):
    """``{'count', 'last_at', 'last_reason'}`` from the marker, or None
    when redis-server was never restarted by the agent."""
    marker = marker or {}
    count = int(marker.get(COUNT_FIELD) or 0)
    if not count:
        return None
    return {'count': count, 'last_at': marker.get(LAST_AT_FIELD),
            'last_reason': marker.get(LAST_REASON_FIELD)}


class Supervisor:
    """Starts ``manager.app`` again when its redis-server dies.

    :param manager: the GuestManager; the supervisor uses its ``app``,
        ``phase``, ``layout``, ``_lock``, ``notify``, ``_record`` and
        ``_apply_saved_logs``.
    :param start_timeout: seconds a start may take.
    :param clock: monotonic clock (patched in tests).
    """

    def __init__(self, manager, start_timeout=60, interval=None,
                 limit=None, window=None, max_delay=None,
                 clock=time.monotonic):
        self._manager = manager
        self._start_timeout = start_timeout
        self.interval = interval or CONF.guest.datastore_check_interval
        self.limit = CONF.guest.datastore_restart_limit \
            if limit is None else limit
        self.window = window or CONF.guest.datastore_restart_window
        self.max_delay = max_delay or CONF.guest.datastore_restart_max_delay
        self._clock = clock
        # Monotonic times of the restarts tried within the window.
        self._recent = collections.deque()
        self._next_try = 0.0
        self._failures = 0
        # Why the supervisor gave up, shown as the guest's failure.
        self.failure = None
        # restart_report() of the marker, sent with every heartbeat.
        self.report = None
        self._stop = threading.Event()
        self._thread = None

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        """Start watching (no-op when ``datastore_restart_limit`` is 0)."""
        if self._thread is not None or self.limit <= 0:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run,
                                        name='datastore-supervisor',
                                        daemon=True)
        self._thread.start()

    def halt(self):
        """Start nothing more (safe in a signal handler); see stop()."""
        self._stop.set()

    def stop(self, timeout=5):
        """Stop watching and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the watch must go on
                LOG.exception('Checking redis-server failed')

    def reset(self):
        """Forget the recent restarts: a user started redis-server again
        (restart call, prepare, upgrade), so trying again is allowed."""
        self._recent.clear()
        self._next_try = 0.0
        self._failures = 0
        self.failure = None

    # -- one look ----------------------------------------------------------

    def check(self):
        """Look once; start redis-server again if it died.

        :returns: ``'restarted'``, ``'failed'`` (a start failed),
            ``'gave-up'``, ``'waiting'`` (backoff), ``'busy'`` (a call
            holds the lock) or None (nothing to do).
        """
        manager = self._manager
        dead = self._needs_restart(manager.app, manager.phase)
        if not dead:
            return None
        if dead == redis_service.SHUTDOWN and \
                self._stop.wait(CLEAN_EXIT_GRACE):
            return None
        if not manager._lock.acquire(blocking=False):
            return 'busy'
        try:
            app = manager.app
            # Looked at again under the lock: a call may have just
            # stopped or replaced it.
            if not self._needs_restart(app, manager.phase) or \
                    self._stop.is_set():
                return None
            outcome = self._restart(app)
        finally:
            manager._lock.release()
        manager.notify()
        return outcome

    def _needs_restart(self, app, phase):
        """The status of a redis-server that died (FAILED, or SHUTDOWN
        after a clean exit nobody asked for), else None."""
        # 'ready' is manager.PHASE_READY (the manager imports this module).
        if phase != 'ready' or app is None or self.failure:
            return None
        details = app.status_details()
        if details['process_alive'] or app.stopped_on_request:
            return None
        if details['status'] in (redis_service.FAILED,
                                 redis_service.SHUTDOWN):
            return details['status']
        return None

    def _restart(self, app):
        now = self._clock()
        if now < self._next_try:
            return 'waiting'
        while self._recent and self._recent[0] < now - self.window:
            self._recent.popleft()
        reason = app.exit_reason()
        if len(self._recent) >= self.limit:
            self.failure = (
                'redis-server died %d times within %d s; the agent stopped '
                'starting it again (last: %s). Restart the instance once '
                'the cause is fixed.' % (len(self._recent) + 1, self.window,
                                         reason))
            LOG.error('%s', self.failure)
            return 'gave-up'
        self._recent.append(now)
        LOG.warning('redis-server at %s:%d died (%s); starting it again.',
                    app.address, app.port, reason)
        try:
            app.start(timeout=self._start_timeout)
        except Exception as exc:  # noqa: BLE001 - retried with backoff
            self._failures += 1
            delay = min(self.max_delay, 2 ** (self._failures - 1))
            self._next_try = self._clock() + delay
            LOG.error('redis-server did not start again (%s); next try in '
                      '%d s.', exc, delay)
            return 'failed'
        self._failures = 0
        # A server that keeps dying right after starting waits longer
        # each time before its next start.
        self._next_try = self._clock() + min(
            self.max_delay, 2 ** (len(self._recent) - 1)) \
            if len(self._recent) > 1 else 0.0
        self._count_restart(reason)
        self._manager._apply_saved_logs()
        return 'restarted'

    def load(self, marker):
        """Take the restart count of an agent that ran before."""
        self.report = restart_report(marker)

    def _count_restart(self, reason):
        manager = self._manager
        marker = bootstrap.read_marker(manager.layout) or {}
        count = int(marker.get(COUNT_FIELD) or 0) + 1
        changes = {COUNT_FIELD: count, LAST_AT_FIELD: time.time(),
                   LAST_REASON_FIELD: reason}
        marker.update(changes)
        self.report = restart_report(marker)
        try:
            manager._record(**changes)
        except OSError as exc:
            LOG.error('Could not count the restart in the marker: %s', exc)
        LOG.warning('redis-server started again (restart %d of this '
                    'instance).', count)
