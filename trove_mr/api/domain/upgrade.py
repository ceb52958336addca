"""Upgrade an instance or a cluster to another version of its datastore.

``PATCH /instances/{id}`` with ``{"instance": {"datastore_version": v}}``
and ``POST /clusters/{id}`` with ``{"upgrade": {"datastore_version":
v}}``, as python-troveclient sends them. Every check happens here, before
anything changes: the target version (an id or a name) must be another
active version of the instance's own datastore, known to the owning
cell, and its image must exist in every region the servers live in with
the checksum it has at home (the same cross-region checks as a create,
:mod:`trove_mr.api.domain.placement`). Then the task moves (UPGRADING,
or UPGRADING_CLUSTER for a cluster) and the owning cell's taskmanager
gets the decision as plain data.
"""

from oslo_log import log as logging

from trove_mr.api.domain import instances as instance_domain
from trove_mr.api.domain import placement as placement_domain
from trove_mr.api.domain import services
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

LOG = logging.getLogger(__name__)

CLUSTER_TASK = 'UPGRADING_CLUSTER'


def target_version(cctx, current, version_ref, field):
    """The version ``version_ref`` (id or name) to upgrade ``current`` to.

    404 when no datastore has it; 400 when it belongs to another
    datastore, is inactive or is the current one. ``field`` names the
    request field in the messages.
    """
    datastore = current.datastore
    try:
        version = db_api.datastore_version_get_by_name(
            cctx, datastore.id, version_ref)
    except exceptions.DatastoreVersionNotFound:
        others = [v for v in db_api.datastore_version_list(cctx)
                  if version_ref in (v.id, v.name)]
        if others:
            raise exceptions.BadRequest(
                "Invalid input for field '%s': datastore version '%s' is "
                "a version of datastore '%s', not of '%s'; an upgrade "
                "stays within its datastore."
                % (field, version_ref, others[0].datastore.name,
                   datastore.name)) from None
        raise exceptions.DatastoreVersionNotFound(
            "Datastore version '%s' of datastore '%s' could not be found."
            % (version_ref, datastore.name)) from None
    if not version.active:
        raise exceptions.BadRequest(
            "Invalid input for field '%s': datastore version '%s' of '%s' "
            "is not active." % (field, version.name, datastore.name))
    if version.id == current.id:
        raise exceptions.BadRequest(
            "Invalid input for field '%s': the datastore version is "
            "already '%s'." % (field, version.name))
    return version


def _placement(context, version, row, owning):
    """The image decision for ``row``'s region (the create's checks).

    The row keeps the flavor's id in its own region; the checks compare
    flavors by name across regions.
    """
    flavor = regions.flavor_name(context, row.region_name,
                                 row.flavor_id) or row.flavor_id
    return placement_domain.decide(context, version, flavor,
                                   row.region_name, owning)


def refuse_not_active(row, done='upgraded'):
    """409 unless the instance shows ACTIVE."""
    status = states.display_status(
        row.task_status, row.status.status if row.status is not None
        else None)
    if status != states.ACTIVE:
        raise exceptions.Conflict(
            'Instance %s is %s; only an ACTIVE instance can be %s.'
            % (row.id, status, done))


def upgrade_instance(context, tenant_id, instance_id, version_ref,
                     taskmanager_api):
    """Accept the upgrade of an ACTIVE instance (task UPGRADING); 202."""
    owning = instance_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, owning) as cctx:
        row = db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
        if row.cluster_id:
            raise exceptions.BadRequest(
                'Instance %s is a member of cluster %s; upgrade the '
                'cluster.' % (instance_id, row.cluster_id))
        field = 'instance.datastore_version'
        version = target_version(cctx, row.datastore_version, version_ref,
                                 field)
        refuse_not_active(row)
        upgrade = {'version_id': version.id, 'version_name': version.name,
                   'placement': _placement(context, version, row, owning)}
        return start_upgrade(cctx, row, upgrade, taskmanager_api)


def start_upgrade(cctx, row, upgrade, taskmanager_api, action='upgrade'):
    """Move ``row`` to UPGRADING (REBUILDING for ``action`` 'rebuild')
    and cast the upgrade's job to the owning cell (undone when no
    taskmanager takes it); the row."""
    services.require_taskmanager(cctx)
    previous = row.task_status
    row = instance_domain.transition(cctx, row, action)
    # A rebuild has a method of its own: a taskmanager of a release
    # without the REBUILDING task refuses it and the task is undone.
    cast = taskmanager_api.rebuild_instance if action == 'rebuild' \
        else taskmanager_api.upgrade_instance
    instance_domain._cast_or_undo(cctx, row, previous,
                                  lambda c, i: cast(c, i, upgrade))
    return row


def _cluster_mapping(context, cluster_id):
    try:
        return api_db.cluster_mapping_get(context, cluster_id)
    except exceptions.NotFound:
        raise exceptions.ClusterNotFound(
            'Cluster %s could not be found.' % cluster_id) from None


def _task_values(task_name):
    task_id, description = states.CLUSTER_TASKS[task_name]
    return {'task_id': task_id, 'task_name': task_name,
            'task_description': description}


def upgrade_cluster(context, tenant_id, cluster_id, version_ref,
                    taskmanager_api):
    """Accept the upgrade of a cluster whose task is NONE and whose
    members are all ACTIVE (task UPGRADING_CLUSTER); 202."""
    owning = _cluster_mapping(context, cluster_id)
    with cells.target_cell(context, owning) as cctx:
        cluster = db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
        field = 'upgrade.datastore_version'
        version = target_version(cctx, cluster.datastore_version,
                                 version_ref, field)
        if cluster.task_name != 'NONE':
            raise exceptions.Conflict(
                'Cluster %s is busy: its task is %s; try again when it is '
                'NONE.' % (cluster_id, cluster.task_name))
        members = db_api.instances_by_cluster(cctx, cluster_id)
        for member in members:
            refuse_not_active(member)
        decided = {}
        placements = {}
        for member in members:
            key = (member.region_name, member.flavor_id)
            if key not in decided:
                decided[key] = _placement(context, version, member, owning)
            placements[member.id] = decided[key]
        services.require_taskmanager(cctx)
        try:
            db_api.cluster_update(cctx, cluster_id,
                                  _task_values(CLUSTER_TASK),
                                  expected_task_name=['NONE'])
        except exceptions.UnexpectedTaskState:
            raise exceptions.Conflict(
                'Cluster %s is busy.' % cluster_id) from None
        upgrades = {'version_id': version.id, 'version_name': version.name,
                    'placements': placements}
        try:
            taskmanager_api.upgrade_cluster(cctx, cluster_id, upgrades)
        except Exception as exc:
            LOG.error('Could not ask a taskmanager to upgrade cluster %s: '
                      '%s', cluster_id, exc)
            db_api.cluster_update(cctx, cluster_id, _task_values('NONE'),
                                  expected_task_name=[CLUSTER_TASK])
            raise exceptions.ServiceUnavailable(
                'No taskmanager could be reached; the cluster is '
                'unchanged.') from exc
        return cluster
