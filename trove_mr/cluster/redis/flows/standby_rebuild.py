"""Rebuild, in a region of the tenant's choice, the members a failover
lost (task GROWING_CLUSTER, one job on the owning cell's jobboard).

1. The lost members are deleted: their guests are not asked (they are
   LOST), their servers, volumes and network are removed where their
   region answers; a member whose region does not is forgotten anyway
   (its record soft-deleted, its quota given back) and what is left of
   it there is logged for the operator.
2. Every surviving member forgets (CLUSTER FORGET) every node it knows
   that is not a surviving member: the lost nodes.
3. A replica of each master is built in the chosen region and attached
   (the grow's member builds and ``CLUSTER REPLICATE``).
4. The record: the chosen region is the standby region, the failover
   record keeps what was rebuilt where and lists no lost member any more.

The store holds ids and region names only (and the new members' build
stores, as a grow's); every step is safe to repeat, so a job whose
taskmanager dies is finished by another.
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import timeutils
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.cluster.redis.flows import cluster as cluster_flows
from trove_mr.cluster.redis.flows import join as cluster_join
from trove_mr.cluster.redis.flows import remove as cluster_remove
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import delete_instance

LOG = logging.getLogger(__name__)

REBUILD = 'trove.cluster.rebuild_lost'
TASK = 'GROWING_CLUSTER'


class DeleteLostMembers(task.Task):
    """Delete the lost members; forget those whose region is away."""

    def execute(self, context, cluster_id, lost_ids):
        failed = cluster_remove.delete_members(context, lost_ids)
        for instance_id in failed:
            LOG.warning('Cluster %s: lost member %s could not be deleted '
                        'in its region (unreachable?); forgetting it, its '
                        'server and volume may be left there', cluster_id,
                        instance_id)
            delete_instance.ForgetInstance().execute(context, instance_id)


def lost_node_ids(views):
    """Node ids the survivors know that are none of theirs.

    :param views: ``{instance_id: CLUSTER NODES as dicts}`` of every
        surviving member.
    """
    own = set()
    seen = set()
    for nodes in views.values():
        for node in nodes:
            seen.add(node['id'])
            if node.get('myself'):
                own.add(node['id'])
    return sorted(seen - own)


class ForgetLostNodes(task.Task):
    """CLUSTER FORGET the lost nodes on every surviving member."""

    default_provides = 'forgotten_nodes'

    def execute(self, context, cluster_id, lost_ids):
        survivors = [m.id for m in db_api.instances_by_cluster(
            context, cluster_id) if m.id not in lost_ids
            and m.task_status == states.TASK_NONE]
        clients = cluster_flows.guest_clients(context, survivors)
        views = dict(cluster_join.parallel(
            lambda i: (i, clients[i].cluster_nodes()), survivors))
        node_ids = lost_node_ids(views)
        if node_ids:
            cluster_remove.forget_nodes(clients, node_ids)
        LOG.info('Cluster %s: lost nodes %s forgotten', cluster_id,
                 node_ids)
        return node_ids


class RecordRebuild(task.Task):
    """The chosen region is the standby region; the record's history."""

    def execute(self, context, cluster_id, lost_ids, new_ids, region,
                requested_at):
        cluster = db_api.cluster_get(context, cluster_id)
        record = jsonutils.loads(cluster.failover_state or '{}') or {}
        record['lost_members'] = []
        record['rebuilt_in'] = region
        record['rebuilt'] = {'region': region,
                             'removed_members': list(lost_ids),
                             'new_members': list(new_ids),
                             'requested_at': requested_at,
                             'completed_at': timeutils.utcnow().isoformat()}
        db_api.cluster_update(context, cluster_id, {
            'standby_region': region,
            'failover_state': jsonutils.dumps(record)})
        LOG.info('Cluster %s: lost members %s rebuilt in %s as %s',
                 cluster_id, lost_ids, region, new_ids)


def rebuild_flow(member_count):
    flow = linear_flow.Flow(REBUILD)
    flow.add(cluster_flows.ClusterFailedOnRevert(), DeleteLostMembers(),
             ForgetLostNodes(), cluster_flows.members_flow(member_count),
             cluster_flows.ExtendCluster(), RecordRebuild(),
             cluster_flows.EndClusterTask())
    return flow


def submit_rebuild(context, cluster_id, placements, lost_ids, region):
    """Post the rebuild: ``lost_ids`` removed, the new members (those in
    ``placements``, written by the API) built in ``region``."""
    members = [m for m in db_api.instances_by_cluster(context, cluster_id)
               if m.id in placements]
    return cluster_flows.submit_build(
        context, REBUILD, rebuild_flow, cluster_id, TASK, members,
        placements, extra_store={
            'lost_ids': list(lost_ids), 'region': region,
            'requested_at': timeutils.utcnow().isoformat()})
