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
