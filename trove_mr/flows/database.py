"""Tasks that change the instance's record in the region database."""

from oslo_log import log as logging
from taskflow import task

from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import common

LOG = logging.getLogger(__name__)

FAULT_MESSAGE_MAX = 1000


def fault_of(flow_failures):
    """A one-line fault message from TaskFlow's failures of a flow.

    The failure that stopped the flow, not a wait's "not ready yet" that
    its retry controller kept in the history.
    """
    failures = list((flow_failures or {}).values())
    failures.sort(key=lambda failure: bool(failure.check(common.NotReady)))
    for failure in failures:
        exc = failure.exception
        text = str(exc) if exc is not None else failure.exception_str
        return (text or failure.exception_str)[:FAULT_MESSAGE_MAX]
    return 'The build failed.'


def mark_error(context, instance_id, message, expected):
    """Put an instance in task ERROR with ``message``; False if it moved.

    Only while the task is still one of ``expected``: an instance being
    deleted meanwhile stays in DELETING.
    """
    try:
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.TASK_ERROR, 'fault_message': message,
             'task_owner': None},
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
                   self.expected)


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
             'task_owner': None, 'fault_message': None},
            expected_task_status=states.TASK_BUILDING)

    def revert(self, *args, **kwargs):
        """Nothing to undo: MarkErrorOnRevert sets the final state."""
