"""Backups in the API database: which cell owns each, and the backup
strategies (the default Swift container of a project or an instance).

Backup mappings are cached in-process as instance and cluster mappings
are (:mod:`trove_mr.db.api.mapping_cache`).
"""

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_utils import uuidutils

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.api import api
from trove_mr.db.api import mapping_cache
from trove_mr.db.api import models

SWIFT = 'swift'


@engines.api_writer
def backup_mapping_create(context, backup_uuid, region_mapping_uuid,
                          project_id):
    """Record which cell owns a backup; Conflict if already mapped."""
    api._resource_mapping_create(context.session, models.BackupMapping,
                                 'backup_uuid', backup_uuid,
                                 region_mapping_uuid, project_id)


def backup_mapping_get(context, backup_uuid):
    """The RegionMappingInfo of the cell owning a backup (cached);
    ResourceMappingNotFound if it has none."""
    return api._cached_mapping(context, 'backup', models.BackupMapping,
                               'backup_uuid', backup_uuid)


@engines.api_writer
def backup_mapping_delete(context, backup_uuid):
    """Forget a backup's mapping; ResourceMappingNotFound if none."""
    mapping_cache.forget('backup', backup_uuid)
    api._resource_mapping_delete(context.session, models.BackupMapping,
                                 'backup_uuid', backup_uuid)


def _strategy(row):
    return {'id': row.id, 'project_id': row.project_id,
            'instance_id': row.instance_id or None,
            'backend': row.backend,
            'swift_container': row.swift_container,
            'created': row.created_at, 'updated': row.updated_at}


@engines.api_writer
def backup_strategy_set(context, project_id, instance_id, swift_container,
                        backend=SWIFT):
    """Create or replace the strategy of a project (``instance_id``
    None) or of one of its instances; returns it as a dict."""
    session = context.session
    key = instance_id or ''
    row = session.execute(sa.select(models.BackupStrategy).where(
        models.BackupStrategy.project_id == project_id,
        models.BackupStrategy.instance_id == key)).scalars().first()
    now = rows.now()
    if row is None:
        row = models.BackupStrategy(
            id=uuidutils.generate_uuid(), project_id=project_id,
            instance_id=key, created_at=now)
        session.add(row)
    row.backend = backend
    row.swift_container = swift_container
    row.updated_at = now
    try:
        session.flush()
    except db_exc.DBDuplicateEntry:
        raise exceptions.Conflict(
            'A backup strategy for this project and instance was just '
            'created; try again.') from None
    return _strategy(row)


@engines.api_reader
def backup_strategy_list(context, project_id, instance_id=None):
    """A project's strategies (only the one of ``instance_id`` when
    given), oldest first, as dicts."""
    query = sa.select(models.BackupStrategy).where(
        models.BackupStrategy.project_id == project_id)
    if instance_id is not None:
        query = query.where(models.BackupStrategy.instance_id == instance_id)
    query = query.order_by(models.BackupStrategy.created_at,
                           models.BackupStrategy.id)
    return [_strategy(row) for row in context.session.execute(query)
            .scalars()]


@engines.api_writer
def backup_strategy_delete(context, project_id, instance_id=None):
    """Delete the strategy of a project or of one instance; NotFound if
    there is none."""
    result = context.session.execute(sa.delete(models.BackupStrategy).where(
        models.BackupStrategy.project_id == project_id,
        models.BackupStrategy.instance_id == (instance_id or '')))
    if result.rowcount == 0:
        raise exceptions.NotFound(
            'No backup strategy for project %s%s.' % (
                project_id,
                ' and instance %s' % instance_id if instance_id else ''))


def backup_strategy_container(context, project_id, instance_id):
    """The container a backup of ``instance_id`` goes to by default: the
    instance's strategy, else the project's, else None."""
    found = {row['instance_id'] or '': row['swift_container']
             for row in backup_strategy_list(context, project_id)}
    return found.get(instance_id) or found.get('') or None
