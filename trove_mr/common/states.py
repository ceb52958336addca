"""States of instances and clusters, and the status a user sees.

Two things are recorded separately and combined only when shown:

* the **task** the control plane is doing on the resource
  (``instances.task_status``), changed by the API and the taskmanager with
  conditional updates, so that two workers never run two tasks at once;
* the **service status** the guest reports in heartbeats
  (``instance_status.status``), written only by the conductor.

``display_status`` is the one place that turns both into the status of the
API (BUILD, ACTIVE, REBOOT, SHUTDOWN, ERROR, ...), as Trove shows it.
"""

from automaton import exceptions as automaton_exc
from automaton import machines as automaton_machines

from trove_mr.common import exceptions

# Instance tasks.
TASK_NONE = 'NONE'
TASK_BUILDING = 'BUILDING'
TASK_REBOOTING = 'REBOOTING'
TASK_DELETING = 'DELETING'
TASK_BACKING_UP = 'BACKING_UP'
TASK_PROMOTING = 'PROMOTING'
TASK_EJECTING = 'EJECTING'
TASK_DETACHING = 'DETACHING'
TASK_ERROR = 'ERROR'
TASK_RESIZING = 'RESIZING'
# Applying a configuration group (attach, detach, group change).
TASK_CONFIGURING = 'CONFIGURING'
TASK_UPGRADING = 'UPGRADING'
# An admin's rebuild of the server from an image (the upgrade's job).
TASK_REBUILDING = 'REBUILDING'
# An admin's stop of the datastore; it then shows SHUTDOWN until a
# restart.
TASK_STOPPING = 'STOPPING'
# An admin's cold migration of the server to another compute host.
TASK_MIGRATING = 'MIGRATING'
# Moving to the replica of its volume (an admin's failover); tenants see
# REBOOT: replication is not their business.
TASK_FAILING_OVER = 'FAILING_OVER'

# Guest-reported service statuses.
SERVICE_NEW = 'NEW'
SERVICE_BUILD = 'BUILD'
SERVICE_RUNNING = 'RUNNING'
SERVICE_SHUTDOWN = 'SHUTDOWN'
SERVICE_FAILED = 'FAILED'
SERVICE_LOST = 'LOST'  # no heartbeat for agent_heartbeat_expiry

# Statuses shown by the API.
BUILD = 'BUILD'
ACTIVE = 'ACTIVE'
REBOOT = 'REBOOT'
SHUTDOWN = 'SHUTDOWN'
ERROR = 'ERROR'
BACKUP = 'BACKUP'
PROMOTE = 'PROMOTE'
EJECT = 'EJECT'
DETACH = 'DETACH'
RESIZE = 'RESIZE'
CONFIGURING = 'CONFIGURING'
# Running, with configuration values that only a restart applies.
RESTART_REQUIRED = 'RESTART_REQUIRED'
UPGRADE = 'UPGRADE'
REBUILD = 'REBUILD'
MIGRATE = 'MIGRATE'

_TASK_DISPLAY = {
    TASK_BUILDING: BUILD,
    TASK_REBOOTING: REBOOT,
    TASK_DELETING: SHUTDOWN,
    TASK_BACKING_UP: BACKUP,
    TASK_PROMOTING: PROMOTE,
    TASK_EJECTING: EJECT,
    TASK_DETACHING: DETACH,
    TASK_ERROR: ERROR,
    TASK_RESIZING: RESIZE,
    TASK_CONFIGURING: CONFIGURING,
    TASK_UPGRADING: UPGRADE,
    TASK_REBUILDING: REBUILD,
    TASK_STOPPING: SHUTDOWN,
    TASK_MIGRATING: MIGRATE,
    TASK_FAILING_OVER: REBOOT,
}

_SERVICE_DISPLAY = {
    SERVICE_RUNNING: ACTIVE,
    SERVICE_SHUTDOWN: SHUTDOWN,
    SERVICE_FAILED: ERROR,
    SERVICE_LOST: SHUTDOWN,
    SERVICE_NEW: BUILD,
    SERVICE_BUILD: BUILD,
}


def display_status(task_status, service_status):
    """The status a user sees for an instance."""
    if task_status in _TASK_DISPLAY:
        return _TASK_DISPLAY[task_status]
    return _SERVICE_DISPLAY.get(service_status, SHUTDOWN
                                if service_status else BUILD)


