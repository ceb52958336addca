"""Resize flows: an instance to another flavor, its volume to a larger size.

Flavor (``trove.instance.modify_flavor``), as Nova resizes a server::

    RestoreOnRevert -> CheckDataFits -> StopDatastore -> ResizeServer
    -> wait VERIFY_RESIZE -> ConfirmResize -> wait ACTIVE -> RecordFlavor
    -> wait guest listening -> StartDatastore -> wait RUNNING
    -> FollowMasterAgain (replicas) -> MarkResized

The server reboots into the new flavor; the guest agent starts again,
sees the new RAM, and redis-server is started with ``maxmemory`` set from
it (``[redis] maxmemory_percent``). Redis is stopped first (saving its
data) so that the reboot loses nothing.

Volume (``trove.instance.modify_volume``)::

    RestoreOnRevert -> ExtendVolume -> wait extended -> RecordVolumeSize
    -> GrowFilesystem -> MarkResized

Cinder extends the attached volume online (microversion 3.42) and the
guest grows its filesystem. The growth was counted in the project's quota
by the API; it is given back if the volume was not extended.

Every task finds what an earlier run did (a server already resized or
confirmed, a volume already extended) and goes on, so a job resumed by
another taskmanager finishes the resize. Any failure reverts what can be
reverted (Nova's revertResize, Redis started again) and leaves the
instance ACTIVE (task NONE) when its guest runs again, else ERROR, with
the failure as fault.
"""

from cinderclient import exceptions as cinder_exc
from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import faults
from trove_mr.common import memory
from trove_mr.common import notifications
from trove_mr.common import states
from trove_mr.db.api import api as api_db
from trove_mr.db.api import quotas
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import database
from trove_mr.flows import engine
from trove_mr.flows import guest
from trove_mr.flows import replica

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

FLAVOR_OPERATION = notifications.INSTANCE_MODIFY_FLAVOR
VOLUME_OPERATION = notifications.INSTANCE_MODIFY_VOLUME
# Cinder extends an attached (in-use) volume from this microversion on.
ONLINE_EXTEND_VERSION = '3.42'
# Seconds a revert waits for Nova to revert a resize, or for the guest.
REVERT_TIMEOUT = 300


def _nova(context, region_name):
    return clients.create_nova_client(context, region_name)


def _flavor_id(server):
    return str((getattr(server, 'flavor', None) or {}).get('id'))


def _fault(server):
    return (getattr(server, 'fault', None) or {}).get('message',
                                                      'no fault given')


def _deadline(deadline_at, timeout):
    return common.Deadline.until(deadline_at, timeout)


def guest_running(context, instance_id):
    """Whether the instance's guest answers that Redis runs."""
    return guest.status_now(context, instance_id).get('status') == \
        'running'


def finish(context, instance_id, event, fault=None, details=None,
           task_status=states.TASK_RESIZING):
    """End the RESIZING task (or ``task_status``: a migration's) with
    ``event`` ('done' or 'fail').

    ``fault``: what the tenant reads (a ``faults.TenantMessage``);
    ``details``: the full reason, for admins.
    """
    values = {'task_status': states.next_task(task_status, event),
              'task_owner': None}
    if event == 'done':
        values['fault_message'] = None
    if fault is not None:
        values['fault_message'] = fault
        values['fault_details'] = details
    try:
        db_api.instance_update(context, instance_id, values,
                               expected_task_status=task_status)
    except (exceptions.UnexpectedTaskState,
            exceptions.InstanceNotFound) as exc:
        LOG.info('Instance %s not taken out of %s: %s', instance_id,
                 task_status, exc)
        return False
    return True


class RestoreOnRevert(task.Task):
    """First task: a failed resize (or migration) leaves the instance
    ACTIVE if its guest runs again, else ERROR; the fault says why. A
    failed volume resize gives back the quota it counted unless the
    volume did grow."""

    def __init__(self, task_status=states.TASK_RESIZING,
                 failed='Resize failed', **kwargs):
        super().__init__(**kwargs)
        self.task_status = task_status
        self.failed = failed

    def execute(self, context, instance_id):
        pass

    def revert(self, context, instance_id, flow_failures=None,
               volume_growth=None, **kwargs):
        cause = database.fault_of(flow_failures)
        fault = faults.TenantMessage(
            '%s: %s' % (self.failed, cause[0].lower() + cause[1:]))
        details = database.fault_details_of(flow_failures)
        if volume_growth:
            _release_unused_growth(context, instance_id, volume_growth)
        if guest_running(context, instance_id):
            LOG.warning('%s for instance %s; it is ACTIVE as before: %s',
                        self.failed, instance_id, fault)
            finish(context, instance_id, 'done', fault=fault,
                   details=details, task_status=self.task_status)
        else:
            database.mark_error(context, instance_id, fault,
                                self.task_status, details=details)


