"""Rebalance planning: shares by weight, moves same-region first."""

import pytest

from trove_mr.cluster.redis import rebalance


def _masters(**spec):
    return {name: {'region': region, 'slots': slots}
            for name, (region, slots) in spec.items()}


def test_shares_are_within_one_slot_and_sum_to_every_slot():
    counts = rebalance.shares({'a': 1, 'b': 1, 'c': 1})
    assert sorted(counts.values()) == [5461, 5461, 5462]
    assert sum(counts.values()) == 16384
    weighted = rebalance.shares({'a': 3, 'b': 1})
    assert weighted == {'a': 12288, 'b': 4096}
    assert rebalance.shares({'a': 1, 'b': 0}) == {'a': 16384, 'b': 0}


def test_no_positive_weight_is_an_error():
    with pytest.raises(ValueError):
        rebalance.shares({'a': 0})


def test_an_empty_new_master_takes_a_third_from_both_others():
    masters = _masters(a=('R1', [[0, 8191]]), b=('R2', [[8192, 16383]]),
                       c=('R2', []))
    moves = rebalance.plan(masters)
    assert sum(m['count'] for m in moves) == 5461
    # b shares c's region: it gives first, and its highest slots.
    assert moves[0]['source'] == 'b' and not moves[0]['cross_region']
    assert moves[0]['slots'][-1][1] == 16383
    after = {m: len(rebalance.expand(i['slots']))
             for m, i in masters.items()}
    for move in moves:
        after[move['source']] -= move['count']
        after[move['target']] += move['count']
    assert sorted(after.values()) == [5461, 5461, 5462]


def test_a_zero_weight_drains_a_master():
    masters = _masters(a=('R1', [[0, 5460]]), b=('R1', [[5461, 10922]]),
                       c=('R2', [[10923, 16383]]))
    moves = rebalance.plan(masters, {'c': 0})
    assert {m['source'] for m in moves} == {'c'}
    assert sum(m['count'] for m in moves) == 5461
    given = sorted(s for m in moves for s in rebalance.expand(m['slots']))
    assert given == list(range(10923, 16384))


def test_a_balanced_cluster_moves_nothing():
    masters = _masters(a=('R1', [[0, 8191]]), b=('R2', [[8192, 16383]]))
    assert rebalance.plan(masters) == []


def test_compress_and_expand_round_trip():
    assert rebalance.compress([5, 1, 2, 3, 9]) == [[1, 3], [5, 5], [9, 9]]
    assert rebalance.expand([[1, 3], [9, 9]]) == [1, 2, 3, 9]


def test_progress_names_slots_and_bytes_that_crossed_regions():
    from trove_mr.cluster.redis.flows import rebalance as flow
    assert flow.describe(1200, 5461, 40312, 700, 12_345_678) == (
        'Rebalancing: 1200 of 5461 slots moved (40312 keys; 700 slots, '
        '12.3 MB, across regions).')
