"""Keyset pagination on (created, id) for tenant-owned tables."""

import sqlalchemy as sa

from trove_mr.common import exceptions


def marker_key(session, model, marker, tenant_id=None):
    """The (created, id) sort key of row ``marker``, or None if unknown.

    Deleted rows count, so that deleting the last row seen does not break
    paging. ``session`` may be a Session or a Core Connection.
    """
    key = sa.select(model.created, model.id).where(model.id == marker)
    if tenant_id is not None:
        key = key.where(model.tenant_id == tenant_id)
    found = session.execute(key).first()
    return tuple(found) if found is not None else None


def after_clause(model, after):
    """WHERE clause of the rows that sort after the (created, id) key."""
    created, marker_id = after
    return sa.or_(model.created > created,
                  sa.and_(model.created == created, model.id > marker_id))


def after_bound(columns):
    """``after_clause`` for a statement built once: the key comes in the
    bound values ``after_created`` and ``after_id``.

    Written ``created >= :c AND (created > :c OR id > :i)``: the same
    rows, but the first term bounds the range read off a (..., created,
    id) index on SQLite and MySQL alike, where the OR alone makes them
    read the tenant's index entries from the first.
    """
    created = sa.bindparam('after_created', type_=columns.created.type)
    return sa.and_(columns.created >= created,
                   sa.or_(columns.created > created,
                          columns.id > sa.bindparam('after_id')))


def page(session, query, model, limit, marker, tenant_id=None, after=None):
    """Apply the marker and limit to ``query`` and run it.

    Rows come in (created, id) order. ``marker`` is the id of the last row
    of the previous page; it must be one of the tenant's rows (deleted ones
    included, so that deleting the last row seen does not break paging).
    ``after`` is an already known (created, id) key used instead of a
    marker: a global list gets it from the marker's own cell and pages
    every other cell after it.
    Returns ``(rows, next_marker)``; next_marker is None on the last page.
    Two queries at most whatever the page size: the marker's key, the page.
    """
    if marker is not None and after is None:
        after = marker_key(session, model, marker, tenant_id)
        if after is None:
            raise exceptions.BadRequest(
                'Invalid marker: %s was not found.' % marker)
    if after is not None:
        query = query.where(after_clause(model, after))
    query = query.order_by(model.created, model.id)
    if limit is not None:
        # One more than asked: it tells whether there is a next page.
        query = query.limit(limit + 1)
    rows = list(session.execute(query).unique().scalars())
    next_marker = None
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        next_marker = rows[-1].id
    return rows, next_marker
