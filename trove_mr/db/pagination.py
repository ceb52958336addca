"""Keyset pagination on (created, id) for tenant-owned tables."""

import sqlalchemy as sa

from trove_mr.common import exceptions


def page(session, query, model, limit, marker, tenant_id=None):
    """Apply the marker and limit to ``query`` and run it.

    Rows come in (created, id) order. ``marker`` is the id of the last row
    of the previous page; it must be one of the tenant's rows (deleted ones
    included, so that deleting the last row seen does not break paging).
    Returns ``(rows, next_marker)``; next_marker is None on the last page.
    Two queries at most whatever the page size: the marker's key, the page.
    """
    if marker is not None:
        key = sa.select(model.created, model.id).where(model.id == marker)
        if tenant_id is not None:
            key = key.where(model.tenant_id == tenant_id)
        found = session.execute(key).first()
        if found is None:
            raise exceptions.BadRequest(
                'Invalid marker: %s was not found.' % marker)
        created, marker_id = found
        query = query.where(sa.or_(
            model.created > created,
            sa.and_(model.created == created, model.id > marker_id)))
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
