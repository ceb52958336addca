"""Per-call targeting of a region's cell (its database and message bus).

Modelled on Nova's ``context.target_cell``::

    mapping = api_db.instance_mapping_get(ctx, instance_id)
    with cells.target_cell(ctx, mapping) as cctx:
        instance = db_api.instance_get(cctx, instance_id)
        rpcapi.TaskManagerAPI().delete_instance(cctx, instance_id)

The targeted context is a copy: the caller's context is left untouched, so
it can be used for the API database and other cells meanwhile.
"""

import contextlib
import copy
import threading

from trove_mr.db import engines

_LOCK = threading.Lock()
# (mapping uuid, transport_url, database_connection) -> (db, transport).
# Keyed on the URLs too, so that a mapping whose URLs changed gets new
# engines and a new transport instead of stale ones.
_CELL_CACHE = {}


def _cell_endpoints(mapping):
    key = (mapping.uuid, mapping.transport_url, mapping.database_connection)
    with _LOCK:
        cached = _CELL_CACHE.get(key)
    if cached is not None:
        return cached
    # Imported here: the RPC layer is only needed once a cell is targeted.
    from trove_mr.common import rpc

    db_connection = engines.create_context_manager(
        mapping.database_connection)
    transport = rpc.get_transport(mapping.transport_url)
    with _LOCK:
        return _CELL_CACHE.setdefault(key, (db_connection, transport))


def set_target_cell(context, mapping):
    """Point ``context`` itself at a mapping's cell (None: the local one)."""
    if mapping is None:
        context.db_connection = None
        context.cell_transport = None
        context.cell_name = None
        return
    context.db_connection, context.cell_transport = _cell_endpoints(mapping)
    context.cell_name = mapping.name


@contextlib.contextmanager
def target_cell(context, mapping):
    """Yield a copy of ``context`` targeted at ``mapping``'s cell.

    DB API calls on the copy use the cell's database and RPC clients use
    its transport. ``mapping`` is a region mapping (uuid, name,
    transport_url, database_connection), e.g. from
    ``api_db.region_mapping_get``; None yields an untargeted copy.
    """
    targeted = copy.copy(context)
    # The copy must not join a transaction the caller has open on its own
    # database: each context keeps its own transaction state.
    targeted.__dict__.pop('_enginefacade_context', None)
    set_target_cell(targeted, mapping)
    yield targeted


def clear_cache():
    """Forget cached cell endpoints (tests; after mappings are deleted)."""
    with _LOCK:
        _CELL_CACHE.clear()
