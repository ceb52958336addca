"""Server side of the taskmanager RPC API (see rpcapi.py for versions).

Each cast is turned into a job on the cell's jobboard (``flows.engine``)
and answered at once; any taskmanager of the cell, this one included,
claims the job and runs its flow (``conductor.py``). The per-instance lock
is the task state (a conditional UPDATE) plus the build lease.
"""

import contextlib
import functools
import threading

import oslo_messaging as messaging
from oslo_log import log as logging

from trove_mr.cluster import strategy as cluster_strategy
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import exceptions
from trove_mr.common import notifications
from trove_mr.common import states
from trove_mr.conductor import rpcapi as conductor_rpcapi
from trove_mr.db.main import api as db_api
from trove_mr.flows import backup as backup_flow
from trove_mr.flows import configuration as configuration_flow
from trove_mr.flows import create_instance as create_flow
from trove_mr.flows import delete_instance as delete_flow
from trove_mr.flows import engine as flow_engine
from trove_mr.flows import migrate as migrate_flow
from trove_mr.flows import network as network_flow
from trove_mr.flows import reboot as reboot_flow
from trove_mr.flows import replica_build
from trove_mr.flows import resize as resize_flow
from trove_mr.flows import root as root_flow
from trove_mr.flows import steps
from trove_mr.flows import stop_datastore as stop_flow
from trove_mr.flows import upgrade as upgrade_flow
from trove_mr.flows import volume_failover
from trove_mr.taskmanager import recovery

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def posts_a_job(method):
    """An operation the API waits for until its job is posted.

    Without a jobboard the operation runs in memory instead: in a thread
    of its own, so the API's call is answered at once all the same.
    """
    @functools.wraps(method)
    def operation(self, context, *args, **kwargs):
        if flow_engine.jobboard_enabled():
            return method(self, context, *args, **kwargs)
        threading.Thread(target=method, args=(self, context) + args,
                         kwargs=kwargs, daemon=True,
                         name=method.__name__).start()
        return None
    return operation


