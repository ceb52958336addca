"""Taskmanager side of Redis clusters: build, grow, shrink, delete.

The API has already moved the cluster's task (the per-cluster lock, a
conditional UPDATE) and written the member rows; each method posts the
operation's job (``flows/cluster.py``), whose flow does the work and ends
the task: NONE when done, FAILED when a member could not be built or
joined (that member stays in ERROR with its fault), so a half-joined
cluster is always visible as such.
"""

from oslo_log import log as logging

from trove_mr.cluster.redis import mirror
from trove_mr.cluster.redis.flows import cluster as cluster_flows
from trove_mr.cluster.redis.flows import rebalance as rebalance_flows
from trove_mr.cluster.redis.flows import standby as standby_flows
from trove_mr.cluster.redis.flows import standby_rebuild
from trove_mr.cluster.redis.flows import standby_takeover
from trove_mr.cluster.redis.flows import standby_watch
from trove_mr.cluster.redis.flows import upgrade as upgrade_flows

LOG = logging.getLogger(__name__)


class RedisTaskManagerStrategy:
    """Posts the cluster work the taskmanager is cast.

    :param keeper: the taskmanager's build lease keeper (the job's runner
        holds the members' leases).
    """

    def __init__(self, keeper):
        self.keeper = keeper

    def create_cluster(self, context, cluster_id, placements):
        """Build every member in parallel, then form the cluster.

        :param placements: ``{instance_id: placement dict}``.
        """
        return cluster_flows.submit_create(context, cluster_id, placements)

    def grow_cluster(self, context, cluster_id, placements, rebalance=False):
        """Build the new members (those in ``placements``) and join them.

        New masters join empty, unless ``rebalance`` moves slots onto
        them once they joined; replicas attach to their related_to
        master, in whichever region.
        """
        if rebalance:
            return rebalance_flows.submit_grow_rebalance(context, cluster_id,
                                                         placements)
        return cluster_flows.submit_grow(context, cluster_id, placements)

    def shrink_cluster(self, context, cluster_id, instance_ids, node_ids,
                       drain=False):
        """Delete the members ``instance_ids``, then forget ``node_ids``.

        The API checked that the nodes own no slots, unless ``drain``:
        then their slots move to the remaining masters first.
        """
        if drain:
            return rebalance_flows.submit_drain_shrink(context, cluster_id,
                                                       instance_ids)
        return cluster_flows.submit_shrink(context, cluster_id,
                                           instance_ids, node_ids)

    def delete_cluster(self, context, cluster_id):
        """Delete every member, then the cluster record and mapping."""
        return cluster_flows.submit_delete(context, cluster_id)

    def rebalance_cluster(self, context, cluster_id, weights):
        """Move slots online until masters own shares by ``weights``."""
        return rebalance_flows.submit_rebalance(context, cluster_id,
                                                weights)

    def upgrade_cluster(self, context, cluster_id, upgrades):
        """Upgrade the members one at a time, replicas first, then the
        cluster record (``upgrades``: see flows/upgrade.py)."""
        return upgrade_flows.submit(context, cluster_id, upgrades)

    def switchover_cluster(self, context, cluster_id, pairs):
        """Swap the primary and standby regions, losing no write
        (``pairs``: ``[[master id, standby id], ...]``)."""
        return standby_flows.submit_switchover(context, cluster_id, pairs)

    def failover_cluster(self, context, cluster_id, pairs, region):
        """Promote the standby region ``region``: the primary is lost."""
        return standby_flows.submit_failover(context, cluster_id, pairs,
                                             region)

    def take_over_cluster(self, context, cluster_id, region):
        """Take over, in this cell (of region ``region``), a cluster whose
        owning cell is down, from its mirror here."""
        return standby_takeover.submit_takeover(context, cluster_id, region)

    def rebuild_lost_members(self, context, cluster_id, placements,
                             lost_ids, region):
        """Remove the members a failover lost (``lost_ids``), build the
        new members in ``placements`` in ``region`` and attach them."""
        return standby_rebuild.submit_rebuild(context, cluster_id,
                                              placements, lost_ids, region)

    def watch_standby_clusters(self, context):
        """Mirror the clusters with a standby region into its cell (and
        retire those its cell took over), then fail over the clusters
        with an automatic failover policy whose primary region went
        silent, and take over those mirrored here whose owning cell and
        masters went silent; the ids of those failed over."""
        try:
            mirror.mirror_standby_clusters(context)
            mirror.drop_orphan_mirrors(context)
        except Exception:  # noqa: BLE001 - the failover watch still runs
            LOG.exception('Mirroring clusters to their standby regions '
                          'failed')
        started = standby_watch.fail_over_lost_regions(context)
        try:
            started += standby_takeover.take_over_silent_clusters(context)
        except Exception:  # noqa: BLE001 - the next pass looks again
            LOG.exception('Looking for clusters to take over failed')
        return started
