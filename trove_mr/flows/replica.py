"""Replica work: attach a new replica, promote, eject a dead master,
detach.

Replicas follow their master with Redis replication, in any region. A
replica learns its master's address and password from the master's guest
over sealed RPC (``get_replication_source``) and gets them over sealed
RPC (``attach_replica``): the password is never written to a database or
a log. Each action ends its task with ``done`` or, on failure, ``fail``
and a fault naming the step.
"""

from oslo_log import log as logging
from taskflow import task

from trove_mr.common import exceptions
from trove_mr.common import faults
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import database
from trove_mr.flows import guest

LOG = logging.getLogger(__name__)


def _finish(context, instance_id, task_status, operation=None, exc=None):
    """End ``task_status`` on an instance: ``done``, or (with the
    ``operation`` that failed and why) ERROR + fault."""
    if operation is not None:
        database.mark_error(context, instance_id,
                            faults.tenant_message(exc, operation),
                            task_status, details=faults.details(exc))
        return False
    try:
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.next_task(task_status, 'done'),
             'fault_message': None, 'fault_details': None},
            expected_task_status=task_status)
    except (exceptions.UnexpectedTaskState,
            exceptions.InstanceNotFound) as exc:
        LOG.info('Instance %s left %s meanwhile: %s', instance_id,
                 task_status, exc)
    return True


def follow(context, replica_id, master_id):
    """Make ``replica_id``'s Redis follow ``master_id``'s."""
    source = guest.guest_client(context, master_id).get_replication_source()
    guest.guest_client(context, replica_id).attach_replica(source)


def attach_new_replica(context, replica_id):
    """After a replica's build: follow its master; ERROR if it cannot."""
    replica = db_api.instance_get(context, replica_id)
    if not replica.replica_of_id:
        return True
    try:
        follow(context, replica_id, replica.replica_of_id)
    except Exception as exc:  # noqa: BLE001 - recorded as the fault
        LOG.exception('Replica %s could not attach', replica_id)
        database.mark_error(
            context, replica_id,
            faults.tenant_message(exc, 'Could not replicate from master %s'
                                  % replica.replica_of_id),
            (states.TASK_NONE,), details=faults.details(exc))
        return False
    LOG.info('Instance %s replicates from %s', replica_id,
             replica.replica_of_id)
    return True


class FollowMaster(task.Task):
    """Last task of a build: a replica follows its master (a standalone
    instance has none: nothing to do). ERROR if it cannot."""

    def execute(self, context, instance_id):
        attach_new_replica(context, instance_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: a failed attach is recorded as ERROR."""


def _repoint(context, new_master_id, instance_ids):
    """Make each of ``instance_ids`` follow ``new_master_id``; record it.

    One that cannot be reached (a dead old master) is recorded as
    detached rather than failing the whole action.
    """
    for instance_id in instance_ids:
        try:
            follow(context, instance_id, new_master_id)
        except Exception as exc:  # noqa: BLE001 - the rest go on
            LOG.warning('Instance %s could not follow %s: %s',
                        instance_id, new_master_id, exc)
            db_api.instance_update(context, instance_id,
                                   {'replica_of_id': None})
            continue
        db_api.instance_update(context, instance_id,
                               {'replica_of_id': new_master_id})


def promote(context, replica_id):
    """Swap roles: the replica becomes master, its master (and the other
    replicas) follow it. The replica is PROMOTING meanwhile."""
    try:
        replica = db_api.instance_get(context, replica_id)
        old_master_id = replica.replica_of_id
        siblings = [row.id for row in db_api.instance_replicas(
            context, [old_master_id])[old_master_id] if row.id != replica_id]
        guest.guest_client(context, replica_id).promote_to_master()
        db_api.instance_update(context, replica_id, {'replica_of_id': None})
        _repoint(context, replica_id, [old_master_id] + siblings)
    except Exception as exc:  # noqa: BLE001 - recorded as the fault
        LOG.exception('Promotion of %s failed', replica_id)
        return _finish(context, replica_id, states.TASK_PROMOTING,
                       'Promotion to replica source failed', exc)
    return _finish(context, replica_id, states.TASK_PROMOTING)


def _most_advanced(context, replica_ids):
    """The reachable replica with the highest replication offset."""
    best, best_offset = None, -1
    for replica_id in replica_ids:
        try:
            info = guest.guest_client(context, replica_id).replication_info()
        except Exception as exc:  # noqa: BLE001 - a dead replica is skipped
            LOG.warning('Replica %s does not answer: %s', replica_id, exc)
            continue
        offset = info.get('offset') or 0
        if offset > best_offset:
            best, best_offset = replica_id, offset
    return best


def eject(context, master_id):
    """The master is gone: promote its most advanced replica, re-point
    the others to it, and leave the old master without replicas. The old
    master is EJECTING meanwhile."""
    try:
        replica_ids = [row.id for row in db_api.instance_replicas(
            context, [master_id])[master_id]]
        chosen = _most_advanced(context, replica_ids)
        if chosen is None:
            raise exceptions.Conflict('No replica of %s answers.'
                                      % master_id)
        guest.guest_client(context, chosen).promote_to_master()
        db_api.instance_update(context, chosen, {'replica_of_id': None})
        _repoint(context, chosen, [r for r in replica_ids if r != chosen])
    except Exception as exc:  # noqa: BLE001 - recorded as the fault
        LOG.exception('Eject of master %s failed', master_id)
        return _finish(context, master_id, states.TASK_EJECTING,
                       'Ejecting the replica source failed', exc)
    LOG.info('Master %s ejected; %s is the new master', master_id, chosen)
    return _finish(context, master_id, states.TASK_EJECTING)


def detach(context, replica_id):
    """The replica stops following its master and keeps its data."""
    try:
        guest.guest_client(context, replica_id).detach_replica()
        db_api.instance_update(context, replica_id, {'replica_of_id': None})
    except Exception as exc:  # noqa: BLE001 - recorded as the fault
        LOG.exception('Detach of %s failed', replica_id)
        return _finish(context, replica_id, states.TASK_DETACHING,
                       'Detaching the replica failed', exc)
    return _finish(context, replica_id, states.TASK_DETACHING)
