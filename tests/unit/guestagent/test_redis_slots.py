"""Even split of the hash slots between masters."""

import pytest

from trove_mr.cluster.redis import slots


@pytest.mark.parametrize('n_masters', range(1, 21))
def test_ranges_are_contiguous_even_and_cover_every_slot(n_masters):
    ranges = slots.even_slot_ranges(n_masters)

    assert len(ranges) == n_masters
    assert ranges[0][0] == 0
    assert ranges[-1][1] == 16383
    for previous, following in zip(ranges, ranges[1:], strict=False):
        assert following[0] == previous[1] + 1
    sizes = [last - first + 1 for first, last in ranges]
    assert sum(sizes) == 16384
    assert max(sizes) - min(sizes) <= 1
    assert all(size > 0 for size in sizes)


def test_three_masters_split_like_redis_cli():
    assert slots.even_slot_ranges(3) == [[0, 5461], [5462, 10922],
                                         [10923, 16383]]


def test_small_totals_are_split_too():
    assert slots.even_slot_ranges(3, total=10) == [[0, 3], [4, 6], [7, 9]]


@pytest.mark.parametrize('n_masters', [0, -1, 16385])
def test_impossible_splits_are_refused(n_masters):
    with pytest.raises(ValueError):
        slots.even_slot_ranges(n_masters)
