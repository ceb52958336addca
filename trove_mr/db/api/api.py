"""The API database API: region mappings, resource mappings and quotas.

Region mappings' transport_url and database_connection are encrypted at
rest with ``[api_database] mapping_encr_key``; the functions here return
:class:`RegionMappingInfo` values with them decrypted.

Mapping lookups (``region_mapping_get``, ``instance_mapping_get``,
``cluster_mapping_get``) are cached in-process; see
:mod:`trove_mr.db.api.mapping_cache` for the TTL and what invalidates it.
"""

import dataclasses
import datetime
import re

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_utils import uuidutils

from trove_mr.common import cfg
from trove_mr.common import crypto
from trove_mr.common import exceptions
from trove_mr.common import keys
from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.api import mapping_cache
from trove_mr.db.api import models

CONF = cfg.CONF

_URL_PASSWORD = re.compile(r'(://|,)([^:/@,]*):([^@]*)@')


def mask_url(url):
    """A URL with every password replaced by ****, safe to print."""
    if not url:
        return url
    return _URL_PASSWORD.sub(r'\1\2:****@', url)


@dataclasses.dataclass(frozen=True)
class RegionMappingInfo:
    """A region mapping with its URLs in clear; never log it whole."""

    id: int
    uuid: str
    name: str
    transport_url: str = dataclasses.field(repr=False)
    database_connection: str = dataclasses.field(repr=False)
    created_at: datetime.datetime = None
    updated_at: datetime.datetime = None

    def masked(self):
        """A dict of the mapping with passwords masked, for output."""
        return {'uuid': self.uuid, 'name': self.name,
                'transport_url': mask_url(self.transport_url),
                'database_connection': mask_url(self.database_connection),
                'created_at': self.created_at,
                'updated_at': self.updated_at}


def _key(key=None):
    """The mapping key ring: ``key`` alone when given, else
    mapping_encr_key and its old values."""
    if key:
        return crypto.KeyRing([key], keys.REGION_MAPPING)
    return keys.ring(keys.REGION_MAPPING)


def _mapping_ad(row_uuid, column, sealed=None):
    """Associated data of a mapping's secret: its row and column, so that
    two rows' (or columns') ciphertexts cannot be swapped. Texts of the
    previous release (v1) were sealed without any."""
    if sealed is not None and crypto.key_id_of(sealed) is None:
        return None
    return ('%s|%s' % (row_uuid, column)).encode('utf-8')


def _seal(key, row_uuid, column, clear):
    return key.encrypt(clear, _mapping_ad(row_uuid, column))


def _open(key, row, column):
    sealed = getattr(row, column)
    return key.decrypt(sealed, _mapping_ad(row.uuid, column, sealed))


def _info(row, key=None):
    key = key if isinstance(key, crypto.KeyRing) else _key(key)
    return RegionMappingInfo(
        id=row.id, uuid=row.uuid, name=row.name,
        transport_url=_open(key, row, 'transport_url'),
        database_connection=_open(key, row, 'database_connection'),
        created_at=row.created_at, updated_at=row.updated_at)


def _live_mappings():
    return sa.select(models.RegionMapping).where(
        models.RegionMapping.deleted == 0)


def _mapping_row(session, uuid_or_name):
    query = _live_mappings().where(sa.or_(
        models.RegionMapping.uuid == uuid_or_name,
        models.RegionMapping.name == uuid_or_name))
    found = session.execute(query).scalars().first()
    if found is None:
        raise exceptions.RegionMappingNotFound(
            'Region mapping %s could not be found.' % uuid_or_name)
    return found


