"""Region DB API: clusters and backups."""

import sqlalchemy as sa
from oslo_utils import uuidutils

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db import pagination
from trove_mr.db import rows
from trove_mr.db.main import models

Cluster = models.Cluster
Backup = models.Backup


@engines.region_writer
def cluster_create(context, values):
    """Create a cluster row; task defaults to (1, NONE)."""
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    values.setdefault('created', rows.now())
    values.setdefault('task_id', 1)
    values.setdefault('task_name', 'NONE')
    values.setdefault('deleted', False)
    context.session.add(Cluster(**values))
    context.session.flush()
    return rows.get_live(context.session, Cluster, values['id'],
                         exceptions.ClusterNotFound)


@engines.region_reader
def cluster_get(context, cluster_id, tenant_id=None):
    """A live cluster; raises ClusterNotFound (also for another tenant)."""
    return rows.get_live(context.session, Cluster, cluster_id,
                         exceptions.ClusterNotFound, tenant_id=tenant_id)


@engines.region_reader
def cluster_list(context, tenant_id, limit=None, marker=None):
    """One page of a tenant's live clusters: ``(clusters, next_marker)``."""
    query = sa.select(Cluster).where(Cluster.tenant_id == tenant_id,
                                     Cluster.deleted.is_(False))
    return pagination.page(context.session, query, Cluster, limit, marker,
                           tenant_id=tenant_id)


@engines.region_writer
def cluster_update(context, cluster_id, values, expected_task_name=None):
    """Update a live cluster; the per-cluster lock.

    With ``expected_task_name`` (a name or a list) the update happens only
    while the cluster's task is one of them, else UnexpectedTaskState.
    """
    return rows.conditional_update(
        context.session, Cluster, cluster_id, values,
        column=Cluster.task_name, expected=expected_task_name,
        not_found=exceptions.ClusterNotFound)


@engines.region_writer
def cluster_soft_delete(context, cluster_id):
    """Mark a cluster deleted; raises ClusterNotFound if already gone."""
    rows.soft_delete(context.session, Cluster, cluster_id,
                     exceptions.ClusterNotFound,
                     extra={'task_id': 1, 'task_name': 'NONE'})


@engines.region_writer
def backup_create(context, values):
    """Create a backup row in state NEW unless told otherwise."""
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    values.setdefault('created', rows.now())
    values.setdefault('state', 'NEW')
    values.setdefault('deleted', False)
    context.session.add(Backup(**values))
    context.session.flush()
    return rows.get_live(context.session, Backup, values['id'],
                         exceptions.BackupNotFound)


@engines.region_reader
def backup_get(context, backup_id, tenant_id=None):
    """A live backup; raises BackupNotFound (also for another tenant)."""
    return rows.get_live(context.session, Backup, backup_id,
                         exceptions.BackupNotFound, tenant_id=tenant_id)


@engines.region_reader
def backup_list(context, tenant_id, limit=None, marker=None,
                instance_id=None):
    """One page of a tenant's live backups: ``(backups, next_marker)``."""
    query = sa.select(Backup).where(Backup.tenant_id == tenant_id,
                                    Backup.deleted.is_(False))
    if instance_id is not None:
        query = query.where(Backup.instance_id == instance_id)
    return pagination.page(context.session, query, Backup, limit, marker,
                           tenant_id=tenant_id)


@engines.region_writer
def backup_update(context, backup_id, values, expected_state=None):
    """Update a live backup, only from ``expected_state`` when given."""
    return rows.conditional_update(
        context.session, Backup, backup_id, values,
        column=Backup.state, expected=expected_state,
        not_found=exceptions.BackupNotFound)


@engines.region_writer
def backup_soft_delete(context, backup_id):
    """Mark a backup deleted; raises BackupNotFound if already gone."""
    rows.soft_delete(context.session, Backup, backup_id,
                     exceptions.BackupNotFound)


@engines.region_reader
def backup_count(context, tenant_id):
    """How many live backups a tenant has in this cell."""
    query = sa.select(sa.func.count(Backup.id)).where(
        Backup.tenant_id == tenant_id, Backup.deleted.is_(False))
    return context.session.execute(query).scalar_one()
