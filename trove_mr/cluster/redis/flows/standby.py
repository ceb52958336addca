"""A cluster's standby region as jobs: planned switchover, failover.

Both promote every shard's standby (its replica in the standby region)
and record the swap of roles; they differ in how they promote:

* **switchover** (task SWITCHING_OVER): CLUSTER FAILOVER on each
  standby. Redis pauses the master's clients until the standby reached
  the master's replication offset, then moves the slots: no
  acknowledged write is lost, clients see MOVED and follow.
* **failover** (task FAILING_OVER): the primary region is lost, so no
  master can hand anything over: CLUSTER FAILOVER TAKEOVER on each
  standby. The members of the lost region are marked LOST with a fault,
  and the record keeps what may have been lost: the writes within the
  standbys' last reported lag.

The store holds ids and region names only, and each task is safe to
repeat (a promoted node stays master, the swap sets the same values), so
a job whose taskmanager dies is finished by another.
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import timeutils
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.cluster.redis import mirror
from trove_mr.cluster.redis.flows import cluster as cluster_flows
from trove_mr.cluster.redis.flows import join as cluster_join
from trove_mr.common import faults
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import engine

LOG = logging.getLogger(__name__)

SWITCHOVER = 'trove.cluster.switchover'
FAILOVER = 'trove.cluster.failover'


class PromoteStandbys(task.Task):
    """Every standby becomes its shard's master, side by side."""

    default_provides = 'promoted'

    def execute(self, context, cluster_id, pairs, takeover):
        standby_ids = [standby for _master, standby in pairs]
        clients = cluster_flows.guest_clients(context, standby_ids)
        states_after = cluster_join.parallel(
            lambda standby: (standby, clients[standby].cluster_failover(
                takeover=takeover)), standby_ids)
        LOG.info('Cluster %s: %d standbys promoted (%s)', cluster_id,
                 len(standby_ids), 'takeover' if takeover else 'planned')
        return dict(states_after)


class WaitClusterOk(task.Task):
    """The new masters see ``cluster_state:ok`` (every slot served)."""

    def execute(self, context, pairs):
        standby_ids = [standby for _master, standby in pairs]
        clients = cluster_flows.guest_clients(context, standby_ids)
        cluster_join.parallel(lambda i: clients[i].cluster_complete(),
                              standby_ids)


def _loss_window(context, cluster_id, pairs):
    """The largest lag the standbys last reported (seconds, bytes)."""
    members = {m.id: m for m in db_api.instances_by_cluster(context,
                                                            cluster_id)}
    seconds = []
    sizes = []
    for _master, standby in pairs:
        status = getattr(members.get(standby), 'status', None)
        if status is None:
            continue
        if status.repl_lag_seconds is not None:
            seconds.append(status.repl_lag_seconds)
        if status.repl_lag_bytes is not None:
            sizes.append(status.repl_lag_bytes)
    worst = max(seconds) if seconds else None
    # Redis counts the lag in whole seconds: writes acknowledged within
    # one more second may be missing too.
    return {'seconds': worst, 'bytes': max(sizes) if sizes else None,
            'window_seconds': None if worst is None else worst + 1}


class RecordSwap(task.Task):
    """The record: standbys are masters, the regions' roles swapped."""

    def execute(self, context, cluster_id, pairs, takeover, new_primary,
                old_primary, requested_at, automatic):
        record = {'kind': 'failover' if takeover else 'switchover',
                  'automatic': automatic,
                  'requested_at': requested_at,
                  'completed_at': timeutils.utcnow().isoformat(),
                  'from_region': old_primary,
                  'primary_region': new_primary}
        lost = []
        fault = None
        if takeover:
            members = db_api.instances_by_cluster(context, cluster_id)
            lost = [m.id for m in members if m.region_name == old_primary]
            record['lost_members'] = lost
            # What a takeover may have lost: the writes the standbys had
            # not received, as they last reported while their link was up.
            record['possible_loss'] = _loss_window(context, cluster_id,
                                                   pairs)
            fault = faults.guard({
                'fault_message': faults.TenantMessage(
                    'Region %s was lost; the standby region %s took over '
                    'this member\'s shard.' % (old_primary, new_primary)),
                'fault_details': None})
        db_api.cluster_swap_roles(
            context, cluster_id, pairs,
            {'primary_region': new_primary, 'standby_region': old_primary,
             'failover_state': jsonutils.dumps(record)},
            lost_ids=lost, lost_status=states.SERVICE_LOST, fault=fault)
        # The new primary region is no standby any more: its cell's copy
        # of the cluster (cluster/redis/mirror.py) would be stale.
        mirror.forget_mirror(context, cluster_id, new_primary)
        LOG.warning('Cluster %s: %s done, %s is primary%s', cluster_id,
                    record['kind'], new_primary,
                    ' (lost: %s)' % record['possible_loss'] if takeover
                    else '')


def switchover_flow():
    flow = linear_flow.Flow(SWITCHOVER)
    flow.add(cluster_flows.ClusterFailedOnRevert(), PromoteStandbys(),
             WaitClusterOk(), RecordSwap(), cluster_flows.EndClusterTask())
    return flow


def failover_flow():
    flow = linear_flow.Flow(FAILOVER)
    flow.add(cluster_flows.ClusterFailedOnRevert(), PromoteStandbys(),
             WaitClusterOk(), RecordSwap(), cluster_flows.EndClusterTask())
    return flow


def _submit(context, operation, factory, cluster_task, cluster_id, pairs,
            new_primary, takeover, automatic=False):
    cluster = db_api.cluster_get(context, cluster_id)
    members = {m.id: m for m in db_api.instances_by_cluster(context,
                                                            cluster_id)}
    old_primary = cluster.primary_region or (
        members[pairs[0][0]].region_name if pairs and pairs[0][0] in members
        else None)
    return engine.submit(
        context, operation, factory,
        {'cluster_id': cluster_id, 'cluster_task': cluster_task,
         'pairs': [list(pair) for pair in pairs], 'takeover': takeover,
         'new_primary': new_primary, 'old_primary': old_primary,
         'automatic': automatic,
         'requested_at': timeutils.utcnow().isoformat()},
        resource_type='cluster', resource_id=cluster_id, parallel=True)


def submit_switchover(context, cluster_id, pairs):
    """Post the planned swap of a SWITCHING_OVER cluster's regions."""
    cluster = db_api.cluster_get(context, cluster_id)
    return _submit(context, SWITCHOVER, switchover_flow, 'SWITCHING_OVER',
                   cluster_id, pairs, cluster.standby_region, False)


def submit_failover(context, cluster_id, pairs, region, automatic=False):
    """Post the takeover by ``region`` of a FAILING_OVER cluster
    (``automatic``: by its failover policy, not asked for)."""
    return _submit(context, FAILOVER, failover_flow, 'FAILING_OVER',
                   cluster_id, pairs, region, True, automatic=automatic)
