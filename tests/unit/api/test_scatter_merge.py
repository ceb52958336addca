"""merged_page: the page over many cells, whatever way the rows spread."""

import collections
import datetime
import random

import pytest

from trove_mr.api.domain import scatter

T0 = datetime.datetime(2026, 1, 1)
Row = collections.namedtuple('Row', 'id created')


class Cells(object):
    """Cells as sorted key lists; counts the keys each one is asked for."""

    def __init__(self, spread):
        self.keys = {name: sorted(keys) for name, keys in spread.items()}
        self.asked = collections.Counter()
        self.mappings = [collections.namedtuple('M', 'name')(name)
                         for name in self.keys]

    def keys_fn(self, cctx, count, after):
        found = [k for k in self.keys[cctx] if after is None or k > after]
        self.asked[cctx] += 1
        return found[:count]

    def rows_fn(self, cctx, ids):
        return [Row(key[1], key[0]) for key in self.keys[cctx]
                if key[1] in ids]


@pytest.fixture
def patch(monkeypatch):
    def install(cells):
        monkeypatch.setattr(scatter.api_db, 'region_mapping_list',
                            lambda context: cells.mappings)

        def gather(context, fn, timeout=None, mappings=None):
            return {m.name: fn(m.name, m) for m in mappings}, []
        monkeypatch.setattr(scatter, 'gather', gather)
        return cells
    return install


def _key(n, cell):
    return (T0 + datetime.timedelta(seconds=n), '%s-%06d' % (cell, n))


def _walk(cells, limit):
    seen, after = [], None
    while True:
        rows, last, unavailable = scatter.merged_page(
            None, cells.keys_fn, cells.rows_fn, limit, after=after)
        assert unavailable == []
        seen.extend(rows)
        if last is None:
            return seen
        after = (last.created, last.id)


@pytest.mark.parametrize('layout', ['interleaved', 'one_cell', 'random'])
def test_every_row_comes_once_in_order_however_rows_spread(patch, layout):
    names = ['R%d' % n for n in range(10)]
    spread = {name: [] for name in names}
    rnd = random.Random(7)
    for n in range(523):
        if layout == 'interleaved':
            cell = names[n % 10]
        elif layout == 'one_cell':
            cell = 'R3'
        else:
            cell = rnd.choice(names[:4]) if n < 300 else rnd.choice(names)
        spread[cell].append(_key(n, cell))
    cells = patch(Cells(spread))
    seen = _walk(cells, 50)
    expected = sorted(k for keys in spread.values() for k in keys)
    assert [(r.created, r.id) for r in seen] == expected


def test_rows_spread_evenly_need_one_round_and_a_share_each(patch):
    names = ['R%d' % n for n in range(10)]
    spread = {name: [_key(n, name) for n in range(i, 1000, 10)]
              for i, name in enumerate(names)}
    cells = patch(Cells(spread))
    original = cells.keys_fn
    counts = []

    def counting(cctx, count, after):
        counts.append(count)
        return original(cctx, count, after)
    rows, last, _ = scatter.merged_page(None, counting, cells.rows_fn, 100)
    assert len(rows) == 100 and last is not None
    # One query per cell, each for twice its share (101 * 2 // 10 + 1).
    assert counts == [21] * 10


def test_a_cell_holding_the_whole_page_is_asked_once_more(patch):
    # Four cells: each is asked for 51 keys first (2 * 101 // 4 + 1).
    spread = {'R0': [_key(n, 'R0') for n in range(200)]}
    for i in (1, 2, 3):
        spread['R%d' % i] = [_key(1000 * i + n, 'R%d' % i)
                             for n in range(200)]
    cells = patch(Cells(spread))
    rows, last, _ = scatter.merged_page(None, cells.keys_fn, cells.rows_fn,
                                        100)
    assert [r.id for r in rows] == ['R0-%06d' % n for n in range(100)]
    assert last.id == 'R0-000099'
    assert cells.asked == {'R0': 2, 'R1': 1, 'R2': 1, 'R3': 1}


