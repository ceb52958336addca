"""Scatter-gather over every mapped cell, for global lists.

One call per cell runs on a worker thread (kept between calls) against
that cell's database and bus (``cells.target_cell``); the answer waits at
most ``[api] cell_timeout`` seconds in all. A cell that raises a
connection-type error or does not answer in time is left out and named,
never an error of the whole list::

    def page(cctx, mapping):
        return db_api.instance_list(cctx, tenant_id, limit=10)

    results, unavailable = scatter.gather(context, page)
    # results: {'RegionOne': (rows, marker), ...}
    # unavailable: ['RegionTwo'] (sorted names of skipped cells)

Errors a request deserves (any ``TroveMRError`` below 500, such as a bad
marker) are raised to the caller as they are: they are not the cell's
fault.

``merged_page`` builds one keyset page over every cell on top of it, for
any resource ordered by (created, id): instances, clusters, backups.
"""

import collections
import contextlib
import itertools
import operator
import os
import queue
import threading
import time

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.db import cells
from trove_mr.db.api import api as api_db

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


class _Outcome:
    """What one cell's thread left behind."""

    def __init__(self):
        self.done = threading.Event()
        self.result = None
        self.error = None


class _Worker(object):
    """A daemon thread that runs calls handed to it, one at a time."""

    def __init__(self, workers):
        self._workers = workers
        self.inbox = queue.SimpleQueue()
        threading.Thread(target=self._loop, name='cell-worker',
                         daemon=True).start()

    def _loop(self):
        while True:
            call, args = self.inbox.get()
            try:
                call(*args)
            except Exception:  # noqa: BLE001 - the caller's to report
                LOG.exception('A cell call failed outside its handler.')
            if not self._workers.rest(self):
                return


class _Workers(object):
    """Threads kept between gathers, so a page does not start one thread
    per cell each time (under a busy GIL, most of a small query's cost).

    A call never waits for a worker: when none is idle (all busy, or one
    stuck on a cell that does not answer), a new thread takes it. At most
    ``keep`` idle threads stay; the others end.
    """

    def __init__(self, keep=64):
        self._keep = keep
        self._idle = []
        self._lock = threading.Lock()

    def submit(self, call, *args):
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self)
        worker.inbox.put((call, args))

    def rest(self, worker):
        """Back to the idle list; False when enough are idle already."""
        with self._lock:
            if len(self._idle) >= self._keep:
                return False
            self._idle.append(worker)
            return True


_WORKERS = _Workers()


def _forget_workers():
    # A forked child has none of its parent's threads.
    global _WORKERS
    _WORKERS = _Workers()


os.register_at_fork(after_in_child=_forget_workers)


# Lanes a gather starts with, and how long a call may run before the
# cells still waiting get more lanes. Cells answering from local
# databases are Python work under one GIL: a thread per cell makes them
# fight over it (three times the CPU of running them one after another
# on this machine). Cells on database servers spend part of each call
# waiting for the server, which other lanes use meanwhile. A cell that
# waits on a slow network, or does not answer, is passed by within a few
# stalls: each stall doubles the lanes.
FIRST_LANES = 3
STALL = 0.004


def first_lanes(mappings):
    """Lanes to start for ``mappings``: one when every cell's database is
    a local SQLite file (nothing to wait for: more lanes would only take
    turns on the GIL, about 2x the time of one on a 10-cell page), else
    ``FIRST_LANES``."""
    if all(str(getattr(mapping, 'database_connection', '')).startswith(
            'sqlite') for mapping in mappings):
        return 1
    return FIRST_LANES


def _run(context, mapping, fn, outcome):
    try:
        with cells.target_cell(context, mapping) as cctx:
            outcome.result = fn(cctx, mapping)
    except Exception as exc:  # noqa: BLE001 - judged by the gatherer
        outcome.error = exc
    finally:
        outcome.done.set()


class _Lanes(object):
    """The cells of one gather, taken in turn by a few worker threads."""

    def __init__(self, context, fn, pending):
        self._context = context
        self._fn = fn
        self._pending = collections.deque(pending)
        self._left = len(self._pending)
        self._lock = threading.Lock()
        # Set once every cell has answered: the caller sleeps until then
        # (or its next look for stalled calls), not woken by each cell,
        # which under a busy GIL costs the lanes a switch each time.
        self.finished = threading.Event()
        if not self._left:
            self.finished.set()
        self.started = {}

    def add(self, count):
        for _ in range(min(count, len(self._pending))):
            _WORKERS.submit(self._drain)

    def _drain(self):
        while True:
            with self._lock:
                if not self._pending:
                    return
                mapping, outcome = self._pending.popleft()
                self.started[mapping.name] = time.monotonic()
            _run(self._context, mapping, self._fn, outcome)
            with self._lock:
                self._left -= 1
                if not self._left:
                    self.finished.set()

    def waiting(self):
        with self._lock:
            return len(self._pending)

    def abandon(self):
        """Cells not started yet are never started (past the deadline)."""
        with self._lock:
            self._pending.clear()


