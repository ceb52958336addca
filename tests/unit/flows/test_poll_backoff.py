"""Waits check soon at first, then at their interval."""

from trove_mr.flows import common


def test_backoff_doubles_from_the_first_poll_up_to_the_interval():
    sleeps = [common.backoff(attempt, 1.0) for attempt in range(1, 8)]
    assert sleeps == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    # A wait whose interval is shorter than the first poll keeps it.
    assert common.backoff(1, 0.01) == 0.01
    # Thousands of checks (a long wait) stay at the interval.
    assert common.backoff(5000, 2.0) == 2.0