def test_workers_are_kept_and_a_stuck_call_never_blocks_the_next():
    import threading
    workers = scatter._Workers(keep=4)
    names = []
    done = threading.Event()
    for _ in range(3):
        finished = threading.Event()
        workers.submit(lambda e=finished: (
            names.append(threading.current_thread().ident), e.set()))
        assert finished.wait(5)
        # The worker goes back to the idle list after its call.
        for _ in range(100):
            if workers._idle:
                break
            threading.Event().wait(0.01)
    assert len(set(names)) == 1
    release = threading.Event()
    workers.submit(release.wait, 10)       # stuck, holds the idle worker
    workers.submit(done.set)                # must not wait for it
    assert done.wait(5)
    release.set()


def test_gather_answers_without_waiting_for_a_cell_past_its_timeout(
        monkeypatch):
    import threading
    mappings = [collections.namedtuple('M', 'name')(n) for n in ('A', 'B')]
    release = threading.Event()

    class Target(object):
        def __init__(self, context, mapping):
            self.name = mapping.name

        def __enter__(self):
            return self.name

        def __exit__(self, *exc):
            return False
    monkeypatch.setattr(scatter.cells, 'target_cell', Target)

    def answer(cctx, mapping):
        if cctx == 'B':
            release.wait(10)
        return cctx
    try:
        found, unavailable = scatter.gather(None, answer, timeout=0.5,
                                            mappings=mappings)
        assert found == {'A': 'A'} and unavailable == ['B']
        again, _ = scatter.gather(None, lambda cctx, m: cctx + '!',
                                  timeout=2, mappings=mappings[:1])
        assert again == {'A': 'A!'}
    finally:
        release.set()


class _NamedTarget(object):
    """``cells.target_cell`` stand-in: the cell context is its name."""

    def __init__(self, context, mapping):
        self.name = mapping.name

    def __enter__(self):
        return self.name

    def __exit__(self, *exc):
        return False


def _mappings(count):
    mapping = collections.namedtuple('M', 'name')
    return [mapping('R%d' % n) for n in range(count)]


def test_quick_cells_are_asked_on_a_few_lanes_not_a_thread_each(
        monkeypatch):
    import threading
    monkeypatch.setattr(scatter.cells, 'target_cell', _NamedTarget)
    monkeypatch.setattr(scatter, 'STALL', 5.0)   # no call stalls here
    threads = set()

    def answer(cctx, mapping):
        threads.add(threading.get_ident())
        return cctx

    found, unavailable = scatter.gather(None, answer, timeout=10,
                                        mappings=_mappings(10))
    assert found == {'R%d' % n: 'R%d' % n for n in range(10)}
    assert unavailable == []
    assert 1 <= len(threads) <= scatter.FIRST_LANES


def test_silent_cells_do_not_hold_back_the_cells_queued_behind_them(
        monkeypatch):
    import threading
    monkeypatch.setattr(scatter.cells, 'target_cell', _NamedTarget)
    monkeypatch.setattr(scatter, 'FIRST_LANES', 1)
    release = threading.Event()

    def answer(cctx, mapping):
        if cctx in ('R0', 'R1'):        # the first cells in line hang
            release.wait(10)
        return cctx

    try:
        found, unavailable = scatter.gather(None, answer, timeout=1.0,
                                            mappings=_mappings(6))
    finally:
        release.set()
    assert found == {'R%d' % n: 'R%d' % n for n in range(2, 6)}
    assert unavailable == ['R0', 'R1']


def test_an_even_spread_loads_its_rows_with_its_keys_in_one_read(patch):
    names = ['R%d' % n for n in range(10)]
    spread = {name: [_key(n, name) for n in range(i, 1000, 10)]
              for i, name in enumerate(names)}
    cells = patch(Cells(spread))
    calls, reads = [], []

    def rows_fn(cctx, ids):
        calls.append((cctx, len(ids), list(reads)))
        return cells.rows_fn(cctx, ids)

    class Read(object):
        def __init__(self, cctx):
            self.cctx = cctx

        def __enter__(self):
            reads.append(self.cctx)

        def __exit__(self, *exc):
            reads.remove(self.cctx)

    rows, last, _ = scatter.merged_page(None, cells.keys_fn, rows_fn, 100,
                                        cell_read=Read)
    assert [r.id for r in rows] == [
        k[1] for k in sorted(k for ks in spread.values() for k in ks)[:100]]
    # One call per cell, inside that cell's read: an even share of the
    # page and one more (ceil(101 / 10) + 1 rows), no second round.
    assert sorted(c[0] for c in calls) == names
    assert all(n == 12 and inside == [cctx] for cctx, n, inside in calls)