def _wait(lanes, outcomes, deadline):
    """Wait for every outcome until ``deadline``, adding lanes when the
    calls running stall (looked for every ``STALL`` seconds)."""
    while True:
        now = time.monotonic()
        if lanes.finished.is_set() or now >= deadline:
            return
        if lanes.waiting():
            stalled = sum(
                1 for name, outcome in outcomes.items()
                if not outcome.done.is_set()
                and now - lanes.started.get(name, now) >= STALL)
            if stalled:
                lanes.add(stalled)
            lanes.finished.wait(min(STALL, deadline - now))
        else:
            lanes.finished.wait(max(0.0, deadline - now))


def _caller_error(exc):
    return (isinstance(exc, exceptions.TroveMRError)
            and exc.code < 500)


def gather(context, fn, timeout=None, mappings=None):
    """Run ``fn(cell_context, mapping)`` on every cell in parallel.

    :param context: the request context; each call gets a copy targeted
        at one cell, so ``fn`` uses the DB API and RPC clients as usual.
    :param fn: the per-cell callable; its return value is collected.
    :param timeout: seconds to wait for all cells; ``[api] cell_timeout``
        by default. Calls still running then are abandoned (on daemon
        worker threads; their answer is dropped, and a new call does not
        wait for their thread).
    :param mappings: the region mappings to visit; every live mapping of
        the API database by default.
    :returns: ``(results_by_cell_name, unavailable_cell_names)``, the
        second sorted. A cell whose ``fn`` raised a 4xx ``TroveMRError``
        makes the whole call raise it.

    The calls run on ``first_lanes(mappings)`` threads, each taking the
    next cell when done with one; whenever a call runs past ``STALL``
    seconds, a lane more starts for the cells still waiting, so a slow
    or silent cell delays the others by a few milliseconds only.
    """
    if mappings is None:
        mappings = api_db.region_mapping_list(context)
    timeout = CONF.api.cell_timeout if timeout is None else timeout
    outcomes = {mapping.name: _Outcome() for mapping in mappings}
    lanes = _Lanes(context, fn, [(mapping, outcomes[mapping.name])
                                 for mapping in mappings])
    lanes.add(first_lanes(mappings))
    _wait(lanes, outcomes, time.monotonic() + timeout)
    lanes.abandon()
    results, unavailable = {}, []
    for name, outcome in outcomes.items():
        if not outcome.done.is_set():
            LOG.warning('Cell %s did not answer within %.1fs; skipped.',
                        name, timeout)
            unavailable.append(name)
        elif outcome.error is not None:
            if _caller_error(outcome.error):
                raise outcome.error
            # The error's text may hold a connection URL: log its type only.
            LOG.warning('Cell %s is unavailable (%s); skipped.', name,
                        type(outcome.error).__name__)
            unavailable.append(name)
        else:
            results[name] = outcome.result
    return results, sorted(unavailable)


def sort_key(row):
    """The (created, id) order every list uses, across cells too."""
    return (row.created, row.id)


