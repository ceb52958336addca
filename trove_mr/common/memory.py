"""How much of a server's RAM Redis may use, agreed on by all sides.

The guest sets ``maxmemory`` from the RAM of the server it runs on; the
API refuses a flavor resize whose new limit would not hold the data. Both
use :func:`maxmemory_bytes`, so they agree on the limit of a flavor.
"""

MB = 1024 * 1024


def maxmemory_bytes(memory_mb, percent):
    """``maxmemory`` of a server with ``memory_mb`` MB of RAM, in bytes.

    None (no limit) when the RAM is unknown.
    """
    if not memory_mb:
        return None
    return int(memory_mb) * MB * int(percent) // 100


def human(nbytes):
    """``nbytes`` as MB with one decimal, for messages."""
    return '%.1f MB' % (nbytes / float(MB))
