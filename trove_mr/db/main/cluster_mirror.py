"""Region DB API of cluster mirrors: clusters owned by another cell whose
standby region this cell serves.

The owning cell writes the mirror (``cluster_mirror_put``); when that
cell is down, this cell takes the cluster over: the mirror's lock
(``cluster_mirror_lock``), then the cluster's own rows made here from
the mirror (``cluster_adopt``), so this cell answers for it from then on.
"""

import sqlalchemy as sa

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.main import models

Cluster = models.Cluster
ClusterMirror = models.ClusterMirror
Instance = models.Instance
InstanceStatus = models.InstanceStatus


def _not_found(cluster_id):
    return exceptions.ClusterNotFound('Cluster %s could not be found.'
                                      % cluster_id)


@engines.region_writer
def cluster_mirror_put(context, cluster_id, tenant_id, owning_region,
                       record):
    """Write (or refresh) a cluster's mirror; a mirror under takeover
    (its lock taken) is left as it is. Returns whether it was written."""
    session = context.session
    row = session.get(ClusterMirror, cluster_id)
    now = rows.now()
    if row is None:
        session.add(ClusterMirror(
            cluster_id=cluster_id, tenant_id=tenant_id,
            owning_region=owning_region, record=record, created=now,
            updated=now))
        session.flush()
        return True
    if row.failover_task:
        return False
    row.tenant_id = tenant_id
    row.owning_region = owning_region
    row.record = record
    row.updated = now
    session.flush()
    return True


@engines.region_reader
def cluster_mirror_get(context, cluster_id, tenant_id=None):
    """The mirror of a cluster (the tenant's, when given);
    ClusterNotFound otherwise."""
    row = context.session.get(ClusterMirror, cluster_id)
    if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
        raise _not_found(cluster_id)
    return row


@engines.region_writer
def cluster_mirror_lock(context, cluster_id, task_name):
    """Take the takeover's lock (a conditional UPDATE from NULL);
    Conflict naming the task when it is taken."""
    result = context.session.execute(
        sa.update(ClusterMirror)
        .where(ClusterMirror.cluster_id == cluster_id,
               ClusterMirror.failover_task.is_(None))
        .values(failover_task=task_name, updated=rows.now())
        .execution_options(synchronize_session=False))
    if result.rowcount == 0:
        row = context.session.get(ClusterMirror, cluster_id)
        if row is None:
            raise _not_found(cluster_id)
        raise exceptions.Conflict(
            'Cluster %s is busy: its task is %s.'
            % (cluster_id, row.failover_task))


@engines.region_writer
def cluster_mirror_unlock(context, cluster_id):
    """Give the lock back (the takeover could not be posted)."""
    context.session.execute(
        sa.update(ClusterMirror)
        .where(ClusterMirror.cluster_id == cluster_id)
        .values(failover_task=None, updated=rows.now())
        .execution_options(synchronize_session=False))


@engines.region_writer
def cluster_mirror_delete(context, cluster_id):
    """Forget a mirror (taken over, or its cluster gone); idempotent."""
    context.session.execute(
        sa.delete(ClusterMirror).where(ClusterMirror.cluster_id == cluster_id))


@engines.region_reader
def cluster_mirror_ids(context):
    """Ids of the clusters mirrored in this cell."""
    return list(context.session.execute(
        sa.select(ClusterMirror.cluster_id)).scalars())


@engines.region_reader
def cluster_mirrors_stale(context, since):
    """Mirrors not written since ``since`` and not under takeover."""
    query = sa.select(ClusterMirror).where(
        ClusterMirror.updated < since, ClusterMirror.failover_task.is_(None))
    return list(context.session.execute(query).scalars())


@engines.region_writer
def cluster_adopt(context, cluster_values, members):
    """Make a cluster's rows in this cell from its mirror; safe to repeat.

    :param cluster_values: Cluster columns (``id`` among them).
    :param members: ``[(instance columns, status columns or None)]``.
    :returns: whether the rows were made now (False: already here).
    """
    session = context.session
    existing = session.get(Cluster, cluster_values['id'])
    if existing is not None and not existing.deleted:
        return False
    if existing is not None:
        # Taken over before and retired since: this takeover owns it.
        session.delete(existing)
        session.flush()
    now = rows.now()
    session.add(Cluster(**dict({'created': now, 'updated': now,
                                'deleted': False}, **cluster_values)))
    for values, status in members:
        old = session.get(Instance, values['id'])
        if old is not None:
            old_status = session.get(InstanceStatus, values['id'])
            if old_status is not None:
                session.delete(old_status)
            session.delete(old)
            session.flush()
        session.add(Instance(**dict({'created': now, 'updated': now,
                                     'deleted': False}, **values)))
        if status is not None:
            session.add(InstanceStatus(instance_id=values['id'],
                                       updated_at=now, **status))
    session.flush()
    return True


@engines.region_reader
def clusters_with_standby(context):
    """Live clusters of this cell that have a standby region."""
    query = sa.select(Cluster).where(Cluster.deleted.is_(False),
                                     Cluster.standby_region.isnot(None))
    return list(context.session.execute(query).unique().scalars())


@engines.region_writer
def cluster_retire(context, cluster_id):
    """Soft-delete a cluster's rows here, and nothing else: another cell
    took it over while this one was down (its servers are that cell's
    now)."""
    now = rows.now()
    session = context.session
    session.execute(
        sa.update(Instance)
        .where(Instance.cluster_id == cluster_id,
               Instance.deleted.is_(False))
        .values(deleted=True, deleted_at=now, task_status='NONE')
        .execution_options(synchronize_session=False))
    session.execute(
        sa.update(Cluster)
        .where(Cluster.id == cluster_id, Cluster.deleted.is_(False))
        .values(deleted=True, deleted_at=now, task_id=1, task_name='NONE')
        .execution_options(synchronize_session=False))
