"""Upgrade an instance to another version of its datastore.

As upstream Trove does for guests on images: the server is rebuilt from
the new version's image (same server, address and attached volume), with
the guest's configuration passed again as user data, since a rebuild
keeps user data only if given again. Redis keeps everything on the
volume (data, redis.conf, the prepare marker), so the data survives:

#. the guest stops Redis, saving its data (``pre_upgrade``);
#. Nova rebuilds the server from the target image, user data naming the
   target version;
#. the server is ACTIVE on that image and the new guest listens;
#. the guest starts Redis again (``post_upgrade``) and must report the
   target version; then its RUNNING heartbeat;
#. the row takes the new datastore version and the task ends (NONE).

The instance shows UPGRADE meanwhile (task UPGRADING; REBUILD, task
REBUILDING, for an admin's rebuild); any failure puts it in ERROR with
the fault. Every task can run again after a taskmanager
died: a server already on the target image is not stopped nor rebuilt
twice. :func:`member_subflow` is the same work for one cluster member,
its atoms named with a prefix (``trove_mr.cluster.redis.flows.upgrade``
chains them).
"""

import types

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import notifications
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import broker
from trove_mr.flows import common
from trove_mr.flows import database
from trove_mr.flows import engine
from trove_mr.flows import guest
from trove_mr.flows import guest_config

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

OPERATION = notifications.INSTANCE_UPGRADE
# Nova takes user data in a rebuild since this microversion.
REBUILD_USER_DATA_VERSION = '2.57'
# Store values of one instance's upgrade, read under ``<prefix><name>``.
PER_INSTANCE = ('instance_id', 'upgrade')


def _bound(task_class, prefix, **kwargs):
    return common.bound(task_class, prefix, PER_INSTANCE, **kwargs)


def _server_image(server):
    image = getattr(server, 'image', None)
    return image.get('id') if isinstance(image, dict) else None


def _server(context, instance_id, upgrade):
    instance = db_api.instance_get(context, instance_id)
    region = upgrade['placement']['region_name']
    if not instance.server_id:
        raise common.StepFailed('Instance %s has no server to rebuild.'
                                % instance_id)
    nova = clients.create_nova_client(context, region)
    return instance, nova.servers.get(instance.server_id)


# The tasks an instance holds while this job runs: an upgrade's, or an
# admin's rebuild (a job of either kind accepts both, so that one posted
# by a release before the other task existed still ends it).
TASKS = [states.TASK_UPGRADING, states.TASK_REBUILDING]


def rebuilt(server, upgrade):
    """Whether the server was already rebuilt from the target image.

    Never, for an admin ``rebuild`` (``placement['rebuild']``): its image
    may be the one the server runs. Its stop and rebuild then run once
    as the job's saved progress says (a taskmanager dying inside one of
    them may run that one again: a second rebuild of the same image).
    """
    if upgrade['placement'].get('rebuild'):
        return False
    return _server_image(server) == upgrade['placement']['image_id']


class BeginUpgrade(task.Task):
    """The instance's task is UPGRADING, or REBUILDING (the API moved a
    standalone instance there already; a cluster member is moved here).
    """

    def execute(self, context, instance_id):
        instance = db_api.instance_get(context, instance_id)
        if instance.task_status in TASKS:
            return
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.next_task(instance.task_status,
                                             'upgrade')},
            expected_task_status=instance.task_status)

    def revert(self, *args, **kwargs):
        """Nothing to undo: MarkErrorOnRevert sets the final state."""


class CheckUpgradeImage(task.Task):
    """Check the API's decision again: the target image still exists in
    the instance's region with the checksum it has at home, and its id
    is the one decided."""

    def execute(self, context, upgrade):
        placement = upgrade['placement']
        if not placement.get('rebuild'):
            regions.recheck_placement(context, placement)
            return
        # An admin rebuild names its image: it must still be there.
        image = regions.image_in_region(context, placement['region_name'],
                                        placement['image_id'])
        if image is None or image.get('status', 'active') != 'active':
            raise common.StepFailed(
                'Image %s is no longer active in region %s.'
                % (placement['image_id'], placement['region_name']))

    def revert(self, *args, **kwargs):
        """Nothing to undo: checking changed nothing."""


class StopForUpgrade(task.Task):
    """The guest stops Redis, saving its data (not again once rebuilt)."""

    def execute(self, context, instance_id, upgrade):
        _instance, server = _server(context, instance_id, upgrade)
        if rebuilt(server, upgrade):
            LOG.info('Server of %s already runs the target image',
                     instance_id)
            return
        guest.guest_client(context, instance_id).pre_upgrade()

    def revert(self, *args, **kwargs):
        """Left stopped: the instance goes to ERROR; a restart brings
        Redis back on the image it has."""


def target_user_data(context, instance, upgrade):
    """The guest's cloud-config naming the target datastore version."""
    version = db_api.datastore_version_get(context, upgrade['version_id'])
    target = types.SimpleNamespace(id=instance.id,
                                   tenant_id=instance.tenant_id,
                                   datastore_version=version)
    rpc_key = db_api.instance_rpc_key_get(context, instance.id)
    # The guest's own broker user, as at create (the same password: it is
    # derived from the instance's key).
    return guest_config.user_data(
        target, rpc_key, upgrade['placement']['region_name'],
        broker.grant_guest_access(instance.id, rpc_key))