def _share(want, cells):
    """Keys to ask each of ``cells`` cells for first: twice an even share.

    Rows spread over the cells make one round enough; a cell that may
    hold more of the page than that is asked again (``_complete``).
    """
    if cells <= 1:
        return want
    return min(want, 2 * want // cells + 1)


def _merge(key_lists):
    """The ((created, id), cell) keys of every cell in one sorted list.

    One sort of the lists put end to end (each already in order, runs
    the sort finds) rather than ``heapq.merge``, whose Python generator
    costs about a microsecond a key. Sorted on the (created, id) key
    alone, which no two rows share: the same order as the whole tuples,
    compared at half the cost.
    """
    return sorted(itertools.chain.from_iterable(key_lists),
                  key=operator.itemgetter(0))


def _complete(context, keys_fn, keys, asked, want, timeout):
    """Ask again the cells whose unread keys may still be in the page.

    A cell that returned all it was asked for may have more keys; if its
    last one sorts before the ``want``-th key of the merge, the rest may
    belong to the page. Asked for the missing ``want - len(keys)``, such a
    cell then holds ``want`` keys, so one more round always suffices.
    """
    merged = _merge(keys.values())
    cut = merged[want - 1][0] if len(merged) >= want else None
    again = {cell: found[-1][0] for cell, found in keys.items()
             if found and len(found) == asked
             and (cut is None or found[-1][0] < cut)}
    if not again:
        return merged, []
    mappings = [m for m in api_db.region_mapping_list(context)
                if m.name in again]
    more, late = gather(
        context, lambda cctx, mapping: [
            (tuple(key), mapping.name)
            for key in keys_fn(cctx, want - asked, again[mapping.name])],
        timeout=timeout, mappings=mappings)
    for cell in late:
        # Half a cell's keys would make a wrong page: leave it out.
        keys.pop(cell, None)
    for cell, found in more.items():
        keys[cell] = keys[cell] + found
    return _merge(keys.values()), late


def _preload(want, cells):
    """Rows each cell loads with its keys: its even share of the page and
    one more, so rows spread over the cells need no second round."""
    if cells <= 1:
        return want
    return min(want, -(-want // cells) + 1)


def merged_page(context, keys_fn, rows_fn, limit, after=None,
                timeout=None, cell_read=None, page_fn=None):
    """One page of a resource over every cell, in (created, id) order.

    One call per cell, run on a few lanes (``gather``), so the cost
    follows the page size and not the number of cells:

    1. ``keys_fn(cell_context, count, after)``: the (created, id) keys of
       that cell's next ``count`` rows after the key ``after`` (None: from
       the start), in order; e.g. ``db_api.instance_list_keys``. Keys
       are cheap: no rows are built. Each cell is asked for twice its
       even share of the page first, and asked again only when the rest
       of its keys may still belong to the page.
    2. ``rows_fn(cell_context, ids)``: the rows of those ids (any order);
       e.g. ``db_api.instance_get_many``. In the same call as its keys,
       each cell loads the rows of its first keys, an even share of the
       page and one more; a cell holding more of the page than that is
       asked for the rest of its rows afterwards.

    ``cell_read(cell_context)``, when given, is the context manager of
    one read transaction that a cell's keys and rows share (e.g.
    ``engines.region_read``).

    ``page_fn(cell_context, count, after, preload)``, when given, replaces
    the first round's keys and rows: one read of the cell answering
    ``(keys, preloaded)``, the keys as ``keys_fn`` gives them and a
    callable that gives, of the ids it is given, the rows of those among
    the first ``preload`` keys, read already (e.g.
    ``db_api.instance_list_page``): only the rows the page takes are
    built.

    :returns: ``(rows, next_after_row, unavailable_cell_names)``;
        ``next_after_row`` is the page's last row when more rows follow
        (its id is the next marker), None on the last page.
    """
    mappings = api_db.region_mapping_list(context)
    want = limit + 1
    asked = _share(want, len(mappings))
    preload = _preload(want, len(mappings))

    def first(cctx, mapping):
        if page_fn is not None:
            found, preloaded = page_fn(cctx, asked, after, preload)
            return [(tuple(key), mapping.name) for key in found], preloaded
        with (cell_read(cctx) if cell_read is not None
              else contextlib.nullcontext()):
            found = [(tuple(key), mapping.name)
                     for key in keys_fn(cctx, asked, after)]
            ids = [key[1] for key, _ in found[:preload]]
            rows = rows_fn(cctx, ids) if ids else []
            return found, lambda _ids: rows

    answers, unavailable = gather(context, first, timeout=timeout,
                                  mappings=mappings)
    keys = {cell: found for cell, (found, _) in answers.items()}
    merged, late = _complete(context, keys_fn, keys, asked, want, timeout)
    unavailable = sorted(set(unavailable) | set(late))
    more = len(merged) > limit
    merged = merged[:limit]
    page_ids = {}
    for key, cell in merged:
        page_ids.setdefault(cell, []).append(key[1])
    by_id = {}
    for cell, ids in page_ids.items():
        by_id.update((row.id, row) for row in answers[cell][1](ids))
    wanted, gone = {}, ()
    for key, cell in merged:
        if key[1] not in by_id:
            wanted.setdefault(cell, []).append(key[1])
    if wanted:
        found, gone = gather(
            context,
            lambda cctx, mapping: rows_fn(cctx, wanted[mapping.name]),
            timeout=timeout,
            mappings=[m for m in mappings if m.name in wanted])
        by_id.update((row.id, row) for rows in found.values()
                     for row in rows)
        unavailable = sorted(set(unavailable) | set(gone))
    # A row deleted between the rounds is simply left out of the page,
    # and so are all the rows of a cell that stopped answering meanwhile.
    rows = [by_id[key[1]] for key, cell in merged
            if key[1] in by_id and cell not in gone]
    last = rows[-1] if more and rows else None
    return rows, last, unavailable
