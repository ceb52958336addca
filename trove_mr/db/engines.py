"""enginefacade transaction contexts, one per database URL, cached.

The process's own region database comes from ``[database] connection`` and
the API database from ``[api_database] connection``. A context targeted at a
cell (``trove_mr.db.cells.target_cell``) carries that cell's transaction
context in ``context.db_connection``; the DB API uses it instead of the
process's own, as Nova's cells v2 does.
"""

import functools
import os
import threading

from oslo_db import api as oslo_db_api
from oslo_db.sqlalchemy import enginefacade
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy import pool as sa_pool

from trove_mr.common import cfg
from trove_mr.common import context as trove_context

CONF = cfg.CONF

# Here rather than on the class itself: see RequestContext's docstring.
enginefacade.transaction_context_provider(trove_context.RequestContext)

_LOCK = threading.Lock()
_CONTEXT_MANAGERS = {}

# Pool and engine options of [database] that also apply to cell databases
# and to the API database.
_ENGINE_OPTIONS = ('max_pool_size', 'max_overflow', 'pool_timeout',
                   'connection_recycle_time', 'sqlite_synchronous',
                   'mysql_sql_mode', 'connection_debug', 'max_retries',
                   'retry_interval')


def _engine_options():
    options = {}
    for name in _ENGINE_OPTIONS:
        value = getattr(CONF.database, name, None)
        if value is not None:
            options[name] = value
    return options


def create_context_manager(connection_url):
    """The enginefacade transaction context for a URL, made once.

    The engine behind it is created lazily, on first use, and kept for the
    life of the process.
    """
    if not connection_url:
        raise ValueError('a database connection URL is required')
    with _LOCK:
        manager = _CONTEXT_MANAGERS.get(connection_url)
        if manager is None:
            manager = enginefacade.transaction_context()
            # No sleep(0) at every connection checkin: that yield is for
            # eventlet, which trove-mr does not run; with threads it only
            # gives the GIL away (a switch interval under load) per query.
            manager.configure(connection=connection_url,
                              thread_checkin=False, **_engine_options())
            if _sqlite_file(connection_url):
                manager.append_on_engine_create(_pool_sqlite)
            _CONTEXT_MANAGERS[connection_url] = manager
        return manager


def _sqlite_file(connection_url):
    return connection_url.startswith('sqlite') and \
        ':memory:' not in connection_url and \
        connection_url.rstrip('/') not in ('sqlite:', 'sqlite+pysqlite:')


def _pool_sqlite(engine):
    """Keep a SQLite file database's connections open between queries.

    oslo.db opens (and closes) a new sqlite3 connection for every
    transaction on a file database; with the PRAGMAs it runs at each
    connect that is most of a small query's cost, paid per cell in a
    global list. SQLite connections of a file database may be shared
    between threads one at a time (SQLAlchemy 2.0's own default for
    them), so a queue pool of them keeps the connect listeners oslo.db
    installed and drops the reconnects.

    A pooled connection holds the file it opened: if the path is moved,
    removed or replaced (a restore, an outage), the connection is
    dropped at its next checkout and a new one opens what the path names
    now, or fails as a new connection would.
    """
    path = engine.url.database
    old = engine.pool
    engine.pool = sa_pool.QueuePool(
        old._creator, pool_size=CONF.database.max_pool_size or 5,
        max_overflow=max(CONF.database.max_overflow or 0, 10),
        timeout=CONF.database.pool_timeout or 30,
        reset_on_return=old._reset_on_return, echo=old.echo,
        logging_name=old._orig_logging_name, _dispatch=old.dispatch,
        dialect=old._dialect)
    old.dispose()

    @sa_event.listens_for(engine, 'connect')
    def _remember_file(dbapi_connection, record):
        record.info['trove_mr_inode'] = _inode(path)

    @sa_event.listens_for(engine, 'checkout')
    def _same_file(dbapi_connection, record, proxy):
        if _inode(path) != record.info.get('trove_mr_inode'):
            raise sa_exc.DisconnectionError(
                'the SQLite file %s was moved or replaced' % path)


def _inode(path):
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _forget_after_fork():
    # A forked worker must not share its parent's pooled connections:
    # it starts its own engines on first use (the parent keeps its own).
    _CONTEXT_MANAGERS.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def main_context_manager():
    """Transaction context of this process's own region database."""
    return create_context_manager(CONF.database.connection)


def api_context_manager():
    """Transaction context of the API database."""
    connection = CONF.api_database.connection or CONF.database.connection
    return create_context_manager(connection)


def region_context_manager(context):
    """The region database a call on ``context`` must use."""
    if context is not None and context.db_connection is not None:
        return context.db_connection
    return main_context_manager()


def dispose_all():
    """Close every cached engine; for tests and for process shutdown."""
    with _LOCK:
        managers = list(_CONTEXT_MANAGERS.values())
        _CONTEXT_MANAGERS.clear()
    for manager in managers:
        try:
            manager.writer.get_engine().dispose()
        except Exception:  # noqa: BLE001 - never started: nothing to close
            pass


def _sqlite_busy(exc):
    # SQLite answers "database is locked" at once, without waiting, when
    # two deferred transactions both want to write; like a deadlock, the
    # cure is to run the transaction again.
    return 'database is locked' in str(exc)


def _retry(func):
    return oslo_db_api.wrap_db_retry(max_retries=10, retry_on_deadlock=True,
                                     retry_interval=0.05,
                                     inc_retry_interval=True,
                                     max_retry_interval=1,
                                     exception_checker=_sqlite_busy)(func)


def _scoped(pick, mode):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(context, *args, **kwargs):
            manager = pick(context)
            with getattr(manager, mode).using(context):
                return func(context, *args, **kwargs)
        return _retry(wrapper)
    return decorator


# Decorators of the DB API functions: one transaction per call (joined
# when the caller already has one open on the same database), retried on
# deadlock. The decorated function finds its session on context.session.
region_reader = _scoped(region_context_manager, 'reader')
region_writer = _scoped(region_context_manager, 'writer')
api_reader = _scoped(lambda context: api_context_manager(), 'reader')
api_writer = _scoped(lambda context: api_context_manager(), 'writer')


def _connected(pick):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(context, *args, **kwargs):
            with pick(context).reader.connection.using(context):
                return func(context, *args, **kwargs)
        return _retry(wrapper)
    return decorator


# Reads of plain columns with a Core statement: the function finds a
# Connection on context.connection, with no ORM Session set up around it
# (a third of a small query's cost, paid per cell by global lists).
region_reader_connection = _connected(region_context_manager)


def region_read(context):
    """One read transaction on the region database of ``context``; the
    DB API reads called inside it join it instead of opening their own.
    """
    return region_context_manager(context).reader.using(context)