class RebuildServer(task.Task):
    """Rebuild the server from the target image, user data given again.
    """

    def execute(self, context, instance_id, upgrade):
        instance, server = _server(context, instance_id, upgrade)
        if rebuilt(server, upgrade):
            return
        nova = clients.create_nova_client_at(
            context, upgrade['placement']['region_name'],
            REBUILD_USER_DATA_VERSION)
        nova.servers.rebuild(
            server.id, upgrade['placement']['image_id'],
            userdata=target_user_data(context, instance, upgrade))
        LOG.info('Rebuilding server %s of instance %s from image %s',
                 server.id, instance_id, upgrade['placement']['image_id'])

    def revert(self, *args, **kwargs):
        """Nothing to undo here: the instance goes to ERROR."""


class WaitRebuilt(task.Task):
    """Check once that the server is ACTIVE on the target image."""

    def execute(self, context, instance_id, upgrade, deadline_at, timeout):
        _instance, server = _server(context, instance_id, upgrade)
        if server.status == 'ERROR':
            fault = (getattr(server, 'fault', None) or {}).get(
                'message', 'no fault given')
            raise common.StepFailed(
                'Rebuild of server %s failed in region %s: %s'
                % (server.id, upgrade['placement']['region_name'], fault))
        if server.status != 'ACTIVE' or \
                _server_image(server) != upgrade['placement']['image_id']:
            common.not_ready(common.Deadline.until(deadline_at, timeout),
                             'server %s to be rebuilt' % server.id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting changed nothing."""


class StartAfterUpgrade(task.Task):
    """The new guest starts Redis and must run the target version."""

    def execute(self, context, instance_id, upgrade):
        info = guest.guest_client(context, instance_id).post_upgrade()
        running = (info or {}).get('datastore_version')
        if running != upgrade['version_name']:
            raise common.StepFailed(
                'The guest of instance %s runs datastore version %s after '
                'the rebuild, not %s.' % (instance_id, running,
                                          upgrade['version_name']))
        LOG.info('Guest of %s runs %s (image %s, redis %s)', instance_id,
                 running, info.get('image_version'),
                 info.get('redis_version'))

    def revert(self, *args, **kwargs):
        """Nothing to undo: the instance goes to ERROR."""


class RecordVersion(task.Task):
    """Last task: the row takes the new version; the task ends (NONE)."""

    def execute(self, context, instance_id, upgrade):
        instance = db_api.instance_get(context, instance_id)
        if instance.task_status == states.TASK_NONE and \
                instance.datastore_version_id == upgrade['version_id']:
            return
        db_api.instance_update(
            context, instance_id,
            {'datastore_version_id': upgrade['version_id'],
             'task_status': states.TASK_NONE,
             'fault_message': None},
            expected_task_status=TASKS)

    def revert(self, *args, **kwargs):
        """Nothing to undo: MarkErrorOnRevert sets the final state."""


def member_subflow(prefix=''):
    """The linear flow of one instance's upgrade (or an admin's rebuild),
    atoms named ``prefix*``; reads ``<prefix>instance_id`` and
    ``<prefix>upgrade``, and the shared ``deadline_at`` and
    ``timeout``."""
    def wait(task_class, interval=None):
        return common.wait(_bound(task_class, prefix), interval=interval)

    flow = linear_flow.Flow(prefix + 'upgrade-instance')
    flow.add(_bound(database.MarkErrorOnRevert, prefix,
                    expected=TASKS),
             _bound(BeginUpgrade, prefix),
             _bound(CheckUpgradeImage, prefix),
             _bound(StopForUpgrade, prefix),
             _bound(RebuildServer, prefix),
             wait(WaitRebuilt),
             wait(guest.WaitGuestListening, guest.STATUS_POLL_INTERVAL),
             _bound(StartAfterUpgrade, prefix),
             wait(guest.WaitGuestRunning, guest.STATUS_POLL_INTERVAL),
             _bound(RecordVersion, prefix))
    return flow


def get_flow():
    """A standalone instance's upgrade, or an admin's rebuild."""
    return member_subflow()


def upgrade_timeout(members=1):
    """Seconds an upgrade of ``members`` instances may take in all."""
    return CONF.usage_timeout * max(1, members)


def instance_store(instance_id, upgrade):
    """The plain store of one instance's upgrade.

    :param upgrade: ``{'version_id', 'version_name', 'placement'}``: the
        target version in the owning cell and the API's decision for the
        instance's region (``regions.placement_payload``).
    """
    timeout = upgrade_timeout()
    return {'instance_id': instance_id, 'upgrade': dict(upgrade),
            'deadline_at': common.deadline_at(timeout), 'timeout': timeout}


def submit(context, instance_id, upgrade):
    """Post the upgrade of ``instance_id`` (task UPGRADING, or
    REBUILDING) as a job."""
    return engine.submit(context, OPERATION, get_flow,
                         instance_store(instance_id, upgrade),
                         resource_type='instance', resource_id=instance_id)


def check_upgrade_payload(upgrade):
    """Refuse a payload without what the flow reads (a bad RPC)."""
    missing = [key for key in ('version_id', 'version_name', 'placement')
               if not (upgrade or {}).get(key)]
    if missing:
        raise exceptions.BadRequest('An upgrade needs %s.'
                                    % ', '.join(missing))
