"""Region DB API: a cell's share of a global list of instances.

A global list asks every cell for its next rows of the page, so what one
cell call costs before its first row is paid once per cell. The ORM's
share of that (a Session, and the loaders of the instance, its guest
status, its datastore version and datastore set up at every execution)
and enginefacade's transaction were most of a small page's cost.
``instance_list_page`` reads the columns of those four tables
joined, in (created, id) order off the
``instances_tenant_deleted_created_idx`` index, and the keys past them,
with Core SELECTs built once (``prepared.PreparedRead``), on SQLite and
on database servers alike. The rows come
back as :class:`InstanceRow` values with the same attributes as the
ORM's instances (``row.status.status``,
``row.datastore_version.datastore.name``, ...), detached as the ORM's
are once their session ends, and built only for the ids asked.
"""

import sqlalchemy as sa

from trove_mr.db import engines
from trove_mr.db import pagination
from trove_mr.db import prepared
from trove_mr.db.main import models


class LoadedRow(object):
    """Columns of one table's row, as attributes named like the model's."""

    _model = None

    def __repr__(self):
        return '<%s %s>' % (type(self).__name__,
                            getattr(self, 'id', None)
                            or getattr(self, 'instance_id', None))


class InstanceRow(LoadedRow):
    """An instance with ``status`` (None when it has no status row) and
    ``datastore_version`` (with its ``datastore``) loaded."""

    _model = models.Instance


class InstanceStatusRow(LoadedRow):
    _model = models.InstanceStatus


class DatastoreVersionRow(LoadedRow):
    _model = models.DatastoreVersion


class DatastoreRow(LoadedRow):
    _model = models.Datastore


_INSTANCES = models.Instance.__table__
_STATUS = models.InstanceStatus.__table__
_VERSIONS = models.DatastoreVersion.__table__
_DATASTORES = models.Datastore.__table__

# The tables as the ORM's joined loads read them: the status outer
# joined (an instance may have none yet), version and datastore inner.
_JOINED = _INSTANCES.join(
    _VERSIONS, _VERSIONS.c.id == _INSTANCES.c.datastore_version_id).join(
    _DATASTORES, _DATASTORES.c.id == _VERSIONS.c.datastore_id).outerjoin(
    _STATUS, _STATUS.c.instance_id == _INSTANCES.c.id)


def _layout():
    """(row class, attribute names, first column, end column) of each
    table, and every column in SELECT order."""
    parts, columns = [], []
    for cls in (InstanceRow, InstanceStatusRow, DatastoreVersionRow,
                DatastoreRow):
        attrs = sa.inspect(cls._model).column_attrs
        start = len(columns)
        columns.extend(attr.columns[0] for attr in attrs)
        parts.append((cls, tuple(attr.key for attr in attrs), start,
                      len(columns)))
    return parts, columns


_PARTS, _COLUMNS = _layout()
_CREATED = _COLUMNS.index(_INSTANCES.c.created)
_ID = _COLUMNS.index(_INSTANCES.c.id)
_STATUS_KEY = _COLUMNS.index(_STATUS.c.instance_id)


def _loaded(cls, names, values):
    row = cls.__new__(cls)
    row.__dict__ = dict(zip(names, values, strict=True))
    return row


def _rows(found):
    """InstanceRow values of result rows; one version and datastore
    object per version, as one ORM session would give."""
    (instance, instance_names, _, i_end), (status, status_names, s_start,
                                           s_end), \
        (version, version_names, v_start, v_end), \
        (datastore, datastore_names, d_start, d_end) = _PARTS
    versions, rows = {}, []
    for values in found:
        row = _loaded(instance, instance_names, values[:i_end])
        row.status = (None if values[_STATUS_KEY] is None else
                      _loaded(status, status_names, values[s_start:s_end]))
        version_id = values[v_start]
        loaded_version = versions.get(version_id)
        if loaded_version is None:
            loaded_version = _loaded(version, version_names,
                                     values[v_start:v_end])
            loaded_version.datastore = _loaded(datastore, datastore_names,
                                               values[d_start:d_end])
            versions[version_id] = loaded_version
        row.datastore_version = loaded_version
        rows.append(row)
    return rows


def _joined_select():
    """SELECT of the joined columns, the instances read first.

    MySQL and MariaDB would otherwise start from the one-row datastore
    tables, or join them through a join buffer, and sort every row of
    the tenant in a temporary table (ten times slower at 1,000 instances
    a tenant): STRAIGHT_JOIN keeps the order of the FROM clause and the
    index hints make the datastore tables primary key lookups, so the
    rows come in index order and the LIMIT stops the read. SQLite does
    so by itself.
    """
    query = sa.select(*_COLUMNS).select_from(_JOINED)
    for dialect in ('mysql', 'mariadb'):
        query = query.prefix_with('STRAIGHT_JOIN', dialect=dialect)
        for table in (_VERSIONS, _DATASTORES):
            query = query.with_hint(table, 'FORCE INDEX (PRIMARY)', dialect)
    return query


