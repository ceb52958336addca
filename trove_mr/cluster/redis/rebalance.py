"""Which slots a rebalance or a drain moves, and where (pure planning).

A master's share of the 16384 slots follows its weight (1 by default; 0
for a master being drained): shares are exact to within one slot. Masters
above their share give slots to masters below it, pairing masters of the
same region first so that as little data as possible crosses regions.
Each master gives away its highest slots, so what it keeps stays in
contiguous ranges.
"""

from trove_mr.cluster.redis import slots as slot_ranges

TOTAL = slot_ranges.TOTAL_SLOTS


def shares(weights, total=TOTAL):
    """``{master: slot count}`` proportional to ``weights``.

    Largest remainders get the spare slots, ties by master id, so the
    answer is the same wherever it is computed.
    """
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        raise ValueError('at least one master needs a positive weight')
    exact = {m: total * w / weight_sum for m, w in weights.items()}
    counts = {m: int(value) for m, value in exact.items()}
    spare = total - sum(counts.values())
    for m in sorted(exact, key=lambda m: (counts[m] - exact[m], m))[:spare]:
        counts[m] += 1
    return counts


def expand(ranges):
    """Slot numbers of inclusive ``[first, last]`` ranges, ascending."""
    found = []
    for first, last in ranges:
        found.extend(range(first, last + 1))
    return sorted(found)


def compress(slots):
    """Inclusive ``[first, last]`` ranges of slot numbers."""
    ranges = []
    for slot in sorted(slots):
        if ranges and ranges[-1][1] == slot - 1:
            ranges[-1][1] = slot
        else:
            ranges.append([slot, slot])
    return ranges


def plan(masters, weights=None):
    """The moves that bring every master to its share.

    :param masters: ``{master: {'region': name, 'slots': [[first, last],
        ...]}}`` of every master of the cluster.
    :param weights: ``{master: weight}``; missing masters weigh 1.
    :returns: a list of ``{'source', 'target', 'slots': ranges, 'count',
        'cross_region'}``, same-region moves first.
    """
    weights = {m: (weights or {}).get(m, 1) for m in masters}
    wanted = shares(weights)
    owned = {m: expand(info['slots']) for m, info in masters.items()}
    surplus = {m: len(owned[m]) - wanted[m] for m in masters
               if len(owned[m]) > wanted[m]}
    deficit = {m: wanted[m] - len(owned[m]) for m in masters
               if len(owned[m]) < wanted[m]}
    moves = []
    for same_region in (True, False):
        for source in sorted(surplus):
            for target in sorted(deficit):
                if surplus[source] == 0 or deficit[target] == 0:
                    continue
                crossing = masters[source]['region'] != \
                    masters[target]['region']
                if crossing == same_region:
                    continue
                count = min(surplus[source], deficit[target])
                given = owned[source][-count:]
                del owned[source][-count:]
                surplus[source] -= count
                deficit[target] -= count
                moves.append({'source': source, 'target': target,
                              'slots': compress(given), 'count': count,
                              'cross_region': crossing})
    return moves


def unplaced(masters):
    """Slot count no master owns (a cluster must have none to rebalance).
    """
    return TOTAL - sum(len(expand(m['slots'])) for m in masters.values())
