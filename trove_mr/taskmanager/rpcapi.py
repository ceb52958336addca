"""Client side of the taskmanager RPC API.

Version history:

| 1.0 - Initial version: ping, ping_conductor.
| 1.1 - create_instance, delete_instance, restart_instance (casts).
| 1.2 - create_cluster, grow_cluster, shrink_cluster, delete_cluster
|       (casts).
| 1.3 - create_backup, delete_backup, promote_to_replica_source,
|       eject_replica_source, detach_replica (casts).
| 1.4 - resize_flavor, resize_volume, rebalance_cluster,
|       reboot_instance, create_replicas,
|       change_root_password (casts); grow_cluster takes rebalance,
|       shrink_cluster drain; apply_configuration,
|       apply_cluster_configuration, upgrade_instance,
|       upgrade_cluster, update_access (casts).
| 1.5 - failover_volume, failover_cluster_volumes (casts): an admin's
|       volume failover to the replication target.
| 1.6 - switchover_cluster, failover_cluster (calls posting jobs): a
|       cluster's standby region.
| 1.7 - instance_ready (cast, from a conductor): served by each
|       taskmanager process on a wake topic of its own
|       (``common/readiness.py``), not on this topic.
| 1.8 - take_over_cluster (call posting a job): a cluster failed over
|       by its standby region's cell while its owning cell is down.
| 1.9 - rebuild_lost_members (call posting a job): the members a
|       failover lost, removed and rebuilt in another region.
| 1.10 - stop_datastore, migrate_instance, rebuild_instance (calls
|        posting jobs): an admin's stop of an instance's Redis, cold
|        migration of its server to another compute host, and rebuild
|        of its server from an image (task REBUILDING).

Since operations became jobs, every operation method is sent as a call
that the taskmanager answers once the job is posted on the cell's
jobboard (``taskmanager_submit_timeout``): a taskmanager that dies with
the request leaves the API a timeout, not a request silently lost. The
server side is the same method, so an older API's casts still work.

Add a method by raising RPC_API_VERSION (1.1, 1.2, ...), giving the method
``version='1.x'`` in its ``prepare`` call, adding a line above, and raising
the manager's ``target`` version to match.
"""

import oslo_messaging as messaging

from trove_mr.common import cfg
from trove_mr.common import rpc

CONF = cfg.CONF

# Under the default control exchange; see topic_name().
TOPIC = 'trove-mr-taskmanager'
# The process's name in its cell's services table (its heartbeats).
BINARY = 'trove-mr-taskmanager'


def topic_name():
    """``<control_exchange>-taskmanager``: a topic's queue is named after
    the topic alone, so planes sharing a virtual host under different
    control exchanges would otherwise take turns consuming each other's
    requests (and refuse them: their keys differ)."""
    return '%s-taskmanager' % rpc.control_exchange()


