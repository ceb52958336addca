"""Crash safety of builds, and the periodic comparison with Nova.

A taskmanager holds a lease on every instance it builds (``task_owner``
= ``<host>:<boot id>``, ``task_updated`` renewed by one thread for all its
builds); a build resumed from the jobboard is adopted by the taskmanager
that resumes it, and a build with a job on the board is never taken for
abandoned. A build is *abandoned* when

* its lease was not renewed for ``build_lease_expiry`` seconds, or
* it is older than ``usage_timeout`` plus the lease expiry (whatever
  holds it should have given up).

Recovery takes the lease over with a compare-and-swap (one taskmanager
wins), deletes the server and the volume in the instance's region, by
recorded id and by name so that resources whose id was never recorded go
too, and puts the instance in ERROR with a fault saying the build was
interrupted.
"""

import collections
import contextlib
import datetime
import threading
import uuid

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import faults
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db import rows
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import compute
from trove_mr.flows import database
from trove_mr.flows import engine as flow_engine
from trove_mr.flows import network
from trove_mr.flows import volume

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def make_owner(host=None):
    """A lease owner name unique to this process: ``<host>:<boot id>``."""
    return '%s:%s' % (host or CONF.host, uuid.uuid4().hex[:12])


class LeaseKeeper:
    """Renews this process's build leases, all in one UPDATE per period."""

    def __init__(self, context, owner=None):
        self.context = context
        self.owner = owner or make_owner()
        self._held = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        """Start the renewing thread (once)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._renew_loop, name='build-leases',
                    daemon=True)
                self._thread.start()

    def stop(self):
        self._stop.set()

    def _renew_loop(self):
        while not self._stop.wait(CONF.build_lease_interval):
            self.renew()

    def renew(self):
        """Renew every held lease now; returns how many were renewed."""
        with self._lock:
            held = list(self._held)
        if not held:
            return 0
        try:
            return db_api.instance_lease_renew(self.context, held, self.owner)
        except Exception:  # noqa: BLE001 - retried at the next period
            LOG.exception('Could not renew build leases')
            return 0

    def held(self):
        with self._lock:
            return set(self._held)

    def adopt(self, context, instance_id):
        """Hold the lease of a BUILDING instance whoever held it before.

        For a job this process claimed (a build resumed after its
        taskmanager died): the claim says nobody else runs it. Returns
        whether the instance is still BUILDING.
        """
        with self._lock:
            self._held.add(instance_id)
        taken = db_api.instance_lease_take(
            context, instance_id, self.owner, states.TASK_BUILDING,
            expected_owner=False)
        if taken:
            self.start()
        return taken

    def release(self, instance_id):
        """Stop renewing the lease of ``instance_id``."""
        with self._lock:
            self._held.discard(instance_id)

    @contextlib.contextmanager
    def hold(self, context, instance_id):
        """Take the lease on a BUILDING instance for the block's length.

        Yields whether it was taken: False when the instance is no longer
        BUILDING or another owner holds it.
        """
        # Held before taking: recovery in this process must never see
        # our own lease on a build it does not know we are running.
        with self._lock:
            self._held.add(instance_id)
        try:
            taken = db_api.instance_lease_take(
                context, instance_id, self.owner, states.TASK_BUILDING,
                expected_owner=None)
        except Exception:
            with self._lock:
                self._held.discard(instance_id)
            raise
        if taken:
            self.start()
        try:
            yield taken
        finally:
            with self._lock:
                self._held.discard(instance_id)


def is_abandoned(instance, owner, held=(), now=None):
    """Whether nobody is working on a BUILDING instance any more.

    ``owner`` is this process's lease name and ``held`` the builds it is
    running.
    """
    if instance.task_owner == owner:
        # Ours: running here (its flow is bounded and reverts itself),
        # or left behind by a flow of this process that died.
        return instance.id not in held
    now = now or rows.now()
    expiry = datetime.timedelta(seconds=CONF.build_lease_expiry)
    if instance.task_owner is None:
        # Not picked up yet: the request may still wait in the queue, but
        # a cast nobody took for usage_timeout is lost.
        return instance.created + datetime.timedelta(
            seconds=CONF.usage_timeout) + expiry < now
    # A lease renewed by a live taskmanager is never taken away: its flow
    # enforces its own deadline (usage or restore timeout) and reverts.
    updated = instance.task_updated or instance.created
    return updated + expiry < now


def clean_up_build(context, instance):
    """Remove the server, ports, security group, floating IP and volume
    of a failed build (by id and name)."""
    compute.remove_servers(context, instance.region_name, instance.id,
                           instance.server_id)
    network.remove_networking(context, instance.region_name, instance.id)
    volume.remove_volumes(context, instance.region_name, instance.id,
                          instance.volume_id)


def recover_abandoned_builds(context, keeper):
    """Clean up and fail every abandoned build; returns their ids.

    ``keeper`` is this process's LeaseKeeper.
    """
    owner = keeper.owner
    recovered = []
    builds = db_api.instance_builds_list(context)
    # A build with a job on the board is not abandoned: a taskmanager
    # runs it, or will resume it (its flow has its own deadline).
    with_jobs = flow_engine.open_resource_ids() if (
        builds and flow_engine.jobboard_enabled()) else set()
    for instance in builds:
        if instance.id in with_jobs or \
                not is_abandoned(instance, owner, keeper.held()):
            continue
        if not db_api.instance_lease_take(
                context, instance.id, owner, states.TASK_BUILDING,
                expected_owner=instance.task_owner):
            continue  # another taskmanager got there first
        LOG.warning('Build of instance %s (lease %s) was abandoned; '
                    'cleaning up', instance.id, instance.task_owner)
        try:
            clean_up_build(context, instance)
        except Exception:  # noqa: BLE001 - retried next period
            # The lease stays ours and unheld: the next run retries.
            LOG.exception('Clean-up of instance %s failed', instance.id)
            continue
        if database.mark_error(
                context, instance.id, faults.TenantMessage(
                    'The build was interrupted (its taskmanager stopped); '
                    'its server and volume were removed.'),
                states.TASK_BUILDING):
            recovered.append(instance.id)
    return recovered


# Cluster tasks a taskmanager runs to completion, unless it dies.
_CLUSTER_WORK = ('BUILDING_INITIAL', 'GROWING_CLUSTER', 'SHRINKING_CLUSTER',
                 'DELETING', 'UPDATING_CLUSTER')


def recover_stuck_clusters(context, now=None):
    """Mark FAILED the clusters whose task nobody finishes any more.

    A taskmanager that dies during a cluster task leaves the cluster busy;
    its building members are recovered to ERROR by the build leases, but
    the cluster itself would refuse every action (even delete) for ever.
    Past ``usage_timeout`` with no member lease renewed, the task is over:
    FAILED lets the tenant shrink or delete it.
    """
    now = now or rows.now()
    expiry = datetime.timedelta(seconds=CONF.build_lease_expiry)
    older_than = now - datetime.timedelta(seconds=CONF.usage_timeout) - \
        expiry
    task_id, description = states.CLUSTER_TASKS['FAILED']
    failed = []
    for cluster, newest_lease in db_api.clusters_busy_since(
            context, _CLUSTER_WORK, older_than):
        if newest_lease is not None and newest_lease + expiry >= now:
            continue  # a member is still being built by a live worker
        try:
            db_api.cluster_update(
                context, cluster.id,
                {'task_id': task_id, 'task_name': 'FAILED',
                 'task_description': description},
                expected_task_name=cluster.task_name)
        except (exceptions.UnexpectedTaskState,
                exceptions.ClusterNotFound):
            continue  # finished or moved meanwhile
        LOG.warning('Cluster %s was left in task %s by a taskmanager that '
                    'stopped; marked FAILED', cluster.id, cluster.task_name)
        failed.append(cluster.id)
    return failed


# Instance tasks a job runs to completion (it ends them itself), unless
# the job is lost: with a persistent jobboard, a job is lost when it is no
# longer on the board while its instance still shows the task.
_INSTANCE_WORK = (states.TASK_REBOOTING, states.TASK_RESIZING,
                  states.TASK_CONFIGURING, states.TASK_UPGRADING,
                  states.TASK_REBUILDING, states.TASK_STOPPING,
                  states.TASK_MIGRATING,
                  states.TASK_PROMOTING, states.TASK_EJECTING,
                  states.TASK_DETACHING, states.TASK_BACKING_UP)


def recover_lost_operations(context, now=None):
    """End the instance tasks whose job is gone from the board.

    A day-2 operation (restart, resize, configuration, upgrade, replica
    actions, backup) holds its instance in a task until its job ends it.
    If the job disappeared (the jobboard's data was lost, or a job was
    trashed), nothing ever would: past a grace of ``build_lease_expiry``
    plus ``taskmanager_submit_timeout`` since the row last changed, with
    no job on the board for the instance (nor for the cluster it belongs
    to, nor for its unfinished backups), a lost backup gives the instance
    back (its backups FAILED) and any other lost operation puts the
    instance in ERROR with a fault saying so, so that the tenant can
    restart or delete it. Without a persistent jobboard (``none``) jobs
    live in one process's memory and cannot be seen from another, so
    nothing is judged. Returns the ids acted on.
    """
    if not flow_engine.jobboard_enabled():
        return []
    now = now or rows.now()
    older_than = now - datetime.timedelta(
        seconds=CONF.build_lease_expiry + CONF.taskmanager_submit_timeout)
    busy = db_api.instances_busy_since(context, _INSTANCE_WORK, older_than)
    if not busy:
        return []
    with_jobs = flow_engine.open_resource_ids()
    acted = []
    for instance, backup_ids in busy:
        if instance.id in with_jobs or instance.cluster_id in with_jobs or \
                with_jobs.intersection(backup_ids):
            continue
        operation = states.display_status(instance.task_status, None)
        LOG.warning('Instance %s is in task %s with no job on the board; '
                    'its operation was lost', instance.id,
                    instance.task_status)
        if instance.task_status == states.TASK_BACKING_UP:
            try:
                db_api.instance_reset(context, instance.id)
            except exceptions.InstanceNotFound:
                continue
            acted.append(instance.id)
        elif database.mark_error(
                context, instance.id, faults.TenantMessage(
                    'The %s operation was interrupted and did not finish; '
                    'restart the instance, or ask an administrator.'
                    % operation.lower()), instance.task_status,
                details='No job for task %s on the jobboard since %s.'
                % (instance.task_status, older_than.isoformat())):
            acted.append(instance.id)
    return acted


def reconcile_with_nova(context):
    """Fail instances whose server vanished or is in ERROR.

    One server list per region (the service project's servers of
    instances, by name prefix), never a call per instance. Only
    instances without a task in progress are judged: builds, restarts and
    deletes watch their own server. Returns the ids marked ERROR.
    """
    by_region = collections.defaultdict(list)
    for instance in db_api.instance_list_all(context):
        if instance.task_status == states.TASK_NONE and instance.server_id:
            by_region[instance.region_name or CONF.region_name].append(
                instance)
    failed = []
    for region_name, instances in sorted(by_region.items()):
        try:
            nova = clients.create_nova_client(context, region_name)
            # limit=-1: every page, or instances past Nova's page size
            # would look vanished.
            servers = {s.id: s for s in nova.servers.list(
                detailed=True, limit=-1,
                search_opts={'name': '^%s' % common.RESOURCE_PREFIX})}
        except Exception as exc:  # noqa: BLE001 - one region down only
            level = LOG.warning if regions.is_unreachable(exc) \
                else LOG.exception
            level('Cannot list servers of region %s: %s', region_name, exc)
            continue
        for instance in instances:
            problem = _server_problem(servers.get(instance.server_id),
                                      instance, region_name)
            if problem and database.mark_error(
                    context, instance.id, problem[0], states.TASK_NONE,
                    details=problem[1]):
                failed.append(instance.id)
    return failed


def _server_problem(server, instance, region_name):
    """(what the tenant reads, what admins read), or None.

    The server's id and Nova's fault text stay in the admins' part.
    """
    if server is None:
        return (faults.TenantMessage(
                    'The compute server of the instance vanished from '
                    'region %s.' % region_name),
                'The server %s of the instance vanished from region %s.'
                % (instance.server_id, region_name))
    if server.status == 'ERROR':
        fault = (getattr(server, 'fault', None) or {}).get('message', '')
        return (faults.TenantMessage(
                    'The compute server of the instance is in ERROR in '
                    'region %s.' % region_name),
                ('The server %s of the instance is in ERROR in region %s: '
                 '%s' % (instance.server_id, region_name,
                         fault)).rstrip(': '))
    return None


def guarded(name, function):
    """A periodic job that logs instead of raising."""
    def run():
        try:
            return function()
        except exceptions.TroveMRError as exc:
            LOG.warning('%s failed: %s', name, exc)
        except Exception:  # noqa: BLE001 - runs again next period
            LOG.exception('%s failed', name)
        return None
    return run
