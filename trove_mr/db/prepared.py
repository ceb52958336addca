"""One-statement reads run straight on a pooled DBAPI connection.

A global list reads every cell for each page, so what one cell call costs
before its first row is paid once per cell. Through enginefacade and a
SQLAlchemy Connection, a read of one row costs about 150 us on SQLite
(the transaction context, the connection's events, oslo.db's own BEGIN
statement, the execution context); the same statement on the pooled
DBAPI connection costs about 30 us. :class:`PreparedRead` compiles a
Core SELECT once per dialect, with the bind and result processors of its
columns' types (so values come back as the Core statement would return
them: datetimes, booleans), and runs it on a connection checked out of
the engine's pool, which keeps its listeners (oslo.db's connect
settings, the SQLite file check of ``engines``).

One statement needs no transaction of its own: it reads one consistent
state of the database on SQLite and on MySQL alike. The connection goes
back to the pool rolled back, as a SQLAlchemy one does. A statement that
fails invalidates its connection, so that a cell whose database went
away or restarted is reconnected on its next call instead of failing on
a dead connection; the error is raised as the driver gave it.
"""

import threading

from trove_mr.db import engines


class PreparedRead(object):
    """A SELECT of fixed shape run on a region database's pool.

    ``statement`` is a Core SELECT whose bound parameters are named
    (``sa.bindparam``); only their values change between calls. Expanding
    parameters (``IN`` lists) are not supported: their SQL changes with
    the list's length.
    """

    def __init__(self, statement):
        self._statement = statement
        self._lock = threading.Lock()
        # dialect -> (sql, parameter order or None, bind processors,
        # result processors)
        self._compiled = {}

    def _prepared(self, dialect):
        found = self._compiled.get(dialect)
        if found is not None:
            return found
        compiled = self._statement.compile(dialect=dialect)
        binds = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(
                dialect)
            if processor is not None:
                binds[name] = processor
        results = []
        for index, column in enumerate(self._statement.selected_columns):
            processor = column.type.dialect_impl(dialect).result_processor(
                dialect, None)
            if processor is not None:
                results.append((index, processor))
        order = tuple(compiled.positiontup) if compiled.positional else None
        found = (compiled, str(compiled), order, binds, tuple(results))
        with self._lock:
            return self._compiled.setdefault(dialect, found)

    def _values(self, dialect, params):
        compiled, sql, order, binds, results = self._prepared(dialect)
        values = compiled.construct_params(params)
        for name, processor in binds.items():
            values[name] = processor(values[name])
        if order is not None:
            values = tuple(values[name] for name in order)
        return sql, values, results

    def rows(self, engine, params):
        """Every row of the statement with ``params``, as lists of values."""
        return read_together(engine, [(self, params)])[0]

    def processors(self, dialect):
        """``(column index, processor)`` of the columns whose driver
        values ``processed`` turns into the types' Python values."""
        return self._prepared(dialect)[4]


def processed(found, results):
    """Rows as lists, with the processors of ``PreparedRead.processors``
    applied (for rows read with ``read_together(..., raw=True)``)."""
    return _processed(found, results)


def _processed(found, results):
    if not results:
        return [list(row) for row in found]
    rows = []
    for row in found:
        row = list(row)
        for index, processor in results:
            row[index] = processor(row[index])
        rows.append(row)
    return rows


def read_together(engine, reads, raw=False):
    """The rows of each ``(PreparedRead, params)`` of ``reads``, read on
    one connection in one snapshot of the database; with ``raw``, as the
    driver gave them (see ``processed``).

    ``params`` may be a callable instead, given the (raw) rows of the
    reads before it: it answers the parameters, or None to skip the read
    (its rows are then none).

    On SQLite (whose connections oslo.db leaves in autocommit) a BEGIN
    first makes the reads share one; on MySQL the connection is in a
    transaction already, whose first read fixes the snapshot. The pool
    rolls it back when the connection returns.
    """
    dialect = engine.dialect
    found, processors = [], []
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            if len(reads) > 1 and dialect.name == 'sqlite':
                cursor.execute('BEGIN')
            for read, params in reads:
                if callable(params):
                    params = params(found)
                if params is None:
                    found.append([])
                    processors.append(())
                    continue
                sql, values, results = read._values(dialect, params)
                cursor.execute(sql, values)
                found.append(cursor.fetchall())
                processors.append(results)
        finally:
            cursor.close()
    except BaseException:
        connection.invalidate()
        raise
    finally:
        connection.close()
    if raw:
        return found
    return [_processed(rows, results)
            for rows, results in zip(found, processors, strict=True)]


def region_engine(context):
    """The engine of the region database a call on ``context`` reads."""
    return engines.region_context_manager(context).reader.get_engine()
