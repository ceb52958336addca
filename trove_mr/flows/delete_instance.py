"""The delete-instance flow: guest, server, volume, record, mapping.

Idempotent: each step finds what is left (by recorded id and by name) and
removes it, so running it again on a half-deleted instance finishes the
job. A failure leaves the instance in ERROR with the reason; deleting it
again retries.
"""

from novaclient import exceptions as nova_exc
from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db.api import quotas
from trove_mr.db.main import api as db_api
from trove_mr.flows import broker
from trove_mr.flows import common
from trove_mr.flows import compute
from trove_mr.flows import database
from trove_mr.flows import engine
from trove_mr.flows import guest
from trove_mr.flows import network
from trove_mr.flows import volume

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

class StopGuest(task.Task):
    """Ask the guest to stop Redis; best effort with a short timeout."""

    def execute(self, context, instance_id):
        instance = db_api.instance_get(context, instance_id)
        status = instance.status
        if not instance.server_id or status is None or \
                status.heartbeat_at is None or \
                status.status == states.SERVICE_LOST:
            return  # no agent ever answered, or it is gone: nobody to stop
        try:
            # Short timeout: the server is deleted next whatever happens.
            guest.guest_client(context, instance_id).stop(
                timeout=CONF.agent_call_low_timeout)
        except Exception as exc:  # noqa: BLE001 - the server goes anyway
            LOG.info('Guest of instance %s did not stop cleanly: %s',
                     instance_id, exc)

    def revert(self, *args, **kwargs):
        """Nothing to undo: a stopped guest is restarted by restart."""


OPERATION = 'trove.instance.delete'

# Seconds a delete waits for a build of its instance still on the board
# to end; past it the delete goes on.
BUILD_OVER_TIMEOUT = 600


class StartWaitingForBuild(task.Task):
    """The deadline of :class:`WaitBuildOver`, fixed at the first run."""

    default_provides = 'build_over_by'

    def execute(self):
        return common.deadline_at(BUILD_OVER_TIMEOUT)


