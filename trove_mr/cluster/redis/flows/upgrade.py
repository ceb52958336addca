"""Upgrade a Redis cluster to another datastore version, member by member.

One job, one linear flow: each member is upgraded with the single
instance's upgrade (``trove_mr.flows.upgrade.member_subflow``, prefixed
per member), replicas first and masters last, one at a time, and the
cluster must report ``cluster_state:ok`` again after each member before
the next one stops: a master's replica can serve while its master is
rebuilt, and no two nodes are ever down at once. Then the cluster record
takes the new version and its task ends (NONE); any failure leaves the
member at fault in ERROR and the cluster FAILED, the members already
done on the new version.
"""

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.cluster.redis.flows import cluster as cluster_flows
from trove_mr.common import notifications
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import engine
from trove_mr.flows import upgrade as upgrade_flow

LOG = logging.getLogger(__name__)

OPERATION = notifications.CLUSTER_UPGRADE
CLUSTER_TASK = 'UPGRADING_CLUSTER'


def _prefix(index):
    return 'member%d-' % index


def upgrade_order(members):
    """Member ids in upgrade order: replicas (slaves) first, then
    masters, each group in the order given."""
    masters, replicas = cluster_flows.roles(members)
    return list(replicas) + masters


class WaitClusterOk(task.Task):
    """Every member, the one just upgraded first, sees
    ``cluster_state:ok`` again: the others may still hold it as failing
    until gossip tells them it is back."""

    def execute(self, context, cluster_id, instance_id):
        others = [m.id for m in db_api.instances_by_cluster(
            context, cluster_id) if m.id != instance_id]
        guests = cluster_flows.guest_clients(context,
                                             [instance_id] + others)
        for member_id in [instance_id] + others:
            info = guests[member_id].cluster_complete()
            LOG.debug('Cluster state at %s after upgrading %s: %s',
                      member_id, instance_id,
                      (info or {}).get('cluster_state', info))
        LOG.info('Cluster %s is ok after upgrading %s', cluster_id,
                 instance_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting changed nothing."""


class EndClusterUpgrade(task.Task):
    """Last task: the cluster takes the new version; task NONE."""

    def execute(self, context, cluster_id, cluster_task, upgrade_version):
        db_api.cluster_update(
            context, cluster_id,
            {'datastore_version_id': upgrade_version['version_id']},
            expected_task_name=[cluster_task])
        cluster_flows.set_task(context, cluster_id, 'NONE', cluster_task)


def get_flow(member_count):
    """The cluster's upgrade: ``member_count`` member subflows in order.
    """
    flow = linear_flow.Flow(OPERATION)
    flow.add(cluster_flows.ClusterFailedOnRevert())
    for index in range(member_count):
        prefix = _prefix(index)
        flow.add(upgrade_flow.member_subflow(prefix),
                 WaitClusterOk(name=prefix + 'WaitClusterOk',
                               rebind={'instance_id':
                                       prefix + 'instance_id'}))
    flow.add(EndClusterUpgrade())
    return flow


def cluster_store(cluster_id, member_ids, upgrades):
    """The plain store of a cluster's upgrade.

    :param upgrades: ``{'version_id', 'version_name', 'placements':
        {instance_id: placement dict}}``.
    """
    timeout = upgrade_flow.upgrade_timeout(len(member_ids))
    version = {'version_id': upgrades['version_id'],
               'version_name': upgrades['version_name']}
    store = {'cluster_id': cluster_id, 'cluster_task': CLUSTER_TASK,
             'upgrade_version': version,
             'deadline_at': common.deadline_at(timeout),
             'timeout': timeout}
    for index, member_id in enumerate(member_ids):
        store[_prefix(index) + 'instance_id'] = member_id
        store[_prefix(index) + 'upgrade'] = dict(
            version, placement=upgrades['placements'][member_id])
    return store


def submit(context, cluster_id, upgrades):
    """Post the upgrade of every member of the cluster, then of the
    cluster record."""
    members = db_api.instances_by_cluster(context, cluster_id)
    order = [member_id for member_id in upgrade_order(members)
             if member_id in upgrades['placements']]
    return engine.submit(
        context, OPERATION, get_flow,
        cluster_store(cluster_id, order, upgrades),
        factory_kwargs={'member_count': len(order)},
        resource_type='cluster', resource_id=cluster_id)
