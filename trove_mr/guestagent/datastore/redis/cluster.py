"""Redis Cluster operations on the local node (the seed's guest calls).

Every method takes and returns plain JSON-able values so that the guest
agent's RPC methods can hand them through unchanged.
"""

import logging
import threading
import time

import redis

from trove_mr.guestagent.datastore.redis import errors

LOG = logging.getLogger(__name__)

ADDSLOTS_BATCH = 1000
_POLL = 0.05
# cluster-node-timeout (ms) while a new cluster forms.
FORMING_NODE_TIMEOUT_MS = 1000


def parse_cluster_nodes(text):
    """Parse the text of CLUSTER NODES into a list of dicts.

    Each dict has ``id``, ``ip``, ``port``, ``flags`` (list), ``master_id``
    (None for masters), ``slots`` (inclusive ``[first, last]`` pairs, slots
    being migrated left out), ``link_state`` and ``myself``.
    """
    nodes = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 8:
            continue
        node_id, address, flags, master_id = fields[:4]
        host_port = address.split('@', 1)[0]
        ip, _sep, port = host_port.rpartition(':')
        slots = []
        for item in fields[8:]:
            if item.startswith('['):
                continue
            first, _sep, last = item.partition('-')
            slots.append([int(first), int(last or first)])
        flag_list = flags.split(',')
        nodes.append({
            'id': node_id,
            'ip': ip,
            'port': int(port) if port.isdigit() else 0,
            'flags': flag_list,
            'master_id': None if master_id == '-' else master_id,
            'slots': slots,
            'link_state': fields[7],
            'myself': 'myself' in flag_list,
        })
    return nodes


def parse_cluster_info(text):
    """Parse CLUSTER INFO into a dict, with integer values as ints."""
    info = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(':')
        if not sep:
            continue
        info[key] = int(value) if value.lstrip('-').isdigit() else value
    return info


