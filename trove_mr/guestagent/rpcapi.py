"""Client side of the guest agent RPC API, used by the control plane.

Each guest listens on its own topic, ``guestagent.<instance id>``, on an
exchange of its own of the same name, so that a guest's broker user needs
no right on the control exchange (see :mod:`trove_mr.flows.broker`). With
secure RPC on, messages to a guest and its replies are sealed under that
instance's key, which the caller passes in (the taskmanager keeps the
keys, encrypted, in the database).

Version history:

| 1.0 - Initial version: ping.
| 1.1 - prepare (cast), restart, stop, get_status (calls).
| 1.2 - Redis Cluster calls: get_node_ip, get_node_id_for_removal,
|       remove_nodes, cluster_meet, cluster_addslots, cluster_complete,
|       cluster_replicate.
| 1.3 - create_backup (cast); get_replication_source, attach_replica,
|       promote_to_master, detach_replica, replication_info (calls);
|       get_status answers ``failure`` when failed.
| 1.4 - resize_fs (call); get_status answers ``memory_used`` and
|       ``maxmemory`` (bytes) when running; cluster_migrate_slots,
|       cluster_settle_slots, cluster_nodes, change_password, set_masterauth,
|       guest_log_list, guest_log_action, update_overrides (calls);
|       prepare's config may carry ``overrides``; pre_upgrade,
|       post_upgrade, version_info (calls).
| 1.5 - get_configuration_defaults (call).
| 1.6 - cluster_failover, replication_state (calls): a cluster's standby
|       region; heartbeats of cluster replicas carry ``replication``.
| 1.7 - cluster_bootstrap, cluster_meet_many (calls): a cluster formed
|       in fewer round trips; prepare's config may carry ``ready_to``
|       (the taskmanager process its readiness push wakes).

Adding a call: raise RPC_API_VERSION, write a method that does
``self._call('name', version, timeout, **kwargs)`` (or ``self._cast``),
add it to the manager and raise the manager's target version.
"""

import oslo_messaging as messaging

from trove_mr.common import cfg
from trove_mr.common import rpc

CONF = cfg.CONF
TOPIC_PREFIX = 'guestagent'


def topic_for(instance_id):
    """The RPC topic guest ``instance_id`` listens on."""
    return '%s.%s' % (TOPIC_PREFIX, instance_id)


def exchange_for(instance_id):
    """The exchange guest ``instance_id`` listens on (its own)."""
    return topic_for(instance_id)


