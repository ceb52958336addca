"""Backup flows: ask the guest for a backup and wait; delete one.

Create: the instance is BACKING_UP while its guest snapshots Redis and
streams it to the tenant's Swift; the guest reports through the conductor,
and this flow waits for COMPLETED or FAILED, bounded by
``backup_timeout``. Any failure leaves the backup FAILED with nothing
presented as complete, and the instance back to task NONE.
"""

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import backup_objects
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db.api import backups as backup_mappings
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import engine
from trove_mr.flows import guest

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

POLL_INTERVAL = 0.3
CREATE_OPERATION = 'trove.backup.create'
DELETE_OPERATION = 'trove.backup.delete'
FINAL_STATES = ('COMPLETED', 'FAILED')


def _instance_done(context, instance_id):
    """Give the instance back (BACKING_UP -> NONE); fine if it moved."""
    try:
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.next_task(states.TASK_BACKING_UP,
                                             'done')},
            expected_task_status=states.TASK_BACKING_UP)
    except (exceptions.UnexpectedTaskState,
            exceptions.InstanceNotFound) as exc:
        LOG.info('Instance %s not given back after its backup: %s',
                 instance_id, exc)


class MarkBackupFailedOnRevert(task.Task):
    """First task: a revert leaves the backup FAILED, the instance free."""

    def execute(self, context, instance_id, backup_id):
        pass

    def revert(self, context, instance_id, backup_id, **kwargs):
        try:
            db_api.backup_update(context, backup_id, {'state': 'FAILED'},
                                 expected_state=('NEW', 'BUILDING'))
        except (exceptions.UnexpectedTaskState,
                exceptions.BackupNotFound) as exc:
            LOG.info('Backup %s not marked FAILED: %s', backup_id, exc)
        _instance_done(context, instance_id)


class AskGuestForBackup(task.Task):
    """Cast ``create_backup`` to the instance's guest."""

    def execute(self, context, instance_id, backup_info):
        guest.guest_client(context, instance_id).create_backup(backup_info)

    def revert(self, *args, **kwargs):
        """Nothing to undo: the guest removes what it uploaded."""


class WaitBackupDone(task.Task):
    """Check once for the guest's final report; FAILED stops the flow."""

    def execute(self, context, backup_id, deadline_at, timeout):
        row = db_api.backup_get(context, backup_id)
        if row.state == 'FAILED':
            raise common.StepFailed('Backup %s failed on the guest.'
                                    % backup_id)
        if row.state != 'COMPLETED':
            common.not_ready(common.Deadline.until(deadline_at, timeout),
                             'backup %s to complete' % backup_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting built nothing."""


class GiveInstanceBack(task.Task):
    """Last task: the instance leaves BACKING_UP."""

    def execute(self, context, instance_id):
        _instance_done(context, instance_id)


def create_backup_flow():
    """The linear flow of one backup."""
    flow = linear_flow.Flow('create-backup')
    flow.add(MarkBackupFailedOnRevert(), AskGuestForBackup(),
             common.wait(WaitBackupDone(), POLL_INTERVAL),
             GiveInstanceBack())
    return flow


def _create_store(backup_id, instance_id, backup_info):
    return {'instance_id': instance_id, 'backup_id': backup_id,
            'backup_info': backup_info, 'timeout': CONF.backup_timeout,
            'deadline_at': common.deadline_at(CONF.backup_timeout)}


def submit_create(context, backup_id, instance_id, backup_info):
    """Post the backup of ``instance_id`` as ``backup_id`` as a job."""
    return engine.submit(context, CREATE_OPERATION, create_backup_flow,
                         _create_store(backup_id, instance_id, backup_info),
                         resource_type='backup', resource_id=backup_id)


def run_create(context, backup_id, instance_id, backup_info):
    """Back ``instance_id`` up as ``backup_id`` here; never raises.

    Returns True when COMPLETED, False when it ended FAILED.
    """
    try:
        engine.run_here(context, create_backup_flow,
                        _create_store(backup_id, instance_id, backup_info))
    except Exception:  # noqa: BLE001 - reverted and recorded as FAILED
        LOG.exception('Backup %s of instance %s failed', backup_id,
                      instance_id)
        return False
    LOG.info('Backup %s of instance %s COMPLETED', backup_id, instance_id)
    return True


class DeleteBackup(task.Task):
    """Remove the backup's objects and record (``run_delete``)."""

    def execute(self, context, backup_id):
        run_delete(context, backup_id)


def delete_backup_flow():
    flow = linear_flow.Flow('delete-backup')
    flow.add(DeleteBackup())
    return flow


def submit_delete(context, backup_id):
    """Post the delete of a backup as a job."""
    return engine.submit(context, DELETE_OPERATION, delete_backup_flow,
                         {'backup_id': backup_id}, resource_type='backup',
                         resource_id=backup_id)


def _forget_mapping(context, backup_id):
    """Drop the backup's cell mapping (none for a backup made before
    backups were mapped and never addressed since)."""
    try:
        backup_mappings.backup_mapping_delete(context, backup_id)
    except exceptions.NotFound:
        pass


def run_delete(context, backup_id):
    """Remove a backup's objects (segments too), then its record.

    A failure leaves it DELETE_FAILED; deleting it again retries. Never
    raises.
    """
    try:
        row = db_api.backup_get(context, backup_id)
    except exceptions.BackupNotFound:
        return True
    try:
        # A backup registered from another's URL (--restore-from) leaves
        # the object it points at to the backup that owns it.
        if row.location and backup_objects.owns_object(backup_id,
                                                       row.location):
            backup_objects.delete_backup_objects(context, row.location)
        _forget_mapping(context, backup_id)
        db_api.backup_soft_delete(context, backup_id)
    except Exception as exc:  # noqa: BLE001 - recorded as DELETE_FAILED
        LOG.error('Backup %s could not be deleted: %s', backup_id, exc)
        try:
            db_api.backup_update(context, backup_id,
                                 {'state': 'DELETE_FAILED'})
        except exceptions.BackupNotFound:
            pass
        return False
    LOG.info('Backup %s and its objects deleted', backup_id)
    return True
