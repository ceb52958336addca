"""Even split of the Redis Cluster hash slots between masters."""

TOTAL_SLOTS = 16384


def even_slot_ranges(n_masters, total=TOTAL_SLOTS):
    """Split slots ``0..total-1`` into ``n_masters`` contiguous ranges.

    :returns: a list of inclusive ``[first, last]`` pairs, in slot order,
        whose sizes differ by at most one (the first ``total % n_masters``
        ranges get the extra slot).
    :raises ValueError: if there are no masters or more masters than slots.
    """
    if n_masters < 1 or n_masters > total:
        raise ValueError('cannot split %d slots between %d masters'
                         % (total, n_masters))
    size, extra = divmod(total, n_masters)
    ranges = []
    first = 0
    for index in range(n_masters):
        count = size + (1 if index < extra else 0)
        ranges.append([first, first + count - 1])
        first += count
    return ranges
