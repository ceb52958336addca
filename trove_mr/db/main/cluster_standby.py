"""Region DB API of a cluster's standby region: the swap of roles.

After a switchover or a failover, every standby is its shard's master and
the old master its replica; the cluster's regions swap. One transaction,
so the record never shows a half-swapped cluster.
"""

import sqlalchemy as sa

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.main import models

Cluster = models.Cluster
Instance = models.Instance
InstanceStatus = models.InstanceStatus


@engines.region_writer
def cluster_swap_roles(context, cluster_id, pairs, cluster_values,
                       lost_ids=(), lost_status='LOST', fault=None):
    """Record standbys promoted to masters; safe to repeat.

    :param pairs: ``[[old master id, standby id], ...]``.
    :param cluster_values: cluster columns to set (its regions, the
        failover record).
    :param lost_ids: members whose region is lost: their status becomes
        ``lost_status`` and their fault ``fault`` (a dict of
        ``fault_message``/``fault_details``); the heartbeat time is left
        alone, so a guest that comes back reports again.
    """
    session = context.session
    cluster = rows.get_live(session, Cluster, cluster_id,
                            exceptions.ClusterNotFound)
    for master_id, standby_id in pairs:
        session.execute(
            sa.update(Instance)
            .where(Instance.cluster_id == cluster_id,
                   Instance.related_to == master_id,
                   Instance.id != standby_id)
            .values(related_to=standby_id)
            .execution_options(synchronize_session=False))
        session.execute(
            sa.update(Instance)
            .where(Instance.id == standby_id)
            .values(type='master', related_to=None, updated=rows.now())
            .execution_options(synchronize_session=False))
        session.execute(
            sa.update(Instance)
            .where(Instance.id == master_id)
            .values(type='slave', related_to=standby_id,
                    updated=rows.now())
            .execution_options(synchronize_session=False))
    if lost_ids:
        session.execute(
            sa.update(InstanceStatus)
            .where(InstanceStatus.instance_id.in_(list(lost_ids)))
            .values(status=lost_status, updated_at=rows.now())
            .execution_options(synchronize_session=False))
        if fault:
            session.execute(
                sa.update(Instance)
                .where(Instance.id.in_(list(lost_ids)))
                .values(**fault)
                .execution_options(synchronize_session=False))
    for key, value in cluster_values.items():
        setattr(cluster, key, value)
    cluster.updated = rows.now()
    session.flush()


@engines.region_reader
def clusters_auto_failover(context):
    """Live clusters with a standby region and an automatic failover
    policy."""
    query = sa.select(Cluster).where(Cluster.deleted.is_(False),
                                     Cluster.auto_failover.is_(True),
                                     Cluster.standby_region.isnot(None))
    return list(context.session.execute(query).unique().scalars())
