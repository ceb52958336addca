"""Automatic failover: each taskmanager's periodic look at the clusters
whose failover policy is automatic (off by default).

A cluster is failed over to its standby region when every master has
sent no heartbeat for ``[redis] standby_failover_after`` seconds while
every standby still reports: the primary region is gone, not one node
(Redis fails a single master over by itself). The cluster's task moves
to FAILING_OVER with the same conditional UPDATE the API uses, so of
the taskmanagers that notice at once only one posts the failover job.
"""

from oslo_log import log as logging

from trove_mr.cluster.redis import standby as shards
from trove_mr.cluster.redis.flows import standby as standby_flows
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

TASK = 'FAILING_OVER'


def fail_over_lost_regions(context, now=None):
    """Post a failover for every automatic cluster whose primary region
    is silent; the ids of the clusters failed over."""
    started = []
    for cluster in db_api.clusters_auto_failover(context):
        if cluster.task_name not in shards.FAILOVER_FROM:
            continue
        members = db_api.instances_by_cluster(context, cluster.id)
        if not shards.primary_region_lost(
                cluster, members, CONF.redis.standby_failover_after, now):
            continue
        pairs = shards.pairs_of(cluster, members)
        task_id, description = states.CLUSTER_TASKS[TASK]
        try:
            db_api.cluster_update(
                context, cluster.id,
                {'task_id': task_id, 'task_name': TASK,
                 'task_description': description},
                expected_task_name=cluster.task_name)
        except (exceptions.UnexpectedTaskState, exceptions.ClusterNotFound):
            continue  # another taskmanager took it, or it moved
        LOG.warning('Cluster %s: every master in %s is silent for %ss; '
                    'failing over to %s', cluster.id,
                    cluster.primary_region, CONF.redis.standby_failover_after,
                    cluster.standby_region)
        try:
            standby_flows.submit_failover(context, cluster.id, pairs,
                                          cluster.standby_region,
                                          automatic=True)
        except Exception:
            LOG.exception('Cluster %s: the automatic failover could not be '
                          'posted', cluster.id)
            db_api.cluster_update(context, cluster.id, {
                'task_id': cluster.task_id, 'task_name': cluster.task_name,
                'task_description': cluster.task_description},
                expected_task_name=TASK)
            continue
        started.append(cluster.id)
    return started
