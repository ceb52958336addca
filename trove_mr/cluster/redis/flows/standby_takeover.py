"""Failover of a cluster whose owning cell is down, served by the cell of
its standby region: a takeover.

The owning cell keeps a mirror of the cluster in this cell
(``cluster/redis/mirror.py``). The API, finding the owning cell
unreachable, takes the mirror's lock and asks this cell's taskmanager;
the job then:

1. makes the cluster's rows here from the mirror (task FAILING_OVER)
   and maps the cluster and its members to this cell in the API
   database, so every region's API answers from this cell from now on;
2. promotes every standby with CLUSTER FAILOVER TAKEOVER, over the
   network with the cluster's password (the standby guests talk to the
   owning cell's bus, which is down), and waits for ``cluster_state:ok``;
3. records the swap as any failover does (``flows/standby.py``): this
   region primary, the lost region's members LOST, ``possible_loss`` from
   the lag last mirrored;
4. forgets the mirror and ends the task.

The store holds ids, region names and node addresses only; every step is
safe to repeat, so a job whose taskmanager dies is finished by another of
this cell.
"""

import datetime

from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import timeutils
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.cluster.redis import mirror
from trove_mr.cluster.redis import nodes as redis_nodes
from trove_mr.cluster.redis import password as cluster_password
from trove_mr.cluster.redis.flows import cluster as cluster_flows
from trove_mr.cluster.redis.flows import join as cluster_join
from trove_mr.cluster.redis.flows import standby as standby_flows
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db import rows
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api
from trove_mr.flows import engine

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

TAKEOVER = 'trove.cluster.failover_takeover'
TASK = 'FAILING_OVER'
# Seconds a node has to answer the automatic watch's PING.
PING_TIMEOUT = 2


def _record(context, cluster_id):
    return jsonutils.loads(db_api.cluster_mirror_get(context,
                                                     cluster_id).record)


class AdoptMirror(task.Task):
    """The cluster's rows here, and its mappings pointing here."""

    def execute(self, context, cluster_id, cluster_task):
        record = _record(context, cluster_id)
        version = db_api.datastore_version_get_by_name(
            context, record['datastore'], record['datastore_version'])
        task_id, description = states.CLUSTER_TASKS[cluster_task]
        values, members = mirror.adoption_values(
            record, version.id,
            {'task_id': task_id, 'task_name': cluster_task,
             'task_description': description})
        if db_api.cluster_adopt(context, values, members):
            LOG.warning('Cluster %s: taken over from the cell of %s',
                        cluster_id, record['cluster']['primary_region'])
        own_cell = api_db.region_mapping_get(context, CONF.region_name)
        api_db.cluster_mappings_move(
            context, cluster_id, [m['id'] for m in record['members']],
            own_cell.uuid)

    def revert(self, context, cluster_id, **kwargs):
        # The failover may be asked again.
        db_api.cluster_mirror_unlock(context, cluster_id)


def _nodes(context, cluster_id, pairs, addresses):
    password = cluster_password.cluster_password(cluster_id, context)
    found = {}
    for _master, standby in pairs:
        if not addresses.get(standby):
            raise exceptions.Conflict(
                'Standby %s of cluster %s has no known address.'
                % (standby, cluster_id))
        found[standby] = redis_nodes.RemoteNode(addresses[standby],
                                                password)
    return found


def _on_each(nodes, call):
    try:
        return dict(cluster_join.parallel(
            lambda standby: (standby, call(nodes[standby])), list(nodes)))
    finally:
        for node in nodes.values():
            node.close()


class PromoteNodes(task.Task):
    """CLUSTER FAILOVER TAKEOVER on every standby, side by side."""

    def execute(self, context, cluster_id, pairs, addresses):
        promoted = _on_each(_nodes(context, cluster_id, pairs, addresses),
                            lambda node: node.promote())
        LOG.info('Cluster %s: %d standbys promoted over the network',
                 cluster_id, len(promoted))


class WaitNodesOk(task.Task):
    """Every new master sees ``cluster_state:ok``."""

    def execute(self, context, cluster_id, pairs, addresses):
        _on_each(_nodes(context, cluster_id, pairs, addresses),
                 lambda node: node.wait_cluster_ok())


