"""In-process cache of region and resource mapping lookups.

Every show, action and create reads a mapping first (the cells seed's
performance note: "this data will remain relatively stable and could be
cached"). Entries live ``[api_database] mapping_cache_ttl`` seconds.

Why a TTL and not a generation counter read on every lookup: a counter
would still cost one API database round trip per lookup, which is what
the cache is there to save. Instead:

* a write in this process (create, update, delete, key rotation, resource
  mapping delete) drops what it changes at once;
* a write by another process (``trove-mr-manage``, another API worker)
  reaches this one within the TTL. Nothing goes wrong meanwhile: a mapping
  is deleted only when it owns nothing, a key rotation leaves the clear
  URLs as they were, a resource whose mapping went is soft-deleted in its
  cell (so it answers 404 there), and changed URLs get new engines and
  transports in ``cells`` (keyed on the URLs).
* misses are never cached, so a mapping made elsewhere is seen at once.

Keys carry the API database URL, so processes (and tests) that switch
databases never see each other's entries.
"""

import threading
import time

from trove_mr.common import cfg

CONF = cfg.CONF

_LOCK = threading.Lock()
# (api db url, kind, key) -> (expires at, value)
_ENTRIES = {}


def _api_url():
    return CONF.api_database.connection or CONF.database.connection


def get(kind, key):
    """The cached value, or None when missing or expired."""
    full_key = (_api_url(), kind, key)
    with _LOCK:
        entry = _ENTRIES.get(full_key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del _ENTRIES[full_key]
            return None
        return entry[1]


def put(kind, keys, value):
    """Cache ``value`` under every key of ``keys`` (e.g. uuid and name)."""
    ttl = CONF.api_database.mapping_cache_ttl
    if ttl <= 0:
        return
    expires = time.monotonic() + ttl
    url = _api_url()
    with _LOCK:
        for key in keys:
            _ENTRIES[(url, kind, key)] = (expires, value)


def forget(kind, key):
    """Drop one entry (a resource mapping deleted here)."""
    with _LOCK:
        _ENTRIES.pop((_api_url(), kind, key), None)


def clear():
    """Drop everything (any region mapping changed; tests)."""
    with _LOCK:
        _ENTRIES.clear()