class TaskManagerAPI:
    """Calls and casts to ``trove-mr-taskmanager``."""

    RPC_API_VERSION = '1.10'

    def __init__(self, version_cap=None):
        target = messaging.Target(topic=topic_name(), version='1.0')
        self._clients = rpc.ClientCache(
            target, version_cap or self.RPC_API_VERSION,
            rpc.client_serializer)

    def _prepare(self, context, version, **kwargs):
        return self._clients.for_context(context).prepare(
            version=version, **kwargs)

    def _submit(self, context, version, method, **kwargs):
        """Ask for an operation; returns once its job is posted."""
        return self._prepare(
            context, version, timeout=CONF.taskmanager_submit_timeout).call(
                context, method, **kwargs)

    def ping(self, context):
        """Ask one taskmanager for {'service': 'taskmanager', 'host': ...}."""
        return self._prepare(context, '1.0').call(context, 'ping')

    def ping_conductor(self, context):
        """Ping a conductor through a taskmanager; returns both answers."""
        return self._prepare(context, '1.0').call(context, 'ping_conductor')

    def create_instance(self, context, instance_id, placement, password,
                        backup_info=None):
        """Build a BUILDING instance where ``placement`` says.

        :param placement: the API's placement decision, a plain versioned
            dict (``regions.placement_payload``).
        :param password: Redis password for the guest; travels sealed.
        :param backup_info: None, or the backup to restore.
        """
        self._submit(context, '1.1', 'create_instance',
                     instance_id=instance_id, placement=placement,
                     password=password, backup_info=backup_info)

    def delete_instance(self, context, instance_id):
        """Delete an instance and its server and volume."""
        self._submit(context, '1.1', 'delete_instance',
                     instance_id=instance_id)

    def restart_instance(self, context, instance_id):
        """Restart an instance's datastore."""
        self._submit(context, '1.1', 'restart_instance',
                     instance_id=instance_id)

    def create_cluster(self, context, cluster_id, placements):
        """Build a BUILDING cluster's members and form the cluster.

        :param placements: ``{instance_id: placement dict}`` of every
            member (see create_instance).
        """
        self._submit(context, '1.2', 'create_cluster', cluster_id=cluster_id,
                     placements=placements)

    def grow_cluster(self, context, cluster_id, placements, rebalance=False):
        """Build the new members in ``placements`` and join them; with
        ``rebalance`` (1.4), move slots onto the new masters after."""
        if rebalance:
            self._submit(context, '1.4', 'grow_cluster',
                         cluster_id=cluster_id, placements=placements,
                         rebalance=True)
            return
        self._submit(context, '1.2', 'grow_cluster', cluster_id=cluster_id,
                     placements=placements)

    def shrink_cluster(self, context, cluster_id, instance_ids, node_ids,
                       drain=False):
        """Delete members ``instance_ids``, forget ``node_ids``; with
        ``drain`` (1.4), move their slots away first (node ids found
        then)."""
        if drain:
            self._submit(context, '1.4', 'shrink_cluster',
                         cluster_id=cluster_id, instance_ids=instance_ids,
                         node_ids=None, drain=True)
            return
        self._submit(context, '1.2', 'shrink_cluster', cluster_id=cluster_id,
                     instance_ids=instance_ids, node_ids=node_ids)

    def delete_cluster(self, context, cluster_id):
        """Delete every member of a cluster, then the cluster."""
        self._submit(context, '1.2', 'delete_cluster', cluster_id=cluster_id)

    def create_backup(self, context, backup_id, instance_id, backup_info):
        """Back ``instance_id`` up as the NEW backup ``backup_id``.

        :param backup_info: ``{'id', 'swift_url', 'container'}`` for the
            guest; the context carries the tenant's token.
        """
        self._submit(context, '1.3', 'create_backup', backup_id=backup_id,
                     instance_id=instance_id, backup_info=backup_info)

    def delete_backup(self, context, backup_id):
        """Remove a backup's objects in Swift, then its record."""
        self._submit(context, '1.3', 'delete_backup', backup_id=backup_id)

    def promote_to_replica_source(self, context, instance_id):
        """Make replica ``instance_id`` the master of its set."""
        self._submit(context, '1.3', 'promote_to_replica_source',
                     instance_id=instance_id)

    def eject_replica_source(self, context, instance_id):
        """Replace the dead master ``instance_id`` by a replica."""
        self._submit(context, '1.3', 'eject_replica_source',
                     instance_id=instance_id)

    def detach_replica(self, context, instance_id):
        """Replica ``instance_id`` stops following its master."""
        self._submit(context, '1.3', 'detach_replica',
                     instance_id=instance_id)

    def resize_flavor(self, context, instance_id, new_flavor):
        """Move a RESIZING instance's server to ``new_flavor``.

        :param new_flavor: ``{'id', 'name', 'ram', 'vcpus', 'disk'}`` of
            the flavor in the instance's region, as the API resolved it.
        """
        self._submit(context, '1.4', 'resize_flavor',
                     instance_id=instance_id, new_flavor=new_flavor)

    def resize_volume(self, context, instance_id, new_size):
        """Grow a RESIZING instance's volume to ``new_size`` GB."""
        self._submit(context, '1.4', 'resize_volume',
                     instance_id=instance_id, new_size=new_size)

    def rebalance_cluster(self, context, cluster_id, weights=None):
        """Move hash slots between a REBALANCING cluster's masters."""
        self._submit(context, '1.4', 'rebalance_cluster',
                     cluster_id=cluster_id, weights=weights or {})

    def reboot_instance(self, context, instance_id):
        """Reboot an instance's server in its region (admin)."""
        self._submit(context, '1.4', 'reboot_instance',
                     instance_id=instance_id)

    def create_replicas(self, context, instance_ids, placement, password):
        """Build the BUILDING replicas ``instance_ids`` of one request,
        all or nothing, where ``placement`` says; ``password`` travels
        sealed."""
        self._submit(context, '1.4', 'create_replicas',
                     instance_ids=instance_ids, placement=placement,
                     password=password)

    def change_root_password(self, context, resource_type, resource_id,
                             password, enable=True, change_id=None):
        """Set ``password`` on an instance or on every cluster member.

        :param resource_type: ``'instance'`` or ``'cluster'``.
        :param password: travels sealed (as create's).
        :param enable: root enable (True) or disable (False).
        :param change_id: the change as the API recorded it.
        """
        self._submit(context, '1.4', 'change_root_password',
                     resource_type=resource_type, resource_id=resource_id,
                     password=password, enable=enable, change_id=change_id)

    def apply_configuration(self, context, instance_id):
        """Apply the CONFIGURING instance's configuration group (or the
        defaults, when it has none) to its Redis."""
        self._submit(context, '1.4', 'apply_configuration',
                     instance_id=instance_id)

    def apply_cluster_configuration(self, context, cluster_id):
        """Apply the UPDATING_CLUSTER cluster's configuration group on
        every member."""
        self._submit(context, '1.4', 'apply_cluster_configuration',
                     cluster_id=cluster_id)

    def upgrade_instance(self, context, instance_id, upgrade):
        """Rebuild an UPGRADING instance on another datastore version.

        :param upgrade: ``{'version_id', 'version_name', 'placement'}``:
            the target version (owning cell) and the API's image decision
            for the instance's region.
        """
        self._submit(context, '1.4', 'upgrade_instance',
                     instance_id=instance_id, upgrade=upgrade)

    def upgrade_cluster(self, context, cluster_id, upgrades):
        """Upgrade an UPGRADING_CLUSTER cluster member by member.

        :param upgrades: ``{'version_id', 'version_name', 'placements':
            {instance_id: placement dict}}``.
        """
        self._submit(context, '1.4', 'upgrade_cluster',
                     cluster_id=cluster_id, upgrades=upgrades)

    def update_access(self, context, instance_id, access):
        """Apply a changed ``access`` ({is_public, allowed_cidrs}, either
        may be absent) to an instance's security group and floating IP.
        """
        self._submit(context, '1.4', 'update_access',
                     instance_id=instance_id, access=access)

    def failover_volume(self, context, instance_id, failover):
        """Fail a FAILING_OVER instance's volume over to its replica.

        :param failover: ``{'region_name', 'volume_id', 'server_id',
            'secondary'}`` (secondary: a target backend id, or None).
        """
        self._submit(context, '1.5', 'failover_volume',
                     instance_id=instance_id, failover=failover)

    def failover_cluster_volumes(self, context, cluster_id, failovers):
        """Fail the volumes of a cluster's members over, one at a time.

        :param failovers: ``[[instance_id, failover payload], ...]``.
        """
        self._submit(context, '1.5', 'failover_cluster_volumes',
                     cluster_id=cluster_id, failovers=failovers)

    def switchover_cluster(self, context, cluster_id, pairs):
        """Swap a SWITCHING_OVER cluster's primary and standby regions.

        :param pairs: ``[[master id, standby id], ...]``.
        """
        self._submit(context, '1.6', 'switchover_cluster',
                     cluster_id=cluster_id, pairs=pairs)

    def failover_cluster(self, context, cluster_id, pairs, region):
        """Promote a FAILING_OVER cluster's standby region ``region``."""
        self._submit(context, '1.6', 'failover_cluster',
                     cluster_id=cluster_id, pairs=pairs, region=region)

    def take_over_cluster(self, context, cluster_id, region):
        """Have the cell of ``context`` (that of ``region``, the cluster's
        standby region) take a cluster over from its mirror there."""
        self._submit(context, '1.8', 'take_over_cluster',
                     cluster_id=cluster_id, region=region)

    def rebuild_lost_members(self, context, cluster_id, placements,
                             lost_ids, region):
        """Remove a cluster's members ``lost_ids`` (lost in a failover)
        and build the new members in ``placements`` (in ``region``)."""
        self._submit(context, '1.9', 'rebuild_lost_members',
                     cluster_id=cluster_id, placements=placements,
                     lost_ids=lost_ids, region=region)

    def stop_datastore(self, context, instance_id):
        """Stop the STOPPING instance's Redis, saving its data (admin).
        """
        self._submit(context, '1.10', 'stop_datastore',
                     instance_id=instance_id)

    def rebuild_instance(self, context, instance_id, upgrade):
        """Rebuild the REBUILDING instance's server from the image of
        ``upgrade['placement']`` (the upgrade's job, its own version)."""
        self._submit(context, '1.10', 'rebuild_instance',
                     instance_id=instance_id, upgrade=upgrade)

    def migrate_instance(self, context, instance_id, host=None):
        """Move the MIGRATING instance's server to compute host
        ``host`` (None: one Nova picks), in its region (admin)."""
        self._submit(context, '1.10', 'migrate_instance',
                     instance_id=instance_id, host=host)
