"""Rebalance a Redis cluster online: move hash slots between masters.

One job: plan (which slots go where, from the live CLUSTER NODES and the
weights asked for), move them through the source masters' guests (MIGRATE
in batches; clients keep reading and writing and follow ASK redirects),
settle every master (no slot left migrating or importing), end the
cluster's task. The plan is plain data saved with the job, and every move
is safe to repeat, so a job resumed by another taskmanager after a death
finishes the same plan. The cluster's task description shows progress.
"""

import threading

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.cluster.redis import rebalance as planning
from trove_mr.cluster.redis.flows import cluster as cluster_flows
from trove_mr.cluster.redis.flows import join as cluster_join
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import engine

LOG = logging.getLogger(__name__)

REBALANCE = 'trove.cluster.rebalance'
TASK = 'REBALANCING'
# Slots per guest call: progress is saved between calls.
CHUNK = 256


def live_masters(context, cluster_id):
    """``({instance id: {'id', 'ip', 'port', 'region', 'slots'}}``,
    guest clients) of the cluster's running masters."""
    members = [m for m in db_api.instances_by_cluster(context, cluster_id)
               if (m.type or cluster_flows.MASTER) == cluster_flows.MASTER
               and m.task_status == states.TASK_NONE]
    if not members:
        raise exceptions.TroveMRError(
            'Cluster %s has no running master.' % cluster_id)
    clients = cluster_flows.guest_clients(context, [m.id for m in members])
    addresses = dict(cluster_join.parallel(
        lambda m: (m.id, tuple(clients[m.id].get_node_ip())), members))
    nodes = clients[members[0].id].cluster_nodes()
    by_address = {(n['ip'], n['port']): n for n in nodes}
    masters = {}
    for member in members:
        ip, port = addresses[member.id]
        node = by_address.get((ip, int(port)))
        if node is None:
            raise exceptions.TroveMRError(
                'Member %s (%s:%s) is not in the cluster.' % (member.id, ip,
                                                              port))
        masters[member.id] = {'id': node['id'], 'ip': ip, 'port': int(port),
                              'region': member.region_name,
                              'slots': node['slots']}
    return masters, clients


def megabytes(count):
    return '%.1f MB' % (count / 1e6)


def describe(moved, total, keys, crossing, crossing_bytes):
    """The task description of a rebalance ``moved`` slots into it."""
    return ('Rebalancing: %d of %d slots moved (%d keys; %d slots, %s, '
            'across regions).' % (moved, total, keys, crossing,
                                  megabytes(crossing_bytes)))


def progress(context, cluster_id, cluster_task, moved, total, keys,
             crossing, crossing_bytes=0):
    description = describe(moved, total, keys, crossing, crossing_bytes)
    try:
        db_api.cluster_update(context, cluster_id,
                              {'task_description': description},
                              expected_task_name=cluster_task)
    except exceptions.TroveMRError as exc:
        LOG.warning('Cluster %s progress not saved: %s', cluster_id, exc)


class PlanMoves(task.Task):
    """Which slots go where, from the cluster as it is now."""

    default_provides = 'plan'

    def execute(self, context, cluster_id, cluster_task, weights):
        masters, _clients = live_masters(context, cluster_id)
        unknown = set(weights or {}) - set(masters)
        if unknown:
            raise exceptions.TroveMRError(
                'Weights name members that are not running masters: %s'
                % ', '.join(sorted(unknown)))
        missing = planning.unplaced(masters)
        if missing:
            raise exceptions.TroveMRError(
                '%d slots have no master; the cluster is not whole.'
                % missing)
        moves = planning.plan(masters, weights)
        nodes = {m: {k: masters[m][k] for k in ('id', 'ip', 'port')}
                 for m in masters}
        total = sum(move['count'] for move in moves)
        LOG.info('Cluster %s: rebalance moves %d slots in %d moves',
                 cluster_id, total, len(moves))
        progress(context, cluster_id, cluster_task, 0, total, 0, 0)
        return {'moves': moves, 'nodes': nodes, 'total': total}