class WaitBuildOver(task.Task):
    """Check once that no job builds the instance any more.

    A delete asked during the build (the API allows it) must not run
    beside it: the build would create the server, the volume's
    attachment and the guest's broker user after the delete had looked
    for them, and wait for a guest that can no longer connect. The build
    sees the instance DELETING and ends (done or reverted); the delete
    then removes what it left.
    """

    def execute(self, context, instance_id, build_over_by):
        if not engine.jobboard_enabled() or \
                instance_id not in engine.building_ids():
            return
        deadline = common.Deadline.until(build_over_by, BUILD_OVER_TIMEOUT)
        if deadline.expired():
            LOG.warning('The build of instance %s is still on the board '
                        'after %ss; deleting anyway.', instance_id,
                        BUILD_OVER_TIMEOUT)
            return
        common.not_ready(deadline, 'the build of instance %s to end'
                         % instance_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting built nothing."""

# Seconds a delete waits for Nova to let a server go.
SERVER_GONE_TIMEOUT = 120


class DeleteServer(task.Task):
    """Ask Nova to delete the instance's server(s) in its region."""

    default_provides = 'server_gone_by'

    def execute(self, context, instance_id):
        instance = db_api.instance_get(context, instance_id)
        nova = clients.create_nova_client(context, instance.region_name)
        for server in compute.find_servers(nova, instance_id,
                                           instance.server_id):
            try:
                nova.servers.delete(server.id)
            except nova_exc.NotFound:
                continue
            LOG.info('Deleting server %s of instance %s in %s', server.id,
                     instance_id, instance.region_name)
        return common.deadline_at(SERVER_GONE_TIMEOUT)

    def revert(self, *args, **kwargs):
        """Nothing to undo: a deleted server cannot come back."""


class WaitServerGone(task.Task):
    """Check once that no server of the instance is left."""

    def execute(self, context, instance_id, server_gone_by):
        instance = db_api.instance_get(context, instance_id)
        nova = clients.create_nova_client(context, instance.region_name)
        if compute.find_servers(nova, instance_id, instance.server_id):
            common.not_ready(common.Deadline.until(server_gone_by,
                                                   SERVER_GONE_TIMEOUT),
                             'the servers of instance %s to be deleted'
                             % instance_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting built nothing."""


class DeleteVolume(task.Task):
    """Delete the instance's volume(s) once the server let them go."""

    def execute(self, context, instance_id):
        instance = db_api.instance_get(context, instance_id)
        volume.remove_volumes(context, instance.region_name, instance_id,
                              instance.volume_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: a deleted volume cannot come back."""


class ForgetInstance(task.Task):
    """Give the quota back and drop the cell mapping, then soft-delete.

    The quota and the mapping go in one API database transaction, before
    the record: run again after a crash at any point, this gives the
    quota back exactly once (the mapping is the proof) and still removes
    the record.
    """

    def execute(self, context, instance_id):
        try:
            instance = db_api.instance_get(context, instance_id)
        except exceptions.InstanceNotFound:
            return  # another delete finished first
        quotas.release_instance(context, instance_id, instance.tenant_id,
                                instance.volume_size)
        try:
            db_api.instance_soft_delete(context, instance_id)
        except exceptions.InstanceNotFound:
            pass

    def revert(self, *args, **kwargs):
        """Nothing to undo: this is the last step."""


def get_flow():
    """The linear flow of one instance's delete."""
    flow = linear_flow.Flow('delete-instance')
    flow.add(database.MarkErrorOnRevert(expected=states.TASK_DELETING),
             StartWaitingForBuild(), common.wait(WaitBuildOver()),
             StopGuest(), DeleteServer(), common.wait(WaitServerGone()),
             network.RemoveNetworking(),
             guest.DeleteGuestQueues(), broker.RemoveGuestBrokerAccess(),
             DeleteVolume(), ForgetInstance())
    return flow


def start_deleting(context, instance_id):
    """Move the instance to task DELETING (from any state allowing it).

    Returns the instance, or None when it is already gone.
    """
    try:
        instance = db_api.instance_get(context, instance_id)
    except exceptions.InstanceNotFound:
        return None
    if instance.task_status == states.TASK_DELETING:
        return instance
    # The API moved it already in the usual case; a direct cast (or a
    # retry after ERROR) moves it here, still through the state machine.
    try:
        states.next_task(instance.task_status, 'delete')
    except exceptions.Conflict:
        LOG.warning('Deleting instance %s although its task is %s',
                    instance_id, instance.task_status)
    return db_api.instance_update(
        context, instance_id, {'task_status': states.TASK_DELETING},
        expected_task_status=instance.task_status)


def _deleting(context, instance_id):
    """True when the instance is now DELETING, False when it cannot be
    deleted, None when it is already gone."""
    try:
        return None if start_deleting(context, instance_id) is None \
            else True
    except exceptions.TroveMRError as exc:
        LOG.warning('Cannot delete instance %s: %s', instance_id, exc)
        return False


def submit(context, instance_id):
    """Move the instance to DELETING and post its delete as a job.

    Returns False when it cannot be deleted now, True otherwise (also
    when it is already gone).
    """
    deleting = _deleting(context, instance_id)
    if not deleting:
        return deleting is None
    engine.submit(context, OPERATION, get_flow, {'instance_id': instance_id},
                  resource_type='instance', resource_id=instance_id)
    return True


def run(context, instance_id):
    """Delete an instance and everything it has, here; never raises.

    Returns True when the instance is gone.
    """
    deleting = _deleting(context, instance_id)
    if not deleting:
        return deleting is None
    try:
        engine.run_here(context, get_flow, {'instance_id': instance_id})
    except Exception:  # noqa: BLE001 - recorded as ERROR by the flow
        LOG.exception('Delete of instance %s failed', instance_id)
        return False
    LOG.info('Instance %s deleted', instance_id)
    return True
