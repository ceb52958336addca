"""Join built members into a Redis cluster through their guest agents.

Create: the first master meets every other member, the 16384 slots are
split evenly in contiguous ranges between the masters, replicas attach to
their masters, and every member waits for ``cluster_state:ok``. Grow: a
member already in the cluster meets the new ones; new masters stay empty
(no slots), new replicas attach to their ``related_to`` master.
"""

import concurrent.futures

from oslo_log import log as logging

from trove_mr.cluster.redis import slots

LOG = logging.getLogger(__name__)


def parallel(function, items):
    """``[function(item) ...]`` run side by side; the first error raises.
    """
    items = list(items)
    if not items:
        return []
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=min(len(items), 32),
            thread_name_prefix='cluster-join') as pool:
        return list(pool.map(function, items))


class ClusterJoiner:
    """The guest calls that form or extend one cluster.

    :param clients: ``{instance_id: guest client}`` of every member
        involved (see ``RedisGuestAgentStrategy.guest_client``).
    """

    def __init__(self, clients):
        self.clients = clients
        self.addresses = {}

    def address(self, instance_id):
        """``[ip, port]`` of a member, asked once (get_node_ip)."""
        if instance_id not in self.addresses:
            self.addresses[instance_id] = list(
                self.clients[instance_id].get_node_ip())
        return self.addresses[instance_id]

    def meet(self, anchor_id, new_ids):
        """Have ``anchor_id`` meet every one of ``new_ids``."""
        parallel(self.address, [anchor_id] + list(new_ids))
        anchor = self.clients[anchor_id]
        # The MEETs go out side by side: each is a call to the anchor's
        # guest, and the cluster bus handshakes then run concurrently.
        parallel(lambda instance_id: anchor.cluster_meet(
            *self.address(instance_id)),
            [i for i in new_ids if i != anchor_id])

    def assign_slots(self, master_ids):
        """Split the slots evenly between ``master_ids``, in their order.

        :returns: ``{instance_id: [first, last]}``.
        """
        ranges = dict(zip(master_ids,
                          slots.even_slot_ranges(len(master_ids)),
                          strict=True))
        parallel(lambda item: self.clients[item[0]].cluster_addslots(
            item[1][0], item[1][1]), ranges.items())
        return ranges

    def replicate(self, replicas):
        """Attach each replica to its master: ``{replica_id: master_id}``.
        """
        def attach(item):
            replica_id, master_id = item
            ip, port = self.address(master_id)
            return self.clients[replica_id].cluster_replicate(ip, port)
        parallel(attach, replicas.items())

    def complete(self, instance_ids):
        """Wait until every one of ``instance_ids`` sees state ok."""
        return parallel(lambda i: self.clients[i].cluster_complete(),
                        instance_ids)


def _can_bootstrap(client):
    """Whether a member's guest client may send the 1.7 calls."""
    can_send = getattr(client, 'can_send_version', None)
    return bool(can_send and can_send('1.7'))


def form(joiner, masters, replicas):
    """Form a new cluster of ``masters`` (ids, in order) and ``replicas``.

    :param replicas: ``{replica_id: master_id}``.
    """
    every = list(masters) + list(replicas)
    if all(_can_bootstrap(joiner.clients[i]) for i in every):
        return form_bootstrapped(joiner, masters, replicas)
    joiner.meet(masters[0], every[1:])
    ranges = joiner.assign_slots(list(masters))
    joiner.replicate(replicas)
    joiner.complete(every)
    LOG.info('Cluster formed: %d masters, %d replicas, slots %s',
             len(masters), len(replicas), sorted(ranges.values()))
    return ranges


def form_bootstrapped(joiner, masters, replicas):
    """:func:`form` in three rounds of guest calls (1.7): each master
    takes its slots and a config epoch of its own and every member gives
    its address, side by side; the first master meets them all in one
    call; replicas attach and every member waits for state ok, side by
    side. Slots and epochs before the MEETs: the nodes learn each other's
    slots in the handshake, with no epoch collision to resolve.
    """
    every = list(masters) + list(replicas)
    ranges = dict(zip(masters, slots.even_slot_ranges(len(masters)),
                      strict=True))
    epochs = {master: index + 1 for index, master in enumerate(masters)}

    def bootstrap(instance_id):
        first, last = ranges.get(instance_id, (None, None))
        joiner.addresses[instance_id] = list(
            joiner.clients[instance_id].cluster_bootstrap(
                first, last, epochs.get(instance_id)))
    parallel(bootstrap, every)
    if len(every) > 1:
        joiner.clients[masters[0]].cluster_meet_many(
            [joiner.address(i) for i in every[1:]])
    joiner.replicate(replicas)
    joiner.complete(every)
    LOG.info('Cluster formed: %d masters, %d replicas, slots %s',
             len(masters), len(replicas), sorted(ranges.values()))
    return ranges


def extend(joiner, anchor_id, masters, replicas):
    """Add empty ``masters`` and ``replicas`` to a running cluster.

    :param anchor_id: a member already in the cluster.
    :param replicas: ``{replica_id: master_id}``; the master may be new
        or already a member.
    """
    new = list(masters) + list(replicas)
    joiner.meet(anchor_id, new)
    joiner.replicate(replicas)
    joiner.complete(new)
    LOG.info('Cluster grown by %d masters and %d replicas', len(masters),
             len(replicas))
