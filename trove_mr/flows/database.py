"""Tasks that change the instance's record in the region database."""

from oslo_log import log as logging
from taskflow import task

from trove_mr.common import exceptions
from trove_mr.common import faults
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import common

LOG = logging.getLogger(__name__)


def _stopping_failure(flow_failures):
    """The failure that stopped the flow, not a wait's "not ready yet"
    that its retry controller kept in the history."""
    failures = list((flow_failures or {}).values())
    failures.sort(key=lambda failure: bool(failure.check(common.NotReady)))
    return failures[0] if failures else None


def fault_of(flow_failures):
    """The fault of TaskFlow's failures of a flow: a short message per
    kind of failure for the tenant, the full text as details (see
    ``common.faults``)."""
    failure = _stopping_failure(flow_failures)
    if failure is None:
        return faults.TenantMessage('The build failed.')
    if failure.exception is not None:
        return faults.tenant_message(failure.exception)
    return faults.TenantMessage(faults.GENERIC)


def fault_details_of(flow_failures):
    """The full text of the failure that stopped the flow, for admins."""
    failure = _stopping_failure(flow_failures)
    if failure is None:
        return None
    if failure.exception is not None:
        return faults.details(failure.exception)
    return (failure.exception_str or '')[:faults.DETAILS_MAX]


def mark_error(context, instance_id, message, expected, details=None):
    """Put an instance in task ERROR with ``message``; False if it moved.

    Only while the task is still one of ``expected``: an instance being
    deleted meanwhile stays in DELETING. ``message`` is what the tenant
    reads (a ``faults.TenantMessage``; any other text is kept as the
    details instead), ``details`` what admins read.
    """
    try:
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.TASK_ERROR, 'fault_message': message,
             'fault_details': details, 'task_owner': None},
            expected_task_status=expected)
    except (exceptions.UnexpectedTaskState,
            exceptions.InstanceNotFound) as exc:
        LOG.info('Instance %s not marked ERROR: %s', instance_id, exc)
        return False
    LOG.warning('Instance %s is in ERROR: %s', instance_id, message)
    return True


class MarkErrorOnRevert(task.Task):
    """First task: if anything after it reverts, the instance is ERROR."""

    def __init__(self, expected=states.TASK_BUILDING, **kwargs):
        super().__init__(**kwargs)
        self.expected = expected

    def execute(self, context, instance_id):
        pass

    def revert(self, context, instance_id, flow_failures=None, **kwargs):
        mark_error(context, instance_id, fault_of(flow_failures),
                   self.expected, details=fault_details_of(flow_failures))


class CheckPlacement(task.Task):
    """Check the API's placement decision again before building anything.

    Images and flavors may have changed since the API accepted the
    request: :func:`regions.recheck_placement` runs the same checks on the
    same request and target datastore version, and the server is built
    from the ids the API decided.
    """

    default_provides = 'placement'

    def execute(self, context, instance_id, requested_placement):
        version = None
        if requested_placement.get('request') is None:
            instance = db_api.instance_get(context, instance_id)
            version = regions.version_fields(instance.datastore_version)
        return regions.recheck_placement(context, requested_placement,
                                         version)

    def revert(self, *args, **kwargs):
        """Nothing to undo: checking built nothing."""


class MarkBuilt(task.Task):
    """Last task: the guest runs, the build is over (task NONE)."""

    def execute(self, context, instance_id):
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.next_task(states.TASK_BUILDING, 'built'),
             'task_owner': None, 'fault_message': None,
             'fault_details': None},
            expected_task_status=states.TASK_BUILDING)

    def revert(self, *args, **kwargs):
        """Nothing to undo: MarkErrorOnRevert sets the final state."""
