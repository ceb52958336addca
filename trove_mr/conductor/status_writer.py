"""Group commit of guest heartbeats: one transaction for many guests.

At 10,000 guests reporting every 10 s a cell takes 1,000 heartbeats a
second, and a transaction (a connection, a commit, an fsync) per
heartbeat cannot keep up. The conductor's RPC threads hand heartbeats to
one writer thread, which records every heartbeat waiting at that moment
in one transaction; those that arrive meanwhile go in the next one.

A heartbeat that finds the writer idle is written ``[DEFAULT]
heartbeat_write_window`` seconds later, with every heartbeat that came
meanwhile, and its RPC thread waits for it (``record`` then answers
whether it applied): at a few heartbeats a second a transaction each
would be most of the conductor's CPU. Under load the threads do not
wait: the batches grow by themselves and the thread goes back to the
bus. Heartbeats are casts,
already taken off the bus, and periodic: one lost with the conductor
process is replaced by the guest's next. Past ``MAX_QUEUE`` waiting
heartbeats the threads wait again, so the bus is never read much faster
than the database takes it.
"""

import collections
import threading
import time

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.db.main import api as db_api

CONF = cfg.CONF

LOG = logging.getLogger(__name__)

# Heartbeats per transaction at most; the rest wait for the next one.
MAX_BATCH = 1000
# Heartbeats waiting past which the RPC threads wait for theirs.
MAX_QUEUE = 20000


_callers = threading.local()


def callers_wait(wait):
    """Whether the current thread's ``record`` calls wait for a write
    when the writer is idle (the default). A thread that takes many
    heartbeats in a row, such as the conductor's batch consumer, says
    no: it would otherwise sleep the write window on each idle moment;
    its heartbeats still wait past ``MAX_QUEUE``."""
    _callers.wait = wait


class _Pending:
    __slots__ = ('context', 'report', 'done', 'applied', 'error')

    def __init__(self, context, report):
        self.context = context
        self.report = report
        # An event only for a caller that waits: most heartbeats under
        # load are handed over and forgotten.
        self.done = None
        self.applied = None
        self.error = None


class StatusWriter:
    """Records guest status reports, many per transaction."""

    def __init__(self, max_batch=MAX_BATCH, max_queue=MAX_QUEUE,
                 window=None):
        self._max_batch = max_batch
        self._max_queue = max_queue
        # None: [DEFAULT] heartbeat_write_window, read at each use.
        self._window = window
        self._cond = threading.Condition()
        self._queue = collections.deque()
        self._writing = False
        self._thread = None

    def record(self, context, instance_id, status, sent_at,
               volume_used=None, restarts=None, cluster_slots=None,
               replication=None):
        """As ``db_api.instance_status_update``: whether it applied, or
        None when it is recorded later (the writer was busy)."""
        pending = _Pending(context, {
            'instance_id': instance_id, 'status': status,
            'sent_at': sent_at, 'volume_used': volume_used,
            'restarts': restarts, 'cluster_slots': cluster_slots,
            'replication': replication})
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name='guest-status-writer',
                    daemon=True)
                self._thread.start()
            idle = not self._writing and not self._queue
            wait = (idle and getattr(_callers, 'wait', True)) or \
                len(self._queue) >= self._max_queue
            if wait:
                pending.done = threading.Event()
            self._queue.append(pending)
            # The writer waits on the condition only while idle or
            # gathering; while it writes nobody needs waking.
            if not self._writing or \
                    len(self._queue) >= self._max_batch:
                self._cond.notify_all()
        if not wait:
            return None
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.applied

    def flush(self, timeout=None):
        """Wait until every heartbeat handed over is recorded; whether
        that happened within ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._queue and not self._writing, timeout)

    def _run(self):
        idle = True
        while True:
            with self._cond:
                self._writing = False
                self._cond.notify_all()
                while not self._queue:
                    idle = True
                    self._cond.wait()
                # Gathering counts as writing: heartbeats coming now join
                # this transaction without their RPC thread waiting.
                self._writing = True
                if idle:
                    self._gather()
                idle = False
                batch = [self._queue.popleft() for _ in
                         range(min(self._max_batch, len(self._queue)))]
            try:
                self._write(batch)
            except Exception as exc:  # noqa: BLE001 - each caller gets it
                LOG.error('Recording %d guest heartbeats failed: %s',
                          len(batch), type(exc).__name__)
                for pending in batch:
                    if pending.done is not None and \
                            not pending.done.is_set():
                        pending.error = exc
                        pending.done.set()

    def _gather(self):
        """After an idle moment, wait the window for more heartbeats (the
        condition's lock held); never when some are queued already."""
        window = self._window
        if window is None:
            window = CONF.heartbeat_write_window
        deadline = time.monotonic() + window
        while len(self._queue) < self._max_batch:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(left)

    @staticmethod
    def _write(batch):
        # The latest report of an instance only: one row per instance in
        # a statement run for many rows.
        latest = {}
        for pending in batch:
            current = latest.get(pending.report['instance_id'])
            if current is None or \
                    current.report['sent_at'] <= pending.report['sent_at']:
                latest[pending.report['instance_id']] = pending
        # Guests' contexts all write to this conductor's own database
        # (a guest's context is never targeted at a cell).
        applied = db_api.instance_status_update_many(
            batch[0].context, [p.report for p in latest.values()])
        for pending in batch:
            instance_id = pending.report['instance_id']
            try:
                if latest[instance_id] is not pending:
                    pending.applied = False
                elif instance_id in applied:
                    pending.applied = applied[instance_id]
                else:
                    # No status row yet (or no instance): the single path.
                    pending.applied = db_api.instance_status_update(
                        pending.context, **pending.report)
            except Exception as exc:  # noqa: BLE001 - the caller's own
                pending.error = exc
                LOG.warning('Heartbeat of instance %s not recorded: %s',
                            instance_id, type(exc).__name__)
            if pending.done is not None:
                pending.done.set()