class ForgetMirror(task.Task):
    """The cluster is this cell's own now."""

    def execute(self, context, cluster_id):
        db_api.cluster_mirror_delete(context, cluster_id)


def takeover_flow():
    flow = linear_flow.Flow(TAKEOVER)
    flow.add(AdoptMirror(), cluster_flows.ClusterFailedOnRevert(),
             PromoteNodes(), WaitNodesOk(), standby_flows.RecordSwap(),
             ForgetMirror(), cluster_flows.EndClusterTask())
    return flow


def submit_takeover(context, cluster_id, region, automatic=False):
    """Post the takeover by this cell (of ``region``) of a cluster whose
    mirror's lock the API took (``automatic``: by its failover policy,
    this cell's watch took it)."""
    record = _record(context, cluster_id)
    if not record.get('pairs'):
        raise exceptions.Conflict(
            'Cluster %s has a master without a standby in %s.'
            % (cluster_id, region))
    return engine.submit(
        context, TAKEOVER, takeover_flow,
        {'cluster_id': cluster_id, 'cluster_task': TASK,
         'pairs': [list(p) for p in record['pairs']],
         'addresses': record['nodes'], 'takeover': True,
         'new_primary': region,
         'old_primary': record['cluster']['primary_region'],
         'automatic': automatic,
         'requested_at': timeutils.utcnow().isoformat()},
        resource_type='cluster', resource_id=cluster_id, parallel=True)



def _ping_nodes(addresses, password, ids):
    return {i: redis_nodes.RemoteNode(addresses[i], password,
                                      timeout=PING_TIMEOUT)
            for i in ids if addresses.get(i)}


def primary_region_silent(cluster_id, record):
    """Whether, by the mirror ``record``, none of the cluster's masters'
    Redis nodes answers while every standby does."""
    pairs = record.get('pairs') or []
    if not pairs:
        return False
    addresses = record.get('nodes') or {}
    password = cluster_password.open_sealed(
        cluster_id, record['cluster'].get('encrypted_password'))
    masters = _ping_nodes(addresses, password, [m for m, _s in pairs])
    standbys = _ping_nodes(addresses, password, [s for _m, s in pairs])
    if len(masters) != len(pairs) or len(standbys) != len(pairs):
        return False
    if any(_on_each(masters, lambda node: node.answers()).values()):
        return False
    return all(_on_each(standbys, lambda node: node.answers()).values())


def take_over_silent_clusters(context, now=None):
    """Automatic failover when the owning cell is down, by the cell of
    the standby region: each mirror here of a cluster whose failover
    policy is automatic, not written for ``[redis]
    standby_failover_after`` seconds (its owning cell's taskmanagers are
    gone), while none of its masters' Redis nodes answers and every
    standby does, is taken over. The mirror's lock makes one taskmanager
    post the job. Returns the ids taken over."""
    now = now or rows.now()
    since = now - datetime.timedelta(
        seconds=CONF.redis.standby_failover_after)
    started = []
    for row in db_api.cluster_mirrors_stale(context, since):
        record = jsonutils.loads(row.record)
        cluster = record['cluster']
        if not cluster.get('auto_failover') or \
                cluster.get('standby_region') != CONF.region_name or \
                not primary_region_silent(row.cluster_id, record):
            continue
        try:
            db_api.cluster_mirror_lock(context, row.cluster_id, TASK)
        except (exceptions.Conflict, exceptions.ClusterNotFound):
            continue  # another taskmanager took it
        LOG.warning('Cluster %s: its owning cell %s wrote no copy for %ss '
                    'and its masters are silent; taking it over',
                    row.cluster_id, row.owning_region,
                    CONF.redis.standby_failover_after)
        try:
            submit_takeover(context, row.cluster_id, CONF.region_name,
                            automatic=True)
        except Exception:
            LOG.exception('Cluster %s: the automatic takeover could not be '
                          'posted', row.cluster_id)
            db_api.cluster_mirror_unlock(context, row.cluster_id)
            continue
        started.append(row.cluster_id)
    return started