@engines.api_writer
def region_mapping_create(context, name, transport_url, database_connection,
                          uuid=None):
    """Map a region's cell; raises Conflict when the name is taken."""
    session = context.session
    taken = session.execute(
        _live_mappings().where(models.RegionMapping.name == name)).first()
    if taken is not None:
        raise exceptions.Conflict('A region mapping named %s exists.' % name)
    key = _key()
    now = rows.now()
    row_uuid = uuid or uuidutils.generate_uuid()
    row = models.RegionMapping(
        uuid=row_uuid, name=name, deleted=0,
        transport_url=_seal(key, row_uuid, 'transport_url', transport_url),
        database_connection=_seal(key, row_uuid, 'database_connection',
                                  database_connection),
        created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    mapping_cache.clear()
    return _info(row, key)


@engines.api_reader
def _region_mapping_read(context, uuid_or_name):
    return _info(_mapping_row(context.session, uuid_or_name))


def region_mapping_get(context, uuid_or_name):
    """A live mapping by uuid or name; raises RegionMappingNotFound.

    Cached (by uuid and by name); a miss is always read afresh.
    """
    found = mapping_cache.get('region', uuid_or_name)
    if found is None:
        found = _region_mapping_read(context, uuid_or_name)
        mapping_cache.put('region', (found.uuid, found.name), found)
    return found


@engines.api_reader
def _region_mapping_list_read(context):
    query = _live_mappings().order_by(models.RegionMapping.name,
                                      models.RegionMapping.id)
    return [_info(row) for row in context.session.execute(query).scalars()]


def region_mapping_list(context):
    """Every live mapping, by name (cached; a global list reads it)."""
    found = mapping_cache.get('region_list', 'all')
    if found is None:
        found = _region_mapping_list_read(context)
        if found:
            # An empty answer is a miss: the first cell may be registered
            # any moment by another API worker.
            mapping_cache.put('region_list', ('all',), found)
    return list(found)


@engines.api_writer
def region_mapping_update(context, uuid_or_name, name=None,
                          transport_url=None, database_connection=None):
    """Change a mapping's name or URLs; returns the updated mapping."""
    row = _mapping_row(context.session, uuid_or_name)
    key = _key()
    if name is not None:
        row.name = name
    if transport_url is not None:
        row.transport_url = _seal(key, row.uuid, 'transport_url',
                                  transport_url)
    if database_connection is not None:
        row.database_connection = _seal(key, row.uuid,
                                        'database_connection',
                                        database_connection)
    row.updated_at = rows.now()
    context.session.flush()
    mapping_cache.clear()
    return _info(row, key)


@engines.api_writer
def region_mapping_delete(context, uuid_or_name):
    """Soft-delete a mapping that no instance or cluster maps to.

    Raises Conflict while resources are still mapped to it.
    """
    session = context.session
    row = _mapping_row(session, uuid_or_name)
    for table in (models.InstanceMapping, models.ClusterMapping):
        used = session.execute(
            sa.select(table.id)
            .where(table.region_mapping_uuid == row.uuid).limit(1)).first()
        if used is not None:
            raise exceptions.Conflict(
                'Region mapping %s still owns resources.' % row.name)
    # deleted = id, as in oslo.db soft deletes, so names can be reused.
    row.deleted = row.id
    row.deleted_at = rows.now()
    mapping_cache.clear()


@engines.api_writer
def region_mapping_rotate_key(context, old_key, new_key=None):
    """Re-encrypt every mapping (deleted ones too) under ``new_key``.

    ``new_key`` defaults to the configured mapping_encr_key. All or
    nothing: a mapping that ``old_key`` cannot decrypt aborts the
    rotation. Returns how many mappings were re-encrypted.
    """
    new_key = _key(new_key)
    old_key = _key(old_key)
    count = 0
    for row in context.session.execute(
            sa.select(models.RegionMapping)).scalars():
        for column in ('transport_url', 'database_connection'):
            clear = _open(old_key, row, column)
            setattr(row, column, _seal(new_key, row.uuid, column, clear))
        count += 1
    mapping_cache.clear()
    return count


@engines.api_writer
def region_mappings_rewrap(context):
    """Re-encrypt every mapping not yet under the current mapping key
    (reading with its old values too). Returns how many changed."""
    ring = _key()
    count = 0
    for row in context.session.execute(
            sa.select(models.RegionMapping)).scalars():
        changed = False
        for column in ('transport_url', 'database_connection'):
            if not ring.is_current(getattr(row, column)):
                setattr(row, column, _seal(ring, row.uuid, column,
                                           _open(ring, row, column)))
                changed = True
        count += changed
    mapping_cache.clear()
    return count


@engines.api_reader
def region_mapping_key_ids(context):
    """{key id or 'v1': number of mapping secrets sealed under it}."""
    found = {}
    for row in context.session.execute(
            sa.select(models.RegionMapping)).scalars():
        for column in ('transport_url', 'database_connection'):
            kid = crypto.key_id_of(getattr(row, column)) or 'v1'
            found[kid] = found.get(kid, 0) + 1
    return found


def _resource_mapping_create(session, table, column, resource_uuid,
                             region_mapping_uuid, project_id):
    _mapping_row(session, region_mapping_uuid)
    now = rows.now()
    row = table(**{column: resource_uuid},
                region_mapping_uuid=region_mapping_uuid,
                project_id=project_id, created_at=now, updated_at=now)
    session.add(row)
    try:
        session.flush()
    except db_exc.DBDuplicateEntry:
        raise exceptions.Conflict(
            '%s is already mapped.' % resource_uuid) from None


def _resource_mapping_get(session, table, column, resource_uuid):
    query = (sa.select(models.RegionMapping)
             .join(table, table.region_mapping_uuid ==
                   models.RegionMapping.uuid)
             .where(getattr(table, column) == resource_uuid,
                    models.RegionMapping.deleted == 0))
    found = session.execute(query).scalars().first()
    if found is None:
        raise exceptions.ResourceMappingNotFound(
            'No cell owns %s.' % resource_uuid)
    return _info(found)


def _resource_mapping_delete(session, table, column, resource_uuid):
    result = session.execute(
        sa.delete(table).where(getattr(table, column) == resource_uuid))
    if result.rowcount == 0:
        raise exceptions.ResourceMappingNotFound(
            'No cell owns %s.' % resource_uuid)


@engines.api_writer
def instance_mapping_create(context, instance_uuid, region_mapping_uuid,
                            project_id):
    """Record which cell owns an instance; Conflict if already mapped."""
    _resource_mapping_create(context.session, models.InstanceMapping,
                             'instance_uuid', instance_uuid,
                             region_mapping_uuid, project_id)


@engines.api_reader
def _mapping_read(context, model, column, resource_uuid):
    return _resource_mapping_get(context.session, model, column,
                                 resource_uuid)


def _cached_mapping(context, kind, model, column, resource_uuid):
    """A resource's owning cell, through the in-process mapping cache."""
    found = mapping_cache.get(kind, resource_uuid)
    if found is None:
        found = _mapping_read(context, model, column, resource_uuid)
        mapping_cache.put(kind, (resource_uuid,), found)
    return found


def instance_mapping_get(context, instance_uuid):
    """The RegionMappingInfo of the cell owning an instance (cached)."""
    return _cached_mapping(context, 'instance', models.InstanceMapping,
                           'instance_uuid', instance_uuid)


@engines.api_writer
def instance_mapping_delete(context, instance_uuid):
    """Forget an instance's mapping; ResourceMappingNotFound if none."""
    mapping_cache.forget('instance', instance_uuid)
    _resource_mapping_delete(context.session, models.InstanceMapping,
                             'instance_uuid', instance_uuid)


@engines.api_writer
def cluster_mapping_create(context, cluster_uuid, region_mapping_uuid,
                           project_id):
    """Record which cell owns a cluster; Conflict if already mapped."""
    _resource_mapping_create(context.session, models.ClusterMapping,
                             'cluster_uuid', cluster_uuid,
                             region_mapping_uuid, project_id)


def cluster_mapping_get(context, cluster_uuid):
    """The RegionMappingInfo of the cell owning a cluster (cached)."""
    return _cached_mapping(context, 'cluster', models.ClusterMapping,
                           'cluster_uuid', cluster_uuid)


@engines.api_writer
def cluster_mapping_delete(context, cluster_uuid):
    """Forget a cluster's mapping; ResourceMappingNotFound if none."""
    mapping_cache.forget('cluster', cluster_uuid)
    _resource_mapping_delete(context.session, models.ClusterMapping,
                             'cluster_uuid', cluster_uuid)


@engines.api_writer
def cluster_mappings_move(context, cluster_uuid, instance_uuids,
                          region_mapping_uuid):
    """Map a cluster and its members to another cell (a takeover by its
    standby region's cell); safe to repeat. Members never mapped are
    mapped now."""
    session = context.session
    _mapping_row(session, region_mapping_uuid)
    now = rows.now()
    found = session.execute(
        sa.select(models.ClusterMapping)
        .where(models.ClusterMapping.cluster_uuid == cluster_uuid)
    ).scalars().first()
    if found is None:
        raise exceptions.ResourceMappingNotFound(
            'No cell owns %s.' % cluster_uuid)
    found.region_mapping_uuid = region_mapping_uuid
    found.updated_at = now
    for instance_uuid in instance_uuids:
        row = session.execute(
            sa.select(models.InstanceMapping)
            .where(models.InstanceMapping.instance_uuid == instance_uuid)
        ).scalars().first()
        if row is None:
            session.add(models.InstanceMapping(
                instance_uuid=instance_uuid,
                region_mapping_uuid=region_mapping_uuid,
                project_id=found.project_id, created_at=now,
                updated_at=now))
        else:
            row.region_mapping_uuid = region_mapping_uuid
            row.updated_at = now
        mapping_cache.forget('instance', instance_uuid)
    mapping_cache.forget('cluster', cluster_uuid)
    session.flush()


def cluster_mapping_refresh(context, cluster_uuid):
    """The cell owning a cluster read again, not from the cache (a cell
    that does not answer may have been replaced by a takeover)."""
    mapping_cache.forget('cluster', cluster_uuid)
    return cluster_mapping_get(context, cluster_uuid)


@engines.api_reader
def quota_get_all(context, project_id):
    """A project's hard-limit overrides: ``{resource: hard_limit}``."""
    query = sa.select(models.Quota).where(
        models.Quota.project_id == project_id)
    return {row.resource: row.hard_limit
            for row in context.session.execute(query).scalars()}


@engines.api_writer
def quota_set(context, project_id, resource, hard_limit):
    """Set (or, with ``hard_limit=None``, drop) a project's override."""
    session = context.session
    row = session.execute(sa.select(models.Quota).where(
        models.Quota.project_id == project_id,
        models.Quota.resource == resource)).scalars().first()
    if hard_limit is None:
        if row is not None:
            session.delete(row)
        return
    now = rows.now()
    if row is None:
        session.add(models.Quota(project_id=project_id, resource=resource,
                                 hard_limit=hard_limit, created_at=now,
                                 updated_at=now))
    else:
        row.hard_limit = hard_limit
        row.updated_at = now


@engines.api_reader
def quota_usage_get_all(context, project_id):
    """What a project uses: ``{resource: in_use}``."""
    query = sa.select(models.QuotaUsage).where(
        models.QuotaUsage.project_id == project_id)
    return {row.resource: row.in_use
            for row in context.session.execute(query).scalars()}


@engines.api_writer
def _quota_usage_insert(context, project_id, resource):
    session = context.session
    exists = session.execute(sa.select(models.QuotaUsage.id).where(
        models.QuotaUsage.project_id == project_id,
        models.QuotaUsage.resource == resource)).first()
    if exists is None:
        now = rows.now()
        session.add(models.QuotaUsage(
            project_id=project_id, resource=resource, in_use=0,
            created_at=now, updated_at=now))


def _quota_usage_ensure(context, project_id, resource):
    try:
        _quota_usage_insert(context, project_id, resource)
    except db_exc.DBDuplicateEntry:
        # Another caller made the row first: exactly what was wanted.
        pass


@engines.api_writer
def _quota_usage_add(context, project_id, resource, delta, limit):
    usage = models.QuotaUsage
    stmt = (sa.update(usage)
            .where(usage.project_id == project_id,
                   usage.resource == resource)
            .values(in_use=usage.in_use + delta, updated_at=rows.now())
            .execution_options(synchronize_session=False))
    if limit is not None and limit >= 0:
        # The check and the increment are one statement: the database's
        # row lock makes concurrent reservations see each other.
        stmt = stmt.where(usage.in_use + delta <= limit)
    if delta < 0:
        stmt = stmt.where(usage.in_use + delta >= 0)
    if context.session.execute(stmt).rowcount == 0:
        return None
    return context.session.execute(sa.select(usage.in_use).where(
        usage.project_id == project_id,
        usage.resource == resource)).scalar_one()


def quota_reserve(context, project_id, resource, delta, limit):
    """Count ``delta`` more of a resource against a project's ``limit``.

    Succeeds only when in_use + delta <= limit, atomically (one
    conditional UPDATE), so concurrent API workers of every region never
    overshoot. ``limit`` None or negative means unlimited. Returns the new
    in_use; raises QuotaExceeded.
    """
    _quota_usage_ensure(context, project_id, resource)
    in_use = _quota_usage_add(context, project_id, resource, delta, limit)
    if in_use is None:
        raise exceptions.QuotaExceeded(
            'Quota exceeded for %s: asked for %d more, limit is %s.'
            % (resource, delta, limit))
    return in_use


def quota_release(context, project_id, resource, delta):
    """Give back ``delta`` of a resource; usage never drops below 0.

    Returns the new in_use.
    """
    _quota_usage_ensure(context, project_id, resource)
    in_use = _quota_usage_add(context, project_id, resource, -delta, None)
    if in_use is None:
        # Releasing more than is counted: clamp rather than fail, so a
        # cleanup after a partial failure cannot wedge the project.
        in_use = _quota_usage_set_zero(context, project_id, resource)
    return in_use


@engines.api_writer
def _quota_usage_set_zero(context, project_id, resource):
    usage = models.QuotaUsage
    context.session.execute(
        sa.update(usage)
        .where(usage.project_id == project_id, usage.resource == resource)
        .values(in_use=0, updated_at=rows.now())
        .execution_options(synchronize_session=False))
    return 0
