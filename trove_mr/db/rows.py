"""Helpers shared by the region DB API modules."""

import calendar

import sqlalchemy as sa
from oslo_serialization import jsonutils
from oslo_utils import timeutils

from trove_mr.common import crypto
from trove_mr.common import exceptions


def now():
    """Naive UTC now, the way every timestamp column is stored."""
    return timeutils.utcnow().replace(tzinfo=None)


def epoch(value):
    """Seconds since the epoch of a naive UTC datetime of a row."""
    return calendar.timegm(value.timetuple()) + value.microsecond / 1e6


def encode_addresses(values):
    """Store a list/dict ``addresses`` value as the JSON text it is kept as."""
    addresses = values.get('addresses')
    if addresses is not None and not isinstance(addresses, str):
        values['addresses'] = jsonutils.dumps(addresses)
    return values


def get_live(session, model, row_id, not_found, tenant_id=None):
    """A row that is not soft-deleted (and the tenant's, when given)."""
    query = sa.select(model).where(model.id == row_id,
                                   model.deleted.is_(False))
    if tenant_id is not None:
        query = query.where(model.tenant_id == tenant_id)
    row = session.execute(query).unique().scalars().first()
    if row is None:
        # The same answer for missing, deleted and another tenant's rows:
        # a tenant must not learn which ids exist.
        raise not_found('%s %s could not be found.'
                        % (model.__tablename__[:-1].capitalize(), row_id))
    return row


def conditional_update(session, model, row_id, values, column=None,
                       expected=None, not_found=exceptions.NotFound):
    """UPDATE one live row, only while ``column`` holds an expected value.

    This is the per-resource lock: of two writers expecting the same state
    only one matches the WHERE clause. Returns the updated row; raises
    ``not_found`` when the row is missing or deleted, and
    UnexpectedTaskState when it is in another state.
    """
    values = dict(values)
    values.setdefault('updated', now())
    stmt = sa.update(model).where(model.id == row_id,
                                  model.deleted.is_(False))
    if expected is not None:
        if isinstance(expected, (str, int)):
            expected = [expected]
        stmt = stmt.where(column.in_(list(expected)))
    stmt = stmt.values(**values).execution_options(
        synchronize_session=False)
    result = session.execute(stmt)
    if result.rowcount == 0:
        row = get_live(session, model, row_id, not_found)
        raise exceptions.UnexpectedTaskState(
            '%s %s is in state %s, expected one of %s.'
            % (model.__tablename__[:-1].capitalize(), row_id,
               getattr(row, column.key), ', '.join(map(str, expected))))
    return session.execute(
        sa.select(model).where(model.id == row_id)
        .execution_options(populate_existing=True)
    ).unique().scalars().one()


def soft_delete(session, model, row_id, not_found, extra=None):
    """Mark one live row deleted; raises ``not_found`` if there is none."""
    stamp = now()
    values = {'deleted': True, 'deleted_at': stamp, 'updated': stamp}
    values.update(extra or {})
    result = session.execute(
        sa.update(model)
        .where(model.id == row_id, model.deleted.is_(False))
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount == 0:
        get_live(session, model, row_id, not_found)


def key_id_counts(session, column, *where):
    """{key id, or 'v1' for texts naming none: how many values of
    ``column`` (sealed texts, NULLs skipped) are sealed under it}."""
    found = {}
    for sealed in session.execute(
            sa.select(column).where(column.is_not(None), *where)).scalars():
        kid = crypto.key_id_of(sealed) or 'v1'
        found[kid] = found.get(kid, 0) + 1
    return found