# Which task may follow which. An action is refused (409) unless the
# instance's current task allows it; the conditional UPDATE in the DB then
# makes the transition atomic across API workers and taskmanagers.
_TRANSITIONS = (
    (TASK_BUILDING, 'built', TASK_NONE),
    (TASK_BUILDING, 'fail', TASK_ERROR),
    (TASK_BUILDING, 'delete', TASK_DELETING),
    (TASK_NONE, 'restart', TASK_REBOOTING),
    (TASK_NONE, 'delete', TASK_DELETING),
    (TASK_NONE, 'backup', TASK_BACKING_UP),
    (TASK_NONE, 'promote', TASK_PROMOTING),
    (TASK_NONE, 'eject', TASK_EJECTING),
    (TASK_NONE, 'detach', TASK_DETACHING),
    (TASK_NONE, 'fail', TASK_ERROR),
    (TASK_REBOOTING, 'done', TASK_NONE),
    (TASK_REBOOTING, 'fail', TASK_ERROR),
    (TASK_BACKING_UP, 'done', TASK_NONE),
    (TASK_PROMOTING, 'done', TASK_NONE),
    (TASK_PROMOTING, 'fail', TASK_ERROR),
    (TASK_EJECTING, 'done', TASK_NONE),
    (TASK_EJECTING, 'fail', TASK_ERROR),
    (TASK_DETACHING, 'done', TASK_NONE),
    (TASK_DETACHING, 'fail', TASK_ERROR),
    (TASK_ERROR, 'delete', TASK_DELETING),
    (TASK_ERROR, 'restart', TASK_REBOOTING),
    (TASK_DELETING, 'fail', TASK_ERROR),
    # A delete can always be asked again: the taskmanager joins the job
    # on the board, or posts it again if it was lost.
    (TASK_DELETING, 'delete', TASK_DELETING),
    # Flavor and volume resize: back to NONE when done, or when a failed
    # resize left the instance as it was; ERROR otherwise.
    (TASK_NONE, 'resize', TASK_RESIZING),
    (TASK_RESIZING, 'done', TASK_NONE),
    (TASK_RESIZING, 'fail', TASK_ERROR),
    (TASK_NONE, 'configure', TASK_CONFIGURING),
    (TASK_CONFIGURING, 'done', TASK_NONE),
    (TASK_CONFIGURING, 'fail', TASK_ERROR),
    (TASK_NONE, 'upgrade', TASK_UPGRADING),
    (TASK_UPGRADING, 'done', TASK_NONE),
    (TASK_UPGRADING, 'fail', TASK_ERROR),
    (TASK_NONE, 'rebuild', TASK_REBUILDING),
    (TASK_REBUILDING, 'done', TASK_NONE),
    (TASK_REBUILDING, 'fail', TASK_ERROR),
    (TASK_NONE, 'stop', TASK_STOPPING),
    (TASK_STOPPING, 'done', TASK_NONE),
    (TASK_STOPPING, 'fail', TASK_ERROR),
    (TASK_NONE, 'migrate', TASK_MIGRATING),
    (TASK_MIGRATING, 'done', TASK_NONE),
    (TASK_MIGRATING, 'fail', TASK_ERROR),
    # Volume failover: also from ERROR (a lost primary volume is what
    # puts an instance there).
    (TASK_NONE, 'failover', TASK_FAILING_OVER),
    (TASK_ERROR, 'failover', TASK_FAILING_OVER),
    (TASK_FAILING_OVER, 'done', TASK_NONE),
    (TASK_FAILING_OVER, 'fail', TASK_ERROR),
)


def _build_machine():
    machine = automaton_machines.FiniteMachine()
    for state in {s for t in _TRANSITIONS for s in (t[0], t[2])}:
        machine.add_state(state)
    for source, event, target in _TRANSITIONS:
        machine.add_transition(source, target, event)
    machine.freeze()
    return machine


_MACHINE = _build_machine()


def next_task(current, event):
    """The task that ``event`` leads to from ``current``; 409 if none."""
    machine = _MACHINE.copy()
    machine.initialize(current)
    try:
        machine.process_event(event)
    except (automaton_exc.NotFound, automaton_exc.InvalidState) as exc:
        raise exceptions.Conflict(
            "Cannot %s the instance while its task is %s."
            % (event, current)) from exc
    return machine.current_state


def allowed_events(current):
    """The events allowed from ``current`` (for error messages)."""
    return sorted(event for source, event, _ in _TRANSITIONS
                  if source == current)


# Cluster tasks, with the ids and descriptions Trove's API shows.
CLUSTER_TASKS = {
    'NONE': (1, 'No tasks for the cluster.'),
    'BUILDING_INITIAL': (2, 'Building the initial cluster.'),
    'DELETING': (3, 'Deleting the cluster.'),
    'ADDING_SHARD': (4, 'Adding a shard to the cluster.'),
    'GROWING_CLUSTER': (6, 'Increasing the size of the cluster.'),
    'SHRINKING_CLUSTER': (7, 'Decreasing the size of the cluster.'),
    'FAILED': (8, 'The last task on the cluster failed.'),
    'UPDATING_CLUSTER': (9, 'Updating the cluster configuration.'),
    'UPGRADING_CLUSTER': (11, 'Upgrading the cluster to a new datastore '
                             'version.'),
    'REBALANCING': (10, 'Moving hash slots between masters.'),
    'SWITCHING_OVER': (12, 'Swapping the roles of the primary and '
                           'standby regions.'),
    'FAILING_OVER': (13, 'Promoting the standby region: the primary '
                         'region is lost.'),
}
# Tasks whose row description (progress) is shown instead of the fixed one.
CLUSTER_TASKS_WITH_PROGRESS = ('REBALANCING', 'GROWING_CLUSTER',
                               'SHRINKING_CLUSTER')
# The seed's answers name the building task "BUILDING".
CLUSTER_TASK_NAMES = {'BUILDING_INITIAL': 'BUILDING'}


def cluster_task_view(task_name):
    """{'id', 'name', 'description'} of a cluster task."""
    task_id, description = CLUSTER_TASKS[task_name]
    return {'id': task_id,
            'name': CLUSTER_TASK_NAMES.get(task_name, task_name),
            'description': description}
