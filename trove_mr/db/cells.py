"""Per-call targeting of a region's cell (its database and message bus).

Modelled on Nova's ``context.target_cell``::

    mapping = api_db.instance_mapping_get(ctx, instance_id)
    with cells.target_cell(ctx, mapping) as cctx:
        instance = db_api.instance_get(cctx, instance_id)
        rpcapi.TaskManagerAPI().delete_instance(cctx, instance_id)

The targeted context is a copy: the caller's context is left untouched, so
it can be used for the API database and other cells meanwhile.

``owning_cell`` is the same for the API's calls on one resource, and turns
"the cell's database or bus cannot be reached" into a 503 naming the
region, so that a cell that is down fails only the calls that need it.
"""

import contextlib
import copy
import threading

import oslo_messaging as messaging
import sqlalchemy.exc as sa_exc
from oslo_db import exception as db_exc
from oslo_log import log as logging

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db.api import mapping_cache

LOG = logging.getLogger(__name__)

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
        context.cell_transport_url = None
        context.cell_name = None
        return
    context.db_connection, context.cell_transport = _cell_endpoints(mapping)
    context.cell_transport_url = mapping.transport_url
    context.cell_name = mapping.name


def _copy(context):
    """``copy.copy(context)``; for a plain object (a RequestContext) its
    attributes copied straight, a third of ``copy.copy``'s cost, paid
    once per cell of a global list."""
    cls = type(context)
    if (getattr(cls, '__copy__', None) is None
            and cls.__reduce_ex__ is object.__reduce_ex__
            and cls.__reduce__ is object.__reduce__
            and hasattr(context, '__dict__')):
        targeted = cls.__new__(cls)
        targeted.__dict__.update(context.__dict__)
        return targeted
    return copy.copy(context)


@contextlib.contextmanager
def target_cell(context, mapping):
    """Yield a copy of ``context`` targeted at ``mapping``'s cell.

    DB API calls on the copy use the cell's database and RPC clients use
    its transport. ``mapping`` is a region mapping (uuid, name,
    transport_url, database_connection), e.g. from
    ``api_db.region_mapping_get``; None yields an untargeted copy.
    """
    targeted = _copy(context)
    # The copy must not join a transaction the caller has open on its own
    # database: each context keeps its own transaction state.
    targeted.__dict__.pop('_enginefacade_context', None)
    set_target_cell(targeted, mapping)
    yield targeted


def is_unreachable_error(exc):
    """Whether ``exc`` says a cell's database or bus cannot be reached.

    Errors of the data (duplicates, constraint failures) are not: they
    are bugs or conflicts, not an outage.
    """
    if isinstance(exc, (db_exc.DBConnectionError,
                        db_exc.DBNonExistentDatabase, sa_exc.OperationalError,
                        sa_exc.InterfaceError, messaging.MessagingTimeout,
                        messaging.MessageDeliveryFailure)):
        return True
    if isinstance(exc, db_exc.DBError) and type(exc) is db_exc.DBError:
        # oslo.db wraps driver errors it has no class for in a plain
        # DBError; an operational error inside is still an outage.
        return isinstance(exc.inner_exception, (sa_exc.OperationalError,
                                                sa_exc.InterfaceError))
    return False


@contextlib.contextmanager
def owning_cell(context, mapping):
    """``target_cell`` for one resource's call; 503 if its cell is down.

    An unreachable database or message bus of ``mapping``'s cell raised
    inside the block becomes ServiceUnavailable naming the region.
    """
    with target_cell(context, mapping) as cctx:
        try:
            yield cctx
        except Exception as exc:
            if not is_unreachable_error(exc):
                raise
            # Only the error's type: its text may carry a connection URL.
            LOG.warning('Cell %s is unreachable: %s', mapping.name,
                        type(exc).__name__)
            raise exceptions.ServiceUnavailable(
                'Region %s is unavailable: its database or message queue '
                'cannot be reached. Try again later.' % mapping.name
            ) from exc


def clear_cache():
    """Forget cached cell endpoints and mapping lookups (tests)."""
    with _LOCK:
        _CELL_CACHE.clear()
    mapping_cache.clear()
