"""The Redis Cluster calls of the guest agent (RPC 1.2, 1.4 for moving
slots): a part of ``GuestManager``, which provides ``_cluster_node()``.
"""

import logging
import time

from trove_mr.common import states
from trove_mr.guestagent import errors
from trove_mr.guestagent.datastore.redis import cluster as redis_cluster
from trove_mr.guestagent.datastore.redis import standby as redis_standby

LOG = logging.getLogger(__name__)

# Seconds a cluster step waits for gossip to converge.
CLUSTER_WAIT_TIMEOUT = 60


class ClusterCalls:
    """The cluster member side of the seed's calls, and slot moves."""

    def get_node_ip(self, context):
        """``[ip, port]`` other members reach this node at (call)."""
        return self._cluster_node().get_node_ip()

    def get_node_id_for_removal(self, context):
        """This node's id if it owns no slots, else None (call)."""
        return self._cluster_node().get_node_id_for_removal()

    def remove_nodes(self, context, node_ids):
        """CLUSTER FORGET each of ``node_ids`` here (call).

        :returns: the ids this node forgot.
        """
        return self._cluster_node().remove_nodes(list(node_ids))

    def cluster_meet(self, context, ip, port):
        """CLUSTER MEET the node at ``ip``:``port`` (call)."""
        self._cluster_node().cluster_meet(ip, port)

    def cluster_migrate_slots(self, context, slots, target_ip, target_port,
                              target_id):
        """Move ``slots`` of this master to ``target_id`` online (call,
        1.4); ``{'slots', 'keys', 'bytes'}`` moved. Safe to repeat."""
        return redis_cluster.SlotMover(self._cluster_node()).migrate(
            list(slots), target_ip, target_port, target_id)

    def cluster_nodes(self, context):
        """CLUSTER NODES here, parsed (call, 1.4)."""
        return self._cluster_node().cluster_nodes()

    def cluster_settle_slots(self, context):
        """Clear finished slot moves here; the slots still open (call,
        1.4)."""
        return redis_cluster.SlotMover(self._cluster_node()).settle()

    def cluster_addslots(self, context, first_slot, last_slot):
        """Assign slots ``first_slot..last_slot`` to this node (call)."""
        self._cluster_node().cluster_addslots(first_slot, last_slot)

    def cluster_bootstrap(self, context, first_slot=None, last_slot=None,
                          config_epoch=None):
        """Before the MEETs: this node's slots and config epoch (each if
        given); ``[ip, port]`` of this node (call, 1.7).

        Distinct epochs set before the nodes meet spare the cluster the
        collisions it would otherwise resolve one gossip round at a time
        (as ``redis-cli --cluster create`` does).
        """
        node = self._cluster_node()
        if first_slot is not None:
            node.cluster_addslots(first_slot, last_slot)
        if config_epoch is not None:
            node.set_config_epoch(config_epoch)
        node.shorten_rejoin_delay(CLUSTER_WAIT_TIMEOUT)
        return node.get_node_ip()

    def cluster_meet_many(self, context, nodes):
        """CLUSTER MEET every ``[ip, port]`` of ``nodes`` (call, 1.7)."""
        node = self._cluster_node()
        for ip, port in nodes:
            node.cluster_meet(ip, port)

    def cluster_complete(self, context):
        """Wait for ``cluster_state:ok`` here; return CLUSTER INFO (call).
        """
        return self._cluster_node().cluster_complete(
            timeout=CLUSTER_WAIT_TIMEOUT)

    def cluster_replicate(self, context, ip, port):
        """Replicate the master at ``ip``:``port`` (call).

        The master is named by address because the control plane knows
        addresses, not node ids; this node waits until gossip told it of
        that master, then issues CLUSTER REPLICATE.
        """
        node = self._cluster_node()
        master_id = _wait_node_id(node, ip, int(port), CLUSTER_WAIT_TIMEOUT)
        node.cluster_replicate(master_id, timeout=CLUSTER_WAIT_TIMEOUT)
        return master_id


def _wait_node_id(node, ip, port, timeout):
    """The cluster id of the node at ``ip``:``port``, once known here."""
    deadline = time.monotonic() + timeout
    while True:
        for entry in node.cluster_nodes():
            if entry['ip'] == ip and entry['port'] == port and \
                    'handshake' not in entry['flags'] and \
                    'noaddr' not in entry['flags']:
                return entry['id']
        if time.monotonic() > deadline:
            raise errors.GuestError(
                'No cluster node at %s:%d is known after %ss.'
                % (ip, port, timeout))
        time.sleep(0.1)


class StandbyCalls:
    """A standby replica's calls (RPC 1.6): promote it, read its role.

    A part of ``GuestManager`` beside ``ClusterCalls``.
    """

    def cluster_failover(self, context, takeover=False):
        """Make this replica its shard's master (call, 1.6).

        CLUSTER FAILOVER (planned: the master hands over every write
        first), or with ``takeover`` CLUSTER FAILOVER TAKEOVER (the
        master's region is gone). ``{'role', 'offset', 'link'}`` after.
        """
        return redis_standby.promote(self._cluster_node().app,
                                     takeover=bool(takeover),
                                     timeout=CLUSTER_WAIT_TIMEOUT)

    def replication_state(self, context):
        """``{'role', 'offset', 'link'}`` of this node (call, 1.6)."""
        return redis_standby.replication_state(self._cluster_node().app)

    def _replication_lag(self, service_status):
        """A running cluster replica's lag for the heartbeat, or None."""
        app = self.app
        if app is None or not getattr(app, 'clustered', False) or \
                service_status != states.SERVICE_RUNNING:
            return None
        try:
            return redis_standby.replica_lag(app)
        except Exception as exc:  # noqa: BLE001 - the heartbeat goes on
            LOG.debug('No replication lag in this heartbeat: %s', exc)
            return None