class TaskManager:
    """Endpoint of ``trove-mr-taskmanager``: runs provisioning work."""

    target = messaging.Target(version='1.10')

    def __init__(self, host=None, keeper=None):
        self.host = host or CONF.host
        self.conductor_api = conductor_rpcapi.ConductorAPI()
        self.admin_context = trove_context.get_admin_context(
            CONF.region_name)
        self.keeper = keeper or recovery.LeaseKeeper(
            self.admin_context, recovery.make_owner(self.host))

    def ping(self, context):
        """Answer a liveness check with this service's name and host."""
        return {'service': 'taskmanager', 'host': self.host}

    def ping_conductor(self, context):
        """Ping a conductor over RPC; return this and its answer.

        Proves the path api -> taskmanager -> conductor end to end.
        """
        return {'taskmanager': self.ping(context),
                'conductor': self.conductor_api.ping(context)}

    @posts_a_job
    def create_instance(self, context, instance_id, placement, password,
                        backup_info=None):
        """Build a BUILDING instance (cast, 1.1).

        :param placement: the API's placement decision
            (``regions.placement_payload``); checked again before building.
        :param password: the Redis password the API gave the user; it is
            handed to the guest (sealed in the job) and never stored.
        :param backup_info: what to restore, or None.
        """
        try:
            instance = db_api.instance_get(context, instance_id)
        except exceptions.InstanceNotFound:
            LOG.warning('Instance %s to build is gone', instance_id)
            return
        if instance.task_status != states.TASK_BUILDING:
            LOG.warning('Instance %s is not waiting for a build; skipped',
                        instance_id)
            return
        if flow_engine.jobboard_enabled():
            create_flow.submit(context, instance, placement, password,
                               backup_info)
            return
        with self.keeper.hold(context, instance_id) as taken:
            if not taken:
                LOG.warning('Instance %s is built by another taskmanager; '
                            'skipped', instance_id)
                return
            create_flow.run(context, instance, placement, password,
                            backup_info)

    def _has_job(self, resource_id, operation):
        return flow_engine.jobboard_enabled() and resource_id in \
            flow_engine.open_resource_ids(operation=operation)

    @posts_a_job
    def delete_instance(self, context, instance_id):
        """Delete an instance's guest, server, volume and record (cast).

        Asked again while its delete job is on the board, it joins it.
        """
        if self._has_job(instance_id, delete_flow.OPERATION):
            LOG.info('Instance %s already has a delete job', instance_id)
            return
        delete_flow.submit(context, instance_id)

    @posts_a_job
    def restart_instance(self, context, instance_id):
        """Restart the instance's datastore through its guest (cast)."""
        steps.submit(context, notifications.INSTANCE_RESTART, instance_id)

    def _cluster_strategy(self, context, cluster_id):
        cluster = db_api.cluster_get(context, cluster_id)
        manager = cluster.datastore_version.manager
        return cluster_strategy.taskmanager_strategy(manager, self.keeper)

    @posts_a_job
    def create_cluster(self, context, cluster_id, placements):
        """Build a cluster's members in parallel and form it (cast, 1.2).

        :param placements: ``{instance_id: placement dict}``.
        """
        self._cluster_strategy(context, cluster_id).create_cluster(
            context, cluster_id, placements)

    @posts_a_job
    def grow_cluster(self, context, cluster_id, placements, rebalance=False):
        """Build and join the new members in ``placements`` (cast, 1.2);
        then move slots onto them with ``rebalance`` (1.4)."""
        self._cluster_strategy(context, cluster_id).grow_cluster(
            context, cluster_id, placements, rebalance=rebalance)

    @posts_a_job
    def shrink_cluster(self, context, cluster_id, instance_ids, node_ids,
                       drain=False):
        """Remove members ``instance_ids`` of a cluster (cast, 1.2); with
        ``drain`` (1.4) their slots move away first."""
        self._cluster_strategy(context, cluster_id).shrink_cluster(
            context, cluster_id, instance_ids, node_ids, drain=drain)

    @posts_a_job
    def delete_cluster(self, context, cluster_id):
        """Delete a cluster and every member (cast, 1.2)."""
        self._cluster_strategy(context, cluster_id).delete_cluster(
            context, cluster_id)

    @posts_a_job
    def create_backup(self, context, backup_id, instance_id, backup_info):
        """Back an instance up to the tenant's Swift (cast, 1.3)."""
        backup_flow.submit_create(context, backup_id, instance_id,
                                  backup_info)

    @posts_a_job
    def delete_backup(self, context, backup_id):
        """Delete a backup's objects and record (cast, 1.3)."""
        backup_flow.submit_delete(context, backup_id)

    @posts_a_job
    def promote_to_replica_source(self, context, instance_id):
        """Swap a replica and its master (cast, 1.3)."""
        steps.submit(context, notifications.INSTANCE_PROMOTE, instance_id)

    @posts_a_job
    def eject_replica_source(self, context, instance_id):
        """Replace a dead master by its best replica (cast, 1.3)."""
        steps.submit(context, notifications.INSTANCE_EJECT, instance_id)

    @posts_a_job
    def detach_replica(self, context, instance_id):
        """Make a replica standalone, keeping its data (cast, 1.3)."""
        steps.submit(context, notifications.INSTANCE_DETACH, instance_id)

    @posts_a_job
    def switchover_cluster(self, context, cluster_id, pairs):
        """Swap a cluster's primary and standby regions (1.6)."""
        self._cluster_strategy(context, cluster_id).switchover_cluster(
            context, cluster_id, pairs)

    @posts_a_job
    def failover_cluster(self, context, cluster_id, pairs, region):
        """Promote a cluster's standby region ``region`` (1.6)."""
        self._cluster_strategy(context, cluster_id).failover_cluster(
            context, cluster_id, pairs, region)

    @posts_a_job
    def take_over_cluster(self, context, cluster_id, region):
        """Fail a cluster over to this cell's region ``region`` while its
        owning cell is down, from the cluster's mirror here (1.8)."""
        cluster_strategy.taskmanager_strategy(
            'redis', self.keeper).take_over_cluster(context, cluster_id,
                                                    region)

    @posts_a_job
    def rebuild_lost_members(self, context, cluster_id, placements,
                             lost_ids, region):
        """Remove the members a failover lost and build a replica of
        each master in ``region`` (1.9)."""
        self._cluster_strategy(context, cluster_id).rebuild_lost_members(
            context, cluster_id, placements, lost_ids, region)

    @posts_a_job
    def rebalance_cluster(self, context, cluster_id, weights=None):
        """Move hash slots so masters own shares by weight (cast, 1.4)."""
        self._cluster_strategy(context, cluster_id).rebalance_cluster(
            context, cluster_id, weights or {})

    def create_replicas(self, context, instance_ids, placement, password):
        """Build the BUILDING replicas of one request, all or nothing
        (cast, 1.4); see :mod:`trove_mr.flows.replica_build`."""
        if flow_engine.jobboard_enabled():
            replica_build.submit(context, instance_ids, placement, password)
            return
        with contextlib.ExitStack() as held:
            for instance_id in instance_ids:
                if not held.enter_context(
                        self.keeper.hold(context, instance_id)):
                    LOG.warning('Replica %s is built by another '
                                'taskmanager; skipped', instance_id)
                    return
            replica_build.submit(context, instance_ids, placement,
                                 password)

    def recover_builds(self):
        """Periodic: clean up builds (and cluster tasks) whose taskmanager
        died."""
        recovered = recovery.recover_abandoned_builds(self.admin_context,
                                                      self.keeper)
        recovery.recover_stuck_clusters(self.admin_context)
        recovery.recover_lost_operations(self.admin_context)
        return recovered

    def watch_standby_clusters(self):
        """Periodic: fail over the clusters whose failover policy is
        automatic and whose primary region went silent."""
        return cluster_strategy.taskmanager_strategy(
            'redis', self.keeper).watch_standby_clusters(self.admin_context)

    def reconcile_servers(self):
        """Periodic: fail instances whose Nova server vanished or failed."""
        return recovery.reconcile_with_nova(self.admin_context)

    def _in_task(self, context, instance_id, task_status, operation):
        """The instance, when it waits in ``task_status`` for a job of
        ``operation`` not posted yet; else None (logged)."""
        try:
            instance = db_api.instance_get(context, instance_id)
        except exceptions.InstanceNotFound:
            LOG.warning('Instance %s is gone; no %s', instance_id,
                        operation)
            return None
        if instance.task_status != task_status:
            LOG.warning('Instance %s is %s, not %s; no %s', instance_id,
                        instance.task_status, task_status, operation)
            return None
        if self._has_job(instance_id, operation):
            LOG.info('Instance %s already has a %s job', instance_id,
                     operation)
            return None
        return instance

    def _resizing(self, context, instance_id):
        """The RESIZING instance to resize, or None (logged) if it is not.
        """
        try:
            instance = db_api.instance_get(context, instance_id)
        except exceptions.InstanceNotFound:
            LOG.warning('Instance %s to resize is gone', instance_id)
            return None
        if instance.task_status != states.TASK_RESIZING:
            LOG.warning('Instance %s is not waiting for a resize; skipped',
                        instance_id)
            return None
        if self._has_job(instance_id, resize_flow.FLAVOR_OPERATION) or \
                self._has_job(instance_id, resize_flow.VOLUME_OPERATION):
            LOG.info('Instance %s already has a resize job', instance_id)
            return None
        return instance

    @posts_a_job
    def resize_flavor(self, context, instance_id, new_flavor):
        """Resize a RESIZING instance to ``new_flavor`` (cast, 1.4)."""
        instance = self._resizing(context, instance_id)
        if instance is not None:
            resize_flow.submit_flavor(context, instance, new_flavor)

    @posts_a_job
    def resize_volume(self, context, instance_id, new_size):
        """Grow a RESIZING instance's volume to ``new_size`` GB (cast,
        1.4)."""
        instance = self._resizing(context, instance_id)
        if instance is not None:
            resize_flow.submit_volume(context, instance, new_size)

    @posts_a_job
    def reboot_instance(self, context, instance_id):
        """Reboot an instance's server and wait for its guest (cast, 1.4).
        """
        reboot_flow.submit(context, instance_id)

    @posts_a_job
    def stop_datastore(self, context, instance_id):
        """Stop an instance's Redis, saving its data (call, 1.10)."""
        if self._in_task(context, instance_id, states.TASK_STOPPING,
                         stop_flow.OPERATION) is not None:
            stop_flow.submit(context, instance_id)

    @posts_a_job
    def migrate_instance(self, context, instance_id, host=None):
        """Move an instance's server to another compute host (call,
        1.10)."""
        instance = self._in_task(context, instance_id,
                                 states.TASK_MIGRATING, migrate_flow.OPERATION)
        if instance is None:
            return
        flavor = {'id': str(instance.flavor_id),
                  'name': str(instance.flavor_id)}
        migrate_flow.submit(context, instance, flavor, host,
                            migrate_flow.server_host(context, instance))

    @posts_a_job
    def change_root_password(self, context, resource_type, resource_id,
                             password, enable=True, change_id=None):
        """Set a new Redis password on an instance (and its replicas'
        masterauth) or on every member of a cluster (call, 1.4).

        :param password: travels sealed in the job; kept encrypted once
            set.
        :param change_id: the change the API recorded; superseded by a
            newer one, the job stops.
        """
        root_flow.submit(context, resource_type, resource_id, password,
                         enable=enable, change_id=change_id)

    @posts_a_job
    def apply_configuration(self, context, instance_id):
        """Apply an instance's configuration group to Redis (cast, 1.4)."""
        configuration_flow.submit_instance(context, instance_id)

    @posts_a_job
    def apply_cluster_configuration(self, context, cluster_id):
        """Apply a cluster's configuration group on every member (cast,
        1.4)."""
        configuration_flow.submit_cluster(context, cluster_id)

    @posts_a_job
    def upgrade_instance(self, context, instance_id, upgrade):
        """Rebuild an instance on another datastore version (cast, 1.4).

        Asked again while its upgrade job is on the board, it joins it.
        """
        self._submit_upgrade(context, instance_id, upgrade)

    def _submit_upgrade(self, context, instance_id, upgrade):
        upgrade_flow.check_upgrade_payload(upgrade)
        if self._has_job(instance_id, upgrade_flow.OPERATION):
            LOG.info('Instance %s already has an upgrade job', instance_id)
            return
        upgrade_flow.submit(context, instance_id, upgrade)

    @posts_a_job
    def rebuild_instance(self, context, instance_id, upgrade):
        """Rebuild an instance's server from an image, its data kept
        (call, 1.10): the upgrade's job on the instance's own version.
        """
        self._submit_upgrade(context, instance_id, upgrade)

    @posts_a_job
    def upgrade_cluster(self, context, cluster_id, upgrades):
        """Upgrade a cluster's members one by one (cast, 1.4)."""
        self._cluster_strategy(context, cluster_id).upgrade_cluster(
            context, cluster_id, upgrades)

    @posts_a_job
    def update_access(self, context, instance_id, access):
        """Apply a changed ``access`` to the instance's networking (1.4).
        """
        network_flow.submit_access(context, instance_id, access)

    @posts_a_job
    def failover_volume(self, context, instance_id, failover):
        """Fail an instance's volume over to its replica (cast, 1.5).

        Asked again while its failover job is on the board, it joins it.
        """
        volume_failover.check_payload(failover)
        if self._has_job(instance_id, volume_failover.OPERATION):
            LOG.info('Instance %s already has a failover job', instance_id)
            return
        volume_failover.submit(context, instance_id, failover)

    @posts_a_job
    def failover_cluster_volumes(self, context, cluster_id, failovers):
        """Fail a cluster's member volumes over one at a time (cast,
        1.5)."""
        if self._has_job(cluster_id, volume_failover.OPERATION):
            LOG.info('Cluster %s already has a failover job', cluster_id)
            return
        volume_failover.submit_cluster(
            context, cluster_id, [tuple(pair) for pair in failovers])