def _where(include_clustered, paged):
    """A tenant's live instances (after a bound key when ``paged``)."""
    instances = _INSTANCES.c
    # "deleted = false", not "deleted IS false": MySQL and MariaDB use
    # an index for equality only (see instances._keys_statement).
    where = [instances.tenant_id == sa.bindparam('tenant_id'),
             instances.deleted == sa.false()]
    if not include_clustered:
        where.append(instances.cluster_id.is_(None))
    if paged:
        where.append(pagination.after_bound(instances))
    return where


_ORDER = (_INSTANCES.c.created, _INSTANCES.c.id)


def _reads(include_clustered, paged):
    """The two SELECTs of ``instance_list_page``, built once: only their
    bound values change, so each is compiled once per dialect.

    The whole rows of the first ``preload`` instances, and the keys alone
    of the next ``rest`` after the last of them: SQLite makes a Python
    value of every column it returns, NULL or not, so a key alone costs
    a fifth of a whole row.
    """
    whole = _joined_select().where(
        *_where(include_clustered, paged)).order_by(*_ORDER).limit(
        sa.bindparam('preload'))
    keys = sa.select(*_ORDER).where(
        *_where(include_clustered, True)).order_by(*_ORDER).limit(
        sa.bindparam('rest'))
    return prepared.PreparedRead(whole), prepared.PreparedRead(keys)


_PAGE_READS = {(clustered, paged): _reads(clustered, paged)
               for clustered in (False, True) for paged in (False, True)}


class _Preloaded(object):
    """The whole rows a cell read with its keys, made into InstanceRows
    only for the ids asked: a cell reads a few more than the page takes
    from it, and those are never built."""

    def __init__(self, found, processors):
        self._found = {values[_ID]: values for values in found}
        self._processors = processors

    def __call__(self, ids):
        return _rows(prepared.processed(
            [self._found[row_id] for row_id in ids if row_id in self._found],
            self._processors))


def instance_list_page(context, tenant_id, limit, preload, after=None,
                       include_clustered=False):
    """A tenant's next ``limit`` live instances here, in one read.

    Returns ``(keys, preloaded)``: the (created, id) keys of the ``limit``
    instances after the key ``after`` (None: from the first), in order,
    as ``instances.instance_list_keys`` gives them, and a callable that
    gives the rows (InstanceRows) of those of the ids it is given that
    are among the first ``preload``, read already. The statements (one
    when ``limit`` is ``preload``) run on a pooled connection of the
    cell's database in one snapshot, outside any transaction of
    ``context`` (``prepared.read_together``).
    """
    engine = prepared.region_engine(context)
    # One whole row at least: the keys alone come after the last one.
    preload = max(1, min(preload, limit))
    params = {'tenant_id': tenant_id, 'preload': preload}
    if after is not None:
        params.update(after_created=after[0], after_id=after[1])
    whole, keys_read = _PAGE_READS[(bool(include_clustered),
                                    after is not None)]
    processors = whole.processors(engine.dialect)
    created = dict(processors).get(_CREATED, lambda value: value)

    def rest(found):
        # None when the whole rows were the last ones: nothing follows.
        if len(found[0]) < preload:
            return None
        last = found[0][-1]
        return {'tenant_id': tenant_id, 'rest': limit - preload,
                'after_created': created(last[_CREATED]),
                'after_id': last[_ID]}

    reads = [(whole, params)]
    if limit > preload:
        reads.append((keys_read, rest))
    found = prepared.read_together(engine, reads, raw=True)
    keys = [(created(values[_CREATED]), values[_ID]) for values in found[0]]
    if len(found) > 1:
        keys.extend(tuple(values) for values in prepared.processed(
            found[1], keys_read.processors(engine.dialect)))
    return keys, _Preloaded(found[0], processors)


_GET_MANY = _joined_select().where(
    _INSTANCES.c.id.in_(sa.bindparam('ids', expanding=True)))


@engines.region_reader_connection
def instance_get_many(context, instance_ids):
    """The instances of ``instance_ids`` (any order; deleted ones too),
    status and datastore version loaded."""
    return _rows(context.connection.execute(
        _GET_MANY, {'ids': list(instance_ids)}))


def _marker_read(tenant):
    instances = _INSTANCES.c
    query = sa.select(*_ORDER).where(instances.id == sa.bindparam('marker'))
    if tenant:
        query = query.where(instances.tenant_id == sa.bindparam('tenant_id'))
    return prepared.PreparedRead(query)


_MARKER_READS = {tenant: _marker_read(tenant) for tenant in (False, True)}


def instance_marker_key(context, marker, tenant_id=None):
    """The (created, id) key of instance ``marker`` here, or None.

    Deleted instances count (see ``pagination.marker_key``). A global
    list asks every cell for it when the marker's mapping is gone.
    """
    found = _MARKER_READS[tenant_id is not None].rows(
        prepared.region_engine(context),
        {'marker': marker, 'tenant_id': tenant_id})
    return tuple(found[0]) if found else None
