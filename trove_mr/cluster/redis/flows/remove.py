"""Remove members of a cluster: their servers, volumes and records.

Each member goes through the single-instance delete flow (idempotent,
ERROR with the reason on failure); the members are removed side by side.
"""

from oslo_log import log as logging

from trove_mr.cluster.redis.flows import join as cluster_join
from trove_mr.flows import delete_instance

LOG = logging.getLogger(__name__)


def delete_members(context, instance_ids):
    """Delete every member of ``instance_ids`` in parallel.

    :returns: the ids that could not be deleted (left in ERROR).
    """
    results = cluster_join.parallel(
        lambda instance_id: (instance_id,
                             delete_instance.run(context, instance_id)),
        instance_ids)
    failed = [instance_id for instance_id, ok in results if not ok]
    if failed:
        LOG.warning('Members %s could not be deleted', failed)
    return failed


def forget_nodes(clients, node_ids):
    """CLUSTER FORGET ``node_ids`` on every remaining member, in parallel.

    Redis bans a forgotten node for 60 s only: the removed nodes are
    deleted first, so none is left to gossip its way back.

    :param clients: ``{instance_id: guest client}`` of remaining members.
    :returns: ``{instance_id: ids forgotten there}``.
    """
    items = list(clients.items())
    forgotten = cluster_join.parallel(
        lambda item: (item[0], item[1].remove_nodes(list(node_ids))), items)
    return dict(forgotten)