def _release_unused_growth(context, instance_id, growth):
    """Give the quota of a volume growth back unless the volume grew."""
    try:
        row = db_api.instance_get(context, instance_id)
    except exceptions.InstanceNotFound:
        return
    if row.volume_size != growth['old_size']:
        LOG.info('Volume of instance %s grew to %s GB; its quota stays '
                 'counted.', instance_id, row.volume_size)
        return
    api_db.quota_release(context, row.tenant_id, quotas.VOLUMES,
                         growth['new_size'] - growth['old_size'])


# -- flavor ----------------------------------------------------------------

class CheckDataFits(task.Task):
    """Check again, on the live Redis, that the data fits the new flavor.

    The API checked the size the guest last reported; the data may have
    grown since. Nothing has changed yet if this refuses.
    """

    def execute(self, context, instance_id, new_flavor):
        answer = guest.guest_client(context, instance_id).get_status()
        used = (answer or {}).get('memory_used')
        limit = memory.maxmemory_bytes(new_flavor['ram'],
                                       CONF.redis.maxmemory_percent)
        if used is not None and limit is not None and used > limit:
            raise common.StepFailed(
                "Flavor '%s' leaves Redis %s, less than the %s instance %s "
                "uses now." % (new_flavor['name'], memory.human(limit),
                               memory.human(used), instance_id))

    def revert(self, *args, **kwargs):
        """Nothing to undo: checking changed nothing."""


class StopDatastore(task.Task):
    """Stop Redis, saving its data; it stays stopped across the reboot."""

    def execute(self, context, instance_id):
        guest.guest_client(context, instance_id).stop()

    def revert(self, context, instance_id, **kwargs):
        # The server may be rebooting (a reverted resize): wait for its
        # agent, then start Redis again.
        deadline = common.Deadline(REVERT_TIMEOUT)
        client = guest.guest_client(context, instance_id)

        def listening():
            try:
                return client.ping(timeout=guest.PING_TIMEOUT)
            except Exception:  # noqa: BLE001 - not yet
                return False
        try:
            common.poll(listening, deadline, 'the guest agent to listen')
            client.restart()
        except Exception as exc:  # noqa: BLE001 - the first task decides
            LOG.error('Could not start Redis of instance %s again after a '
                      'failed resize: %s', instance_id, exc)


class ResizeServer(task.Task):
    """Ask Nova to resize the server to the new flavor (once)."""

    def execute(self, context, region_name, server_id, new_flavor):
        nova = _nova(context, region_name)
        server = nova.servers.get(server_id)
        if server.status in ('RESIZE', 'VERIFY_RESIZE') or \
                _flavor_id(server) == new_flavor['id']:
            LOG.info('Server %s is already resizing or resized to flavor '
                     '%s', server_id, new_flavor['id'])
            return
        nova.servers.resize(server_id, new_flavor['id'])
        LOG.info('Resizing server %s to flavor %s in %s', server_id,
                 new_flavor['id'], region_name)

    def revert(self, context, region_name, server_id, old_flavor_id,
               **kwargs):
        """Revert an unconfirmed resize: back to the old flavor."""
        nova = _nova(context, region_name)
        deadline = common.Deadline(REVERT_TIMEOUT)

        def settled():
            server = nova.servers.get(server_id)
            return server if server.status not in (
                'RESIZE', 'REVERT_RESIZE') else None
        try:
            server = common.poll(settled, deadline,
                                 'server %s to settle' % server_id)
            if server.status == 'VERIFY_RESIZE':
                nova.servers.revert_resize(server_id)
                common.poll(
                    lambda: nova.servers.get(server_id).status == 'ACTIVE',
                    deadline, 'server %s to revert its resize' % server_id)
                LOG.info('Server %s reverted to flavor %s', server_id,
                         old_flavor_id)
        except Exception as exc:  # noqa: BLE001 - the first task decides
            LOG.error('Could not revert the resize of server %s: %s',
                      server_id, exc)