class MoveSlots(task.Task):
    """Each move, in chunks, through the source master's guest.

    Masters giving slots work side by side, each through its own moves
    in order; the cluster's task description sums their progress,
    including the bytes that crossed regions (what the targets received).
    """

    def execute(self, context, cluster_id, cluster_task, plan):
        nodes = plan['nodes']
        clients = cluster_flows.guest_clients(
            context, sorted({m['source'] for m in plan['moves']}))
        done = {'slots': 0, 'keys': 0, 'bytes': 0, 'cross_region': 0,
                'cross_region_bytes': 0}
        lock = threading.Lock()

        def give(source):
            for move in (m for m in plan['moves'] if m['source'] == source):
                target = nodes[move['target']]
                slots = planning.expand(move['slots'])
                for start in range(0, len(slots), CHUNK):
                    chunk = slots[start:start + CHUNK]
                    answer = clients[source].cluster_migrate_slots(
                        chunk, target['ip'], target['port'], target['id'])
                    with lock:
                        done['slots'] += len(chunk)
                        done['keys'] += answer['keys']
                        # Guests of an older release do not count bytes.
                        done['bytes'] += answer.get('bytes', 0)
                        if move['cross_region']:
                            done['cross_region'] += len(chunk)
                            done['cross_region_bytes'] += answer.get(
                                'bytes', 0)
                        progress(context, cluster_id, cluster_task,
                                 done['slots'], plan['total'], done['keys'],
                                 done['cross_region'],
                                 done['cross_region_bytes'])

        cluster_join.parallel(give, sorted({m['source']
                                            for m in plan['moves']}))
        LOG.info('Cluster %s: %s (%s in all)', cluster_id, describe(
            done['slots'], plan['total'], done['keys'],
            done['cross_region'], done['cross_region_bytes']),
            megabytes(done['bytes']))
        return done


class SettleSlots(task.Task):
    """No slot is left migrating or importing on any master."""

    def execute(self, context, cluster_id, plan):
        clients = cluster_flows.guest_clients(context, sorted(plan['nodes']))
        still_open = dict(cluster_join.parallel(
            lambda item: (item[0], item[1].cluster_settle_slots()),
            list(clients.items())))
        left = {m: s for m, s in still_open.items() if s}
        if left:
            raise exceptions.TroveMRError(
                'Slots are still moving after the rebalance: %s' % left)


class RemovalNodeIds(task.Task):
    """The node ids of drained members, now that they own no slots."""

    default_provides = 'node_ids'

    def execute(self, context, cluster_id, removed_ids):
        members = [m for m in db_api.instances_by_cluster(context,
                                                          cluster_id)
                   if m.id in removed_ids
                   and m.task_status == states.TASK_NONE]
        clients = cluster_flows.guest_clients(context,
                                              [m.id for m in members])
        node_ids = []
        for member in members:
            node_id = clients[member.id].get_node_id_for_removal()
            if node_id is None:
                raise exceptions.TroveMRError(
                    'Member %s still owns slots after the drain.'
                    % member.id)
            node_ids.append(node_id)
        return node_ids


def moves():
    """The tasks that move slots (plan, move, settle), for any flow whose
    store has ``weights``."""
    return [PlanMoves(), MoveSlots(), SettleSlots()]


def rebalance_flow():
    flow = linear_flow.Flow(REBALANCE)
    flow.add(cluster_flows.ClusterFailedOnRevert(), *moves(),
             cluster_flows.EndClusterTask())
    return flow


def submit_rebalance(context, cluster_id, weights=None):
    """Post the rebalance of a cluster whose task is REBALANCING."""
    return engine.submit(
        context, REBALANCE, rebalance_flow,
        {'cluster_id': cluster_id, 'cluster_task': TASK,
         'weights': dict(weights or {})},
        resource_type='cluster', resource_id=cluster_id)


def grow_rebalance_flow(member_count):
    """Grow, then rebalance onto the new masters (``"rebalance": true``).
    """
    flow = linear_flow.Flow(cluster_flows.GROW)
    flow.add(cluster_flows.ClusterFailedOnRevert(),
             cluster_flows.members_flow(member_count),
             cluster_flows.ExtendCluster(), *moves(),
             cluster_flows.EndClusterTask())
    return flow


def drain_shrink_flow():
    """Empty the leaving masters (weight 0), then remove them
    (``"drain": true``)."""
    flow = linear_flow.Flow(cluster_flows.SHRINK)
    flow.add(cluster_flows.ClusterFailedOnRevert(), *moves(),
             RemovalNodeIds(), cluster_flows.DeleteMembers(),
             cluster_flows.ForgetNodes(), cluster_flows.EndClusterTask())
    return flow


def submit_grow_rebalance(context, cluster_id, placements):
    """Post a grow whose flow rebalances once the new masters joined."""
    members = [m for m in db_api.instances_by_cluster(context, cluster_id)
               if m.id in placements]
    return cluster_flows.submit_build(
        context, cluster_flows.GROW, grow_rebalance_flow, cluster_id,
        'GROWING_CLUSTER', members, placements, extra_store={'weights': {}})


def submit_drain_shrink(context, cluster_id, instance_ids):
    """Post a shrink that first moves the leaving masters' slots away."""
    members = {m.id: m for m in db_api.instances_by_cluster(context,
                                                            cluster_id)}
    weights = {i: 0 for i in instance_ids
               if i in members and (members[i].type or cluster_flows.MASTER)
               == cluster_flows.MASTER}
    return engine.submit(
        context, cluster_flows.SHRINK, drain_shrink_flow,
        {'cluster_id': cluster_id, 'cluster_task': 'SHRINKING_CLUSTER',
         'removed_ids': list(instance_ids), 'weights': weights},
        resource_type='cluster', resource_id=cluster_id)