class GuestAgentAPI:
    """Calls and casts to the guest agent of one instance."""

    RPC_API_VERSION = '1.7'

    def __init__(self, context, instance_id, key=None, version_cap=None):
        self.context = context
        self.instance_id = instance_id
        target = messaging.Target(exchange=exchange_for(instance_id),
                                  topic=topic_for(instance_id),
                                  version='1.0')
        self._target = target
        key_id = rpc.instance_key_id(instance_id)
        self._clients = rpc.ClientCache(
            target, version_cap or self.RPC_API_VERSION,
            lambda: rpc.client_serializer(key_id, key))

    def _call(self, method, version, timeout, **kwargs):
        client = self._clients.for_context(self.context)
        return client.prepare(version=version, timeout=timeout).call(
            self.context, method, **kwargs)

    def _cast(self, method, version, **kwargs):
        client = self._clients.for_context(self.context)
        client.prepare(version=version).cast(self.context, method, **kwargs)

    def ping(self, timeout=None):
        """Ask the guest whether it is alive; quick call."""
        return self._call('ping', '1.0',
                          timeout or CONF.agent_call_low_timeout)

    def _ensure_queue(self):
        """Declare the guest's topic queue if the guest has not yet.

        prepare is cast as soon as the server is ACTIVE, often before the
        agent inside has started: a cast to a queue nobody declared would
        be dropped by the broker. A server started and stopped on the
        topic declares the queue, which then keeps the message until the
        agent consumes it. It has no endpoints, so it never dispatches.
        """
        transport = getattr(self.context, 'cell_transport', None)
        target = messaging.Target(exchange=self._target.exchange,
                                  topic=self._target.topic,
                                  server=self._target.topic)
        server = rpc.get_server(target, [], transport=transport)
        server.start()
        server.stop()
        server.wait()

    def prepare(self, config):
        """Set the guest's datastore up and start it (cast).

        :param config: ``{'password': the Redis password, 'backup_info':
            None or {id, location, checksum, region}, 'cluster': None or
            {...}}``. The guest answers through its heartbeats: RUNNING
            once Redis answers, FAILED (with a message) otherwise.
        """
        self._ensure_queue()
        self._cast('prepare', '1.1', config=config)

    def restart(self):
        """Restart the datastore; returns once it answers again."""
        return self._call('restart', '1.1', CONF.agent_call_high_timeout)

    def stop(self, timeout=None):
        """Stop the datastore, saving its data."""
        return self._call('stop', '1.1',
                          timeout or CONF.agent_call_high_timeout)

    def get_status(self, timeout=None):
        """``{'status': 'running'|'shutdown'|'failed', 'volume_used': GB}``.
        """
        return self._call('get_status', '1.1',
                          timeout or CONF.agent_call_low_timeout)

    # -- Redis Cluster (1.2): see trove_mr.cluster.redis.guestagent ------

    def get_node_ip(self):
        """``[ip, port]`` the other cluster members reach this node at."""
        return self._call('get_node_ip', '1.2', CONF.agent_call_high_timeout)

    def get_node_id_for_removal(self):
        """This node's cluster id if it owns no slots, else None."""
        return self._call('get_node_id_for_removal', '1.2',
                          CONF.agent_call_high_timeout)

    def remove_nodes(self, node_ids):
        """CLUSTER FORGET ``node_ids`` on this node; the ids forgotten."""
        return self._call('remove_nodes', '1.2',
                          CONF.agent_call_high_timeout, node_ids=node_ids)

    def cluster_meet(self, ip, port):
        """Introduce the node at ``ip``:``port`` to this node's cluster."""
        return self._call('cluster_meet', '1.2',
                          CONF.agent_call_high_timeout, ip=ip, port=port)

    def cluster_migrate_slots(self, slots, target_ip, target_port,
                              target_id):
        """Move ``slots`` of this master to node ``target_id`` online;
        ``{'slots', 'keys'}`` moved. Safe to repeat."""
        return self._call('cluster_migrate_slots', '1.4',
                          CONF.agent_call_high_timeout, slots=list(slots),
                          target_ip=target_ip, target_port=target_port,
                          target_id=target_id)

    def cluster_nodes(self):
        """CLUSTER NODES as this node sees it: a list of dicts (``id``,
        ``ip``, ``port``, ``flags``, ``master_id``, ``slots``, ...)."""
        return self._call('cluster_nodes', '1.4',
                          CONF.agent_call_low_timeout)

    def cluster_settle_slots(self):
        """Clear finished slot moves on this node; the slots still open."""
        return self._call('cluster_settle_slots', '1.4',
                          CONF.agent_call_high_timeout)

    def cluster_addslots(self, first_slot, last_slot):
        """Assign the slots ``first_slot..last_slot`` to this node."""
        return self._call('cluster_addslots', '1.2',
                          CONF.agent_call_high_timeout,
                          first_slot=first_slot, last_slot=last_slot)

    def cluster_complete(self):
        """Wait until this node sees ``cluster_state:ok``; CLUSTER INFO."""
        return self._call('cluster_complete', '1.2',
                          CONF.agent_call_high_timeout)

    def cluster_replicate(self, ip, port):
        """Make this (slotless) node a replica of the master at ip:port."""
        return self._call('cluster_replicate', '1.2',
                          CONF.agent_call_high_timeout, ip=ip, port=port)

    # -- a cluster's standby region (1.6) --------------------------------

    def cluster_failover(self, takeover=False):
        """Promote this cluster replica to master (CLUSTER FAILOVER, or
        TAKEOVER); ``{'role', 'offset', 'link'}`` after."""
        return self._call('cluster_failover', '1.6',
                          CONF.agent_call_high_timeout, takeover=takeover)

    def replication_state(self):
        """``{'role', 'offset', 'link'}`` of this cluster member."""
        return self._call('replication_state', '1.6',
                          CONF.agent_call_low_timeout)
    # -- Redis Cluster formation in fewer round trips (1.7) ---------------

    def can_send_version(self, version):
        """Whether this client may send ``version`` (its version cap)."""
        return self._clients.for_context(self.context).can_send_version(
            version)

    def cluster_bootstrap(self, first_slot=None, last_slot=None,
                          config_epoch=None):
        """Before any MEET: take slots ``first_slot..last_slot`` (if
        given) and config epoch ``config_epoch`` (if given); ``[ip,
        port]`` of this node."""
        return self._call('cluster_bootstrap', '1.7',
                          CONF.agent_call_high_timeout,
                          first_slot=first_slot, last_slot=last_slot,
                          config_epoch=config_epoch)

    def cluster_meet_many(self, nodes):
        """CLUSTER MEET each ``[ip, port]`` of ``nodes`` from this node."""
        return self._call('cluster_meet_many', '1.7',
                          CONF.agent_call_high_timeout,
                          nodes=[list(n) for n in nodes])

    # -- backups and replication (1.3) -----------------------------------

    def create_backup(self, backup_info):
        """Back the datastore up to Swift (cast); see the guest manager.

        :param backup_info: ``{'id', 'swift_url', 'container'}``.
        """
        self._cast('create_backup', '1.3', backup_info=backup_info)

    def get_replication_source(self):
        """``{'host', 'port', 'password'}`` replicas of this node use."""
        return self._call('get_replication_source', '1.3',
                          CONF.agent_call_low_timeout)

    def attach_replica(self, master):
        """Follow ``master`` ({'host', 'port', 'password'}) until in sync.
        """
        return self._call('attach_replica', '1.3',
                          CONF.agent_call_high_timeout, master=master)

    def promote_to_master(self):
        """Stop following a master and accept writes."""
        return self._call('promote_to_master', '1.3',
                          CONF.agent_call_high_timeout)

    def detach_replica(self):
        """Stop following the master, keeping the data."""
        return self._call('detach_replica', '1.3',
                          CONF.agent_call_high_timeout)

    def replication_info(self):
        """Role, master link and replication offset of this node."""
        return self._call('replication_info', '1.3',
                          CONF.agent_call_low_timeout)

    # -- resize (1.4) ----------------------------------------------------

    def resize_fs(self, volume_size):
        """Grow the volume's filesystem after Cinder extended it to
        ``volume_size`` GB; ``{'volume_size', 'grown', 'device'}``."""
        return self._call('resize_fs', '1.4', CONF.agent_call_high_timeout,
                          volume_size=volume_size)

    # -- root and logs (1.4) ---------------------------------------------

    def change_password(self, password, masterauth=True):
        """Set the Redis password live (``masterauth`` too unless False).
        """
        return self._call('change_password', '1.4',
                          CONF.agent_call_high_timeout, password=password,
                          masterauth=masterauth)

    def set_masterauth(self, password):
        """Authenticate to this replica's master with ``password``."""
        return self._call('set_masterauth', '1.4',
                          CONF.agent_call_low_timeout, password=password)

    def get_configuration_defaults(self):
        """``{parameter: value}``: redis.conf before any group."""
        return self._call('get_configuration_defaults', '1.5',
                          CONF.agent_call_low_timeout)

    def guest_log_list(self):
        """``[{name, type, status, published, pending}]``."""
        return self._call('guest_log_list', '1.4',
                          CONF.agent_call_low_timeout)

    def guest_log_action(self, name, actions, target=None):
        """Enable/disable/publish/discard log ``name``; the log after.

        :param target: ``{'swift_url', 'container', 'prefix',
            'metafile'}`` for publish and discard.
        """
        return self._call('guest_log_action', '1.4',
                          CONF.agent_call_high_timeout, name=name,
                          actions=list(actions), target=target)

    # -- configuration groups (1.4) --------------------------------------

    def update_overrides(self, overrides):
        """Apply a configuration group's values (or take them away).

        :param overrides: ``{'values': {name: redis text},
            'restart_required': [names]}``.
        :returns: ``{'restart_pending': [names], 'applied': [names]}``.
        """
        return self._call('update_overrides', '1.4',
                          CONF.agent_call_high_timeout, overrides=overrides)

    # -- datastore version upgrade (1.4) ---------------------------------

    def pre_upgrade(self):
        """Stop the datastore, its data saved, before a rebuild; returns
        what the guest runs (see version_info)."""
        return self._call('pre_upgrade', '1.4',
                          CONF.agent_call_high_timeout)

    def post_upgrade(self):
        """Start the datastore again on the rebuilt server; returns what
        the guest now runs (see version_info)."""
        return self._call('post_upgrade', '1.4',
                          CONF.agent_call_high_timeout)

    def version_info(self, timeout=None):
        """``{'datastore_version', 'image_id', 'image_version',
        'redis_version'}`` of the guest."""
        return self._call('version_info', '1.4',
                          timeout or CONF.agent_call_low_timeout)