def test_a_cell_holding_more_than_its_share_gives_the_rest_after(patch):
    spread = {'R0': [_key(n, 'R0') for n in range(200)],
              'R1': [_key(1000 + n, 'R1') for n in range(200)]}
    cells = patch(Cells(spread))
    asked = []

    def rows_fn(cctx, ids):
        asked.append((cctx, len(ids)))
        return cells.rows_fn(cctx, ids)

    rows, last, _ = scatter.merged_page(None, cells.keys_fn, rows_fn, 100)
    assert [r.id for r in rows] == ['R0-%06d' % n for n in range(100)]
    assert last.id == 'R0-000099'
    # 52 rows each with the keys (ceil(101 / 2) + 1), then R0's other 48.
    assert asked[:2] == [('R0', 52), ('R1', 52)]
    assert asked[2:] == [('R0', 48)]


def _page_fn(cells, built):
    """``page_fn`` over ``Cells``: keys, and a loader of the preloaded
    rows that records the ids it builds."""
    def page_fn(cctx, count, after, preload):
        keys = cells.keys_fn(cctx, count, after)
        preloaded = {key[1] for key in keys[:preload]}

        def load(ids):
            wanted = [i for i in ids if i in preloaded]
            built.extend(wanted)
            return cells.rows_fn(cctx, wanted)
        return keys, load
    return page_fn


@pytest.mark.parametrize('layout', ['interleaved', 'one_cell', 'random'])
def test_a_page_fn_gives_the_same_pages_and_builds_only_their_rows(
        patch, layout):
    names = ['R%d' % n for n in range(10)]
    spread = {name: [] for name in names}
    rnd = random.Random(11)
    for n in range(523):
        cell = {'interleaved': names[n % 10], 'one_cell': 'R3'}.get(
            layout) or rnd.choice(names[:3] if n < 200 else names)
        spread[cell].append(_key(n, cell))
    cells = patch(Cells(spread))
    expected = _walk(cells, 50)
    seen, after, built, fetched = [], None, [], []

    def rows_fn(cctx, ids):
        fetched.extend(ids)
        return cells.rows_fn(cctx, ids)

    while True:
        rows, last, unavailable = scatter.merged_page(
            None, cells.keys_fn, rows_fn, 50, after=after,
            page_fn=_page_fn(cells, built))
        assert unavailable == []
        seen.extend(rows)
        if last is None:
            break
        after = (last.created, last.id)
    assert [(r.created, r.id) for r in seen] == [
        (r.created, r.id) for r in expected]
    # Every row shown was built once, from the first read or the second
    # round, and no other row was built.
    assert sorted(built + fetched) == sorted(r.id for r in seen)
    if layout == 'interleaved':
        assert fetched == []


def test_cells_on_sqlite_files_start_on_one_lane_others_on_more():
    mapping = collections.namedtuple('M', 'name database_connection')
    local = [mapping('R%d' % n, 'sqlite:////tmp/r%d.sqlite' % n)
             for n in range(10)]
    assert scatter.first_lanes(local) == 1
    served = local[:9] + [mapping('R9', 'mysql+pymysql://h/r9')]
    assert scatter.first_lanes(served) == scatter.FIRST_LANES
    assert scatter.first_lanes([mapping('R0', 'postgresql://h/r0')]) == \
        scatter.FIRST_LANES


def test_sqlite_cells_answer_on_one_thread_when_none_stalls(monkeypatch):
    import threading
    monkeypatch.setattr(scatter.cells, 'target_cell', _NamedTarget)
    monkeypatch.setattr(scatter, 'STALL', 5.0)   # no call stalls here
    mapping = collections.namedtuple('M', 'name database_connection')
    threads = set()

    def answer(cctx, mapping):
        threads.add(threading.get_ident())
        return cctx

    found, unavailable = scatter.gather(
        None, answer, timeout=10,
        mappings=[mapping('R%d' % n, 'sqlite:///r%d' % n)
                  for n in range(10)])
    assert sorted(found) == sorted('R%d' % n for n in range(10))
    assert unavailable == []
    assert len(threads) == 1