class RedisClusterNode:
    """The cluster side of one local redis-server (a ``RedisApp``)."""

    def __init__(self, app):
        self.app = app

    def _command(self, *args):
        # Sent as separate words so that redis-py hands back the raw
        # reply instead of its own parsed form of CLUSTER NODES/INFO.
        return self.app.client().execute_command('CLUSTER', *args)

    def get_node_ip(self):
        """``[ip, port]`` other members use to reach this node."""
        return [self.app.address, self.app.port]

    def get_node_id(self):
        """This node's cluster id (CLUSTER MYID)."""
        return self._command('MYID')

    def cluster_info(self):
        """CLUSTER INFO as a dict (``cluster_state``, ``cluster_slots_ok``
        ...)."""
        return parse_cluster_info(self._command('INFO'))

    def cluster_nodes(self):
        """CLUSTER NODES as seen from this node, as a list of dicts."""
        return parse_cluster_nodes(self._command('NODES'))

    def my_slots(self):
        """The ``[first, last]`` slot ranges this node owns."""
        return self._myself()['slots']

    def _myself(self):
        for node in self.cluster_nodes():
            if node['myself']:
                return node
        raise errors.RedisServiceError('CLUSTER NODES of %s:%d has no '
                                       '"myself" entry' % (
                                           self.app.address, self.app.port))

    def get_node_id_for_removal(self):
        """This node's id if it owns no slots, else None.

        A node that still serves slots cannot leave the cluster without
        losing data, so shrink refuses it.
        """
        me = self._myself()
        if me['slots']:
            return None
        return me['id']

    def cluster_meet(self, ip, port):
        """Introduce the node at ``ip``:``port`` to this node's cluster."""
        LOG.debug('CLUSTER MEET %s %s from %s.', ip, port, self.app.address)
        self._command('MEET', ip, int(port))

    def shorten_rejoin_delay(self, timeout=60):
        """Until this node sees ``cluster_state:ok`` (or ``timeout``
        seconds), a short cluster-node-timeout; then its own again.

        A master that saw too few masters (not met yet) waits
        cluster-node-timeout (at most 5 s) after meeting enough of them
        before it turns ok: a delay a new cluster need not pay, nor keep
        once formed.
        """
        client = self.app.client()
        configured = client.config_get('cluster-node-timeout').get(
            'cluster-node-timeout')
        if not configured or int(configured) <= FORMING_NODE_TIMEOUT_MS:
            return
        client.config_set('cluster-node-timeout', FORMING_NODE_TIMEOUT_MS)

        def restore():
            deadline = time.monotonic() + timeout
            try:
                while time.monotonic() < deadline and \
                        self.cluster_info().get('cluster_state') != 'ok':
                    time.sleep(_POLL)
            except Exception as exc:  # noqa: BLE001 - restored below
                LOG.debug('Cluster state unknown while forming: %s', exc)
            try:
                self.app.client().config_set('cluster-node-timeout',
                                             int(configured))
            except Exception as exc:  # noqa: BLE001 - logged
                LOG.warning('cluster-node-timeout not restored to %s: %s',
                            configured, exc)
        threading.Thread(target=restore, name='cluster-forming',
                         daemon=True).start()

    def set_config_epoch(self, epoch):
        """CLUSTER SET-CONFIG-EPOCH on a fresh node; a node whose epoch is
        already set (a call run again) keeps it."""
        try:
            self._command('SET-CONFIG-EPOCH', int(epoch))
        except redis.ResponseError as exc:
            if 'epoch' not in str(exc).lower():
                raise
            LOG.debug('Config epoch of %s kept: %s', self.app.address, exc)

    def cluster_addslots(self, first_slot, last_slot):
        """Assign slots ``first_slot..last_slot`` (inclusive) to this node.

        Sent in batches so that no single command carries thousands of
        arguments. Slots this node owns already are left out: a call run
        again (its taskmanager died after it) does the rest, where
        ADDSLOTS would refuse the whole batch as busy.
        """
        first_slot, last_slot = int(first_slot), int(last_slot)
        if not 0 <= first_slot <= last_slot <= 16383:
            raise ValueError('invalid slot range %d-%d'
                             % (first_slot, last_slot))
        owned = set()
        for first, last in self.my_slots():
            owned.update(range(first, last + 1))
        wanted = [slot for slot in range(first_slot, last_slot + 1)
                  if slot not in owned]
        for start in range(0, len(wanted), ADDSLOTS_BATCH):
            self._command('ADDSLOTS',
                          *wanted[start:start + ADDSLOTS_BATCH])

    def cluster_complete(self, timeout=60):
        """Wait until this node sees ``cluster_state:ok``.

        :returns: the final CLUSTER INFO dict.
        :raises RedisTimeout: if the state is not ok within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            info = self.cluster_info()
            if info.get('cluster_state') == 'ok':
                return info
            if time.monotonic() > deadline:
                raise errors.RedisTimeout(
                    'cluster state at %s:%d is still %s after %ss (%s of '
                    '16384 slots assigned)' % (
                        self.app.address, self.app.port,
                        info.get('cluster_state'), timeout,
                        info.get('cluster_slots_assigned')))
            time.sleep(_POLL)

    def remove_nodes(self, node_ids):
        """CLUSTER FORGET each of ``node_ids`` on this node.

        Ids this node does not know, and its own id, are skipped. Redis
        keeps a forgotten node banned for 60 s only, so every remaining
        member must be told within that time.

        :returns: the ids actually forgotten.
        """
        my_id = self.get_node_id()
        forgotten = []
        for node_id in node_ids:
            if node_id == my_id:
                continue
            try:
                self._command('FORGET', node_id)
            except redis.ResponseError as e:
                if 'unknown node' in str(e).lower():
                    continue
                raise
            forgotten.append(node_id)
        return forgotten

    def cluster_replicate(self, master_node_id, timeout=60):
        """Make this (empty, slotless) node a replica of ``master_node_id``.

        Waits until this node has learned of the master through the
        cluster bus, since CLUSTER REPLICATE refuses unknown nodes.
        """
        deadline = time.monotonic() + timeout
        while True:
            master = next((n for n in self.cluster_nodes()
                           if n['id'] == master_node_id), None)
            if master and 'master' in master['flags'] and \
                    'handshake' not in master['flags']:
                break
            if time.monotonic() > deadline:
                raise errors.RedisTimeout(
                    'node %s:%d did not learn of master %s within %ss'
                    % (self.app.address, self.app.port, master_node_id,
                       timeout))
            time.sleep(_POLL)
        self._command('REPLICATE', master_node_id)

    def reset_for_removal(self):
        """Empty this node and make it forget its cluster (RESET HARD).

        Used on a node leaving the cluster after its slots are gone, so
        that it cannot rejoin with stale state.
        """
        client = self.app.client()
        if client.info('replication').get('role') == 'master':
            client.flushall()
        self._command('RESET', 'HARD')


MIGRATE_BATCH = 500
MIGRATE_TIMEOUT_MS = 10000
# Slots moved together, each step of the protocol one pipeline for all.
SLOT_BATCH = 64


def _each(node, commands, timeout=60):
    """Send ``commands`` to ``node`` in one pipeline; their answers, a
    refusal as its exception. A SETSLOT naming a node this one has not yet
    learned of through the cluster bus (one that just joined, gossip
    slowed by load) is sent again until ``timeout``."""
    deadline = time.monotonic() + timeout
    answers = [None] * len(commands)
    todo = list(range(len(commands)))
    while todo:
        pipe = node.pipeline(transaction=False)
        for index in todo:
            pipe.execute_command(*commands[index])
        again = []
        for index, answer in zip(todo, pipe.execute(raise_on_error=False),
                                 strict=True):
            if isinstance(answer, redis.ResponseError) and \
                    "don't know about node" in str(answer) and \
                    time.monotonic() < deadline:
                again.append(index)
            else:
                answers[index] = answer
        todo = again
        if todo:
            time.sleep(_POLL * 4)
    return answers


def _raise_first(answers):
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
    return answers


def _net_input(node):
    return int(node.info('stats').get('total_net_input_bytes', 0))


def _open_slots(text):
    """``{slot: 'migrating'|'importing'}`` on the "myself" line of CLUSTER
    NODES (entries such as ``[93->-<id>]`` and ``[93-<-<id>]``)."""
    found = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 8 or 'myself' not in fields[2].split(','):
            continue
        for item in fields[8:]:
            if item.startswith('[') and '->-' in item:
                found[int(item[1:].split('->-')[0])] = 'migrating'
            elif item.startswith('[') and '-<-' in item:
                found[int(item[1:].split('-<-')[0])] = 'importing'
    return found


class SlotMover:
    """Moves hash slots of this master to another master, online.

    The Redis Cluster protocol, ``SLOT_BATCH`` slots at a time with each
    step pipelined: the target IMPORTING, this node MIGRATING, the slots'
    keys sent with MIGRATE ... KEYS in batches (clients meanwhile follow
    ASK redirects), then both nodes told the slots' new owner. Safe to
    run again after an interruption: slots this node no longer owns are
    skipped, and a slot left half-moved is finished.
    """

    def __init__(self, node):
        self.node = node
        self.app = node.app

    def _target(self, ip, port):
        return redis.Redis(host=ip, port=int(port),
                           password=self.app.password, socket_timeout=30)

    def open_slots(self):
        """``{slot: state}`` of slots migrating or importing here."""
        return _open_slots(self.node._command('NODES'))

    def migrate(self, slots, target_ip, target_port, target_id):
        """Move ``slots`` to ``target_id``.

        :returns: ``{'slots', 'keys', 'bytes'}`` moved; ``bytes`` is what
            the target received meanwhile (its ``total_net_input_bytes``),
            the MIGRATE payloads and little else on a quiet node.
        """
        my_id = self.node.get_node_id()
        owned = set()
        for first, last in self.node._myself()['slots']:
            owned.update(range(first, last + 1))
        open_here = self.open_slots()
        # A master giving away its last slot would otherwise turn itself
        # into a replica of the taker (Redis 7): members' roles are the
        # control plane's to decide.
        try:
            self.app.client().config_set('cluster-allow-replica-migration',
                                         'no')
        except redis.ResponseError:
            LOG.info('This Redis has no cluster-allow-replica-migration.')
        # Keys are bytes here: GETKEYSINSLOT answers any key, UTF-8 or not.
        client = self._target(self.app.address, self.app.port)
        target = self._target(target_ip, target_port)
        todo = [s for s in (int(s) for s in slots)
                if s in owned or s in open_here]  # others: an earlier run
        moved_keys = 0
        try:
            received = _net_input(target)
            for start in range(0, len(todo), SLOT_BATCH):
                moved_keys += self._move_batch(
                    client, target, todo[start:start + SLOT_BATCH], my_id,
                    target_ip, target_port, target_id)
            received = _net_input(target) - received
        finally:
            target.close()
            client.close()
        return {'slots': len(todo), 'keys': moved_keys,
                'bytes': max(received, 0)}

    def _move_batch(self, client, target, slots, my_id, ip, port,
                    target_id):
        """The Redis Cluster protocol for ``slots`` at once, each step one
        pipeline: the target IMPORTING, here MIGRATING, the keys sent
        with MIGRATE ... KEYS in batches, the target told it owns the
        slots, then this node."""
        opened = _each(target, [('CLUSTER', 'SETSLOT', s, 'IMPORTING',
                                 my_id) for s in slots])
        migrating = []
        for slot, answer in zip(slots, opened, strict=True):
            if not isinstance(answer, Exception):
                migrating.append(slot)
            elif 'already the owner' not in str(answer):
                # Else the target owns it: an earlier run got that far.
                raise answer
        _raise_first(_each(client, [('CLUSTER', 'SETSLOT', s, 'MIGRATING',
                                     target_id) for s in migrating]))
        keys = 0
        pending = list(slots)
        while pending:
            batches = _raise_first(_each(client, [
                ('CLUSTER', 'GETKEYSINSLOT', s, MIGRATE_BATCH)
                for s in pending]))
            _raise_first(_each(client, [
                ('MIGRATE', ip, int(port), '', 0, MIGRATE_TIMEOUT_MS,
                 'REPLACE', 'AUTH', self.app.password, 'KEYS', *batch)
                for batch in batches if batch]))
            keys += sum(len(batch) for batch in batches)
            # While a slot is MIGRATING new keys go to the target (ASK):
            # a batch shorter than asked for was the slot's last.
            pending = [s for s, batch in zip(pending, batches, strict=True)
                       if len(batch) == MIGRATE_BATCH]
        # The target first, so the new owner's epoch wins the gossip.
        _raise_first(_each(target, [('CLUSTER', 'SETSLOT', s, 'NODE',
                                     target_id) for s in slots]))
        for slot, answer in zip(slots, _each(client, [
                ('CLUSTER', 'SETSLOT', s, 'NODE', target_id)
                for s in slots]), strict=True):
            if isinstance(answer, Exception):
                # Gossip from the target got here first: nothing to say.
                LOG.info('SETSLOT %s NODE here: %s', slot, answer)
        return keys

    def settle(self):
        """Clear migrating/importing marks left on slots here whose owner
        is settled (an interrupted move finished elsewhere); the slots
        still open afterwards."""
        for slot in self.open_slots():
            if self.app.client().execute_command(
                    'CLUSTER', 'COUNTKEYSINSLOT', slot) == 0:
                self.node._command('SETSLOT', slot, 'STABLE')
        return sorted(self.open_slots())