class WaitServerResized(task.Task):
    """Check once that Nova finished the resize (VERIFY_RESIZE)."""

    def execute(self, context, region_name, server_id, old_flavor_id,
                new_flavor, deadline_at, timeout):
        server = _nova(context, region_name).servers.get(server_id)
        if server.status == 'VERIFY_RESIZE' or (
                server.status == 'ACTIVE' and
                _flavor_id(server) == new_flavor['id']):
            return
        if server.status == 'ERROR':
            raise common.StepFailed(
                'Server %s failed its resize in region %s: %s'
                % (server_id, region_name, _fault(server)))
        if server.status == 'ACTIVE' and \
                _flavor_id(server) == str(old_flavor_id):
            raise common.StepFailed(
                'Nova did not resize server %s to flavor %s in region %s: '
                '%s' % (server_id, new_flavor['name'], region_name,
                        _fault(server)))
        common.not_ready(_deadline(deadline_at, timeout),
                         'server %s to be resized' % server_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: ResizeServer's revert reverts the resize."""


class ConfirmResize(task.Task):
    """Confirm the resize: the server keeps the new flavor."""

    def execute(self, context, region_name, server_id):
        nova = _nova(context, region_name)
        if nova.servers.get(server_id).status == 'VERIFY_RESIZE':
            nova.servers.confirm_resize(server_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: a confirmed resize stays."""


class WaitServerActive(task.Task):
    """Check once that the server is ACTIVE on the new flavor."""

    def execute(self, context, region_name, server_id, new_flavor,
                deadline_at, timeout):
        server = _nova(context, region_name).servers.get(server_id)
        if server.status == 'ERROR':
            raise common.StepFailed(
                'Server %s failed after its resize in region %s: %s'
                % (server_id, region_name, _fault(server)))
        if server.status != 'ACTIVE' or \
                _flavor_id(server) != new_flavor['id']:
            common.not_ready(_deadline(deadline_at, timeout),
                             'server %s to be ACTIVE on flavor %s'
                             % (server_id, new_flavor['name']))

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting changed nothing."""


class RecordFlavor(task.Task):
    """The server runs the new flavor: record it on the instance."""

    def execute(self, context, instance_id, new_flavor):
        db_api.instance_update(context, instance_id,
                               {'flavor_id': new_flavor['id']},
                               expected_task_status=states.TASK_RESIZING)

    def revert(self, *args, **kwargs):
        """Nothing to undo: the server keeps the flavor recorded."""


class StartDatastore(task.Task):
    """Start Redis again; it writes maxmemory from the new RAM first."""

    def execute(self, context, instance_id):
        answer = guest.guest_client(context, instance_id).restart()
        if (answer or {}).get('status') != 'running':
            raise common.StepFailed(
                'Redis of instance %s did not start after the resize: %s'
                % (instance_id, (answer or {}).get('status')))

    def revert(self, *args, **kwargs):
        """Nothing to undo: a running Redis is what a revert wants."""


class FollowMasterAgain(task.Task):
    """A replica's Redis started afresh: make it follow its master again
    (nothing to do for an instance that is no replica)."""

    def execute(self, context, instance_id):
        row = db_api.instance_get(context, instance_id)
        if not row.replica_of_id:
            return
        try:
            replica.follow(context, instance_id, row.replica_of_id)
        except Exception as exc:
            raise common.StepFailed(
                'Instance %s was resized but could not replicate from its '
                'master %s again: %s' % (instance_id, row.replica_of_id,
                                         exc)) from exc

    def revert(self, *args, **kwargs):
        """Nothing to undo: following a master changed no record."""


class MarkResized(task.Task):
    """Last task: the resize is over (task NONE)."""

    def execute(self, context, instance_id):
        finish(context, instance_id, 'done')

    def revert(self, *args, **kwargs):
        """Nothing to undo: RestoreOnRevert sets the final state."""


def flavor_flow():
    """The flow of a flavor resize."""
    flow = linear_flow.Flow('resize-flavor')
    flow.add(RestoreOnRevert(), CheckDataFits(), StopDatastore(),
             ResizeServer(), common.wait(WaitServerResized()),
             ConfirmResize(), common.wait(WaitServerActive()),
             RecordFlavor(),
             common.wait(guest.WaitGuestListening(),
                         guest.STATUS_POLL_INTERVAL),
             StartDatastore(),
             common.wait(guest.WaitGuestRunning(),
                         guest.STATUS_POLL_INTERVAL),
             FollowMasterAgain(), MarkResized())
    return flow


def _base_store(instance):
    return {'instance_id': instance.id,
            'region_name': instance.region_name or CONF.region_name,
            'timeout': CONF.resize_time_out,
            'deadline_at': common.deadline_at(CONF.resize_time_out)}


def flavor_store(instance, new_flavor):
    """The plain store of a flavor resize of ``instance`` (a row)."""
    store = _base_store(instance)
    store.update(server_id=instance.server_id,
                 old_flavor_id=str(instance.flavor_id),
                 new_flavor=dict(new_flavor))
    return store


def submit_flavor(context, instance, new_flavor):
    """Post the flavor resize of a RESIZING instance as a job."""
    return engine.submit(context, FLAVOR_OPERATION, flavor_flow,
                         flavor_store(instance, new_flavor),
                         resource_type='instance', resource_id=instance.id)


# -- volume ----------------------------------------------------------------

def _cinder(context, region_name):
    return clients.create_cinder_client_at(context, region_name,
                                           ONLINE_EXTEND_VERSION)


class ExtendVolume(task.Task):
    """Ask Cinder to extend the attached volume (once)."""

    def execute(self, context, region_name, volume_id, volume_growth):
        cinder = _cinder(context, region_name)
        volume = cinder.volumes.get(volume_id)
        if volume.size >= volume_growth['new_size'] or \
                volume.status == 'extending':
            return
        cinder.volumes.extend(volume_id, volume_growth['new_size'])
        LOG.info('Extending volume %s to %s GB in %s', volume_id,
                 volume_growth['new_size'], region_name)

    def revert(self, *args, **kwargs):
        """Nothing to undo: volumes do not shrink."""


class WaitVolumeExtended(task.Task):
    """Check once that Cinder extended the volume."""

    def execute(self, context, region_name, volume_id, volume_growth,
                deadline_at, timeout):
        try:
            volume = _cinder(context, region_name).volumes.get(volume_id)
        except cinder_exc.NotFound:
            raise common.StepFailed('Volume %s is gone from region %s.'
                                    % (volume_id, region_name)) from None
        if volume.status.startswith('error'):
            raise common.StepFailed(
                'Volume %s could not be extended in region %s (%s).'
                % (volume_id, region_name, volume.status))
        if volume.size < volume_growth['new_size'] or \
                volume.status == 'extending':
            common.not_ready(_deadline(deadline_at, timeout),
                             'volume %s to reach %s GB' % (
                                 volume_id, volume_growth['new_size']))

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting changed nothing."""


class RecordVolumeSize(task.Task):
    """The volume grew: record its size (the quota now counts it)."""

    def execute(self, context, instance_id, volume_growth):
        db_api.instance_update(context, instance_id,
                               {'volume_size': volume_growth['new_size']},
                               expected_task_status=states.TASK_RESIZING)

    def revert(self, *args, **kwargs):
        """Nothing to undo: the volume keeps the size recorded."""


class GrowFilesystem(task.Task):
    """Ask the guest to grow its filesystem over the larger volume."""

    def execute(self, context, instance_id, volume_growth):
        answer = guest.guest_client(context, instance_id).resize_fs(
            volume_growth['new_size'])
        LOG.info('Guest of instance %s after the volume resize: %s',
                 instance_id, answer)

    def revert(self, *args, **kwargs):
        """Nothing to undo: a grown filesystem fits the volume."""


def volume_flow():
    """The flow of a volume resize."""
    flow = linear_flow.Flow('resize-volume')
    flow.add(RestoreOnRevert(), ExtendVolume(),
             common.wait(WaitVolumeExtended()), RecordVolumeSize(),
             GrowFilesystem(), MarkResized())
    return flow


def volume_store(instance, new_size):
    """The plain store of a volume resize of ``instance`` to ``new_size``
    GB."""
    store = _base_store(instance)
    store.update(volume_id=instance.volume_id,
                 volume_growth={'old_size': instance.volume_size,
                                'new_size': int(new_size)})
    return store


def submit_volume(context, instance, new_size):
    """Post the volume resize of a RESIZING instance as a job."""
    return engine.submit(context, VOLUME_OPERATION, volume_flow,
                         volume_store(instance, new_size),
                         resource_type='instance', resource_id=instance.id)
