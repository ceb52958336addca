"""Configuration groups: create, list, show, change, delete; attach to
and detach from instances and clusters.

Groups live in the API database, shared by every region, so a tenant's
group can be attached to its instances of any region. A group belongs to
a datastore version named by datastore and version name, matched across
cells as placement matches versions. Its values are validated against the
version's parameters (``datastore_configuration_parameters``) in the cell
of the API that takes the request, and again, when attached or changed,
against those of each cell whose instances apply it.

Which instances and clusters apply a group is recorded on their own rows
(``configuration_id``), in their cells: listing them, counting them and
refusing to delete an attached group ask every cell.

Applying values to Redis is a job of the owning cell's taskmanager
(``apply_configuration``, ``apply_cluster_configuration``).
"""

from oslo_log import log as logging

from trove_mr.api.domain import instances as instances_domain
from trove_mr.api.domain import scatter
from trove_mr.api.domain import services
from trove_mr.common import cfg
from trove_mr.common import configuration as rules_lib
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.api import configurations as groups_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

CLUSTER_TASK = 'UPDATING_CLUSTER'


def rules_of(cctx, version_id):
    """{name: parameter dict} of a version, in ``cctx``'s cell."""
    return {p['name']: p for p in db_api.parameter_list(cctx, version_id)}


def _resolve_version(context, datastore):
    datastore = datastore or {}
    name = datastore.get('type') or CONF.default_datastore
    if not name:
        raise exceptions.BadRequest(
            "Invalid input for field 'configuration.datastore.type': it is "
            "required (no default datastore is configured).")
    wanted = datastore.get('version') or datastore.get('version_number')
    if wanted:
        return db_api.datastore_version_get_by_name(context, name, wanted)
    return db_api.datastore_version_get_default(context, name)


def _validated(rules, values, version_name, datastore_name):
    if not rules:
        raise exceptions.BadRequest(
            "Datastore version '%s' of '%s' has no configuration "
            "parameters." % (version_name, datastore_name))
    return rules_lib.validate_values(rules, values)


def create(context, tenant_id, body):
    """A new group of ``tenant_id`` from the validated ``configuration``
    object; every value checked against the version's rules."""
    version = _resolve_version(context, body.get('datastore'))
    values = _validated(rules_of(context, version.id), body['values'],
                        version.name, version.datastore.name)
    return groups_db.configuration_create(context, {
        'name': body['name'], 'description': body.get('description'),
        'tenant_id': tenant_id, 'datastore_name': version.datastore.name,
        'datastore_version_name': version.name,
        'datastore_version_id': version.id, 'values': values})


def get(context, tenant_id, configuration_id):
    """The tenant's live group; 404 for anyone else's."""
    return groups_db.configuration_get(context, configuration_id,
                                       tenant_id=tenant_id)


def list_page(context, tenant_id, limit=None, marker=None):
    """``(rows, next_marker, limit)`` of the tenant's groups."""
    limit = min(limit or CONF.api.default_limit, CONF.api.max_limit)
    rows, next_marker = groups_db.configuration_list(
        context, tenant_id, limit=limit, marker=marker)
    return rows, next_marker, limit


def _mappings(context):
    return api_db.region_mapping_list(context) or [
        instances_domain.local_cell(context)]


def _attached(context, tenant_id, configuration_id, check=None):
    """What applies a group, in every cell.

    :param check: ``check(cctx, instances, clusters)`` run in each cell
        (it may raise a 4xx that the whole call raises).
    :returns: ``({cell name: (mapping, instances, clusters)},
        unavailable cell names)``.
    """
    def in_cell(cctx, mapping):
        found = db_api.configuration_instances(cctx, configuration_id,
                                               tenant_id=tenant_id)
        clusters = db_api.configuration_clusters(cctx, configuration_id)
        if check is not None:
            check(cctx, found, clusters)
        return mapping, found, clusters
    return scatter.gather(context, in_cell, mappings=_mappings(context))


def show(context, tenant_id, configuration_id):
    """``(group row, number of instances applying it)``."""
    row = get(context, tenant_id, configuration_id)
    found, _ = _attached(context, tenant_id, configuration_id)
    return row, sum(len(instances) for _, instances, _ in found.values())


def _require_all_cells(unavailable, what):
    if unavailable:
        raise exceptions.ServiceUnavailable(
            'Region %s is unavailable: %s. Try again later.'
            % (', '.join(unavailable), what))


def delete(context, tenant_id, configuration_id):
    """Delete a group that nothing applies (400 otherwise)."""
    get(context, tenant_id, configuration_id)
    found, unavailable = _attached(context, tenant_id, configuration_id)
    _require_all_cells(unavailable, 'the instances that may apply the '
                                    'group cannot be checked')
    instances = [i.id for _, rows, _ in found.values() for i in rows]
    clusters = [c.id for _, _, rows in found.values() for c in rows]
    if instances or clusters:
        raise exceptions.BadRequest(
            'Configuration group %s is attached to %s; detach it first.'
            % (configuration_id, ', '.join(
                ['instance %s' % i for i in instances] +
                ['cluster %s' % c for c in clusters])))
    groups_db.configuration_soft_delete(context, configuration_id)


def instances_page(context, tenant_id, configuration_id, limit=None,
                   marker=None):
    """``(instance rows, next_marker, limit)`` applying the group, every
    region's, in (created, id) order."""
    get(context, tenant_id, configuration_id)
    limit = min(limit or CONF.api.default_limit, CONF.api.max_limit)
    found, _ = _attached(context, tenant_id, configuration_id)
    rows = sorted((i for _, instances, _ in found.values()
                   for i in instances), key=scatter.sort_key)
    if marker is not None:
        ids = [r.id for r in rows]
        if marker not in ids:
            raise exceptions.BadRequest(
                'Invalid marker: %s was not found.' % marker)
        rows = rows[ids.index(marker) + 1:]
    next_marker = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_marker, limit


def _same_version(row, version):
    if (version.datastore.name, version.name) != (
            row.datastore_name, row.datastore_version_name):
        raise exceptions.BadRequest(
            "Configuration group %s is for %s %s, not for %s %s."
            % (row.id, row.datastore_name, row.datastore_version_name,
               version.datastore.name, version.name))


def _check_values(cctx, row, version):
    """The group's values, checked against the rules of ``cctx``'s cell
    for ``version`` (a row of that cell)."""
    _same_version(row, version)
    return _validated(rules_of(cctx, version.id), groups_db.values_of(row),
                      version.name, version.datastore.name)


def update(context, tenant_id, configuration_id, body, taskmanager_api,
           replace=True):
    """Change a group's values (all of them, or some: ``replace=False``)
    and apply them wherever the group is attached.

    Every instance applying it must be idle (409 otherwise) and every
    cell reachable with a live taskmanager (503), so that nothing is
    changed unless it can be applied everywhere.
    """
    row = get(context, tenant_id, configuration_id)
    values = dict(body['values']) if replace else dict(
        groups_db.values_of(row), **body['values'])
    home = db_api.datastore_version_get_by_name(
        context, row.datastore_name, row.datastore_version_name)
    values = _validated(rules_of(context, home.id), values, home.name,
                        row.datastore_name)

    def check(cctx, instances, clusters):
        for instance in instances:
            rules_lib.validate_values(
                rules_of(cctx, instance.datastore_version_id), values)
            if instance.task_status != states.TASK_NONE and \
                    not instance.cluster_id:
                raise exceptions.Conflict(
                    'Instance %s applying configuration group %s is busy '
                    '(task %s); try again later.'
                    % (instance.id, configuration_id, instance.task_status))
        for cluster in clusters:
            if cluster.task_name != 'NONE':
                raise exceptions.Conflict(
                    'Cluster %s applying configuration group %s is busy '
                    '(task %s); try again later.'
                    % (cluster.id, configuration_id, cluster.task_name))
        if instances or clusters:
            services.require_taskmanager(cctx)

    found, unavailable = _attached(context, tenant_id, configuration_id,
                                   check=check)
    _require_all_cells(unavailable, 'the group cannot be applied there')
    changes = {'values': values}
    for field in ('name', 'description'):
        if field in body:
            changes[field] = body[field]
    row = groups_db.configuration_update(context, configuration_id, changes)
    for mapping, instances, clusters in found.values():
        with cells.target_cell(context, mapping) as cctx:
            for instance in instances:
                if not instance.cluster_id:
                    _apply_instance(cctx, instance, taskmanager_api,
                                    instance.configuration_id)
            for cluster in clusters:
                _apply_cluster(cctx, cluster, taskmanager_api,
                               cluster.configuration_id, members=None)
    return row


def _apply_instance(cctx, instance, taskmanager_api, configuration_id):
    """Move an idle instance to CONFIGURING with ``configuration_id`` and
    ask for the job; undone if no taskmanager takes it."""
    previous = (instance.task_status, instance.configuration_id)
    db_api.instance_update(
        cctx, instance.id,
        {'task_status': states.next_task(instance.task_status, 'configure'),
         'configuration_id': configuration_id},
        expected_task_status=instance.task_status)
    try:
        taskmanager_api.apply_configuration(cctx, instance.id)
    except Exception as exc:
        LOG.error('Could not ask a taskmanager to configure instance %s: '
                  '%s', instance.id, exc)
        try:
            db_api.instance_update(
                cctx, instance.id, {'task_status': previous[0],
                                    'configuration_id': previous[1]},
                expected_task_status=states.TASK_CONFIGURING)
        except exceptions.TroveMRError:
            LOG.warning('Instance %s changed task meanwhile; left as is',
                        instance.id)
        raise exceptions.ServiceUnavailable(
            'No taskmanager could be reached; nothing was changed. Try '
            'again later.') from exc


def _instance_for_action(cctx, tenant_id, instance_id):
    row = db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
    if row.cluster_id:
        raise exceptions.BadRequest(
            'Instance %s is a member of cluster %s; attach or detach the '
            'configuration group on the cluster.'
            % (instance_id, row.cluster_id))
    return row


def attach(context, tenant_id, instance_id, configuration_id,
           taskmanager_api):
    """Attach the tenant's group to its instance, then apply it (job)."""
    group = get(context, tenant_id, configuration_id)
    mapping = instances_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, mapping) as cctx:
        row = _instance_for_action(cctx, tenant_id, instance_id)
        if row.configuration_id:
            raise exceptions.BadRequest(
                'Instance %s already has configuration group %s; detach it '
                'first.' % (instance_id, row.configuration_id))
        _check_values(cctx, group, row.datastore_version)
        services.require_taskmanager(cctx)
        _apply_instance(cctx, row, taskmanager_api, group.id)


def detach(context, tenant_id, instance_id, taskmanager_api):
    """Detach an instance's group; its values go back to the defaults.
    Nothing happens to an instance without one."""
    mapping = instances_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, mapping) as cctx:
        row = _instance_for_action(cctx, tenant_id, instance_id)
        if not row.configuration_id:
            # As upstream Trove: nothing to detach is not an error.
            return
        services.require_taskmanager(cctx)
        _apply_instance(cctx, row, taskmanager_api, None)


def for_create(context, tenant_id, configuration_id, version):
    """The id of the group a new instance (of ``version``, a row of this
    API's cell) is created with, checked; None for none."""
    if not configuration_id:
        return None
    group = get(context, tenant_id, configuration_id)
    _check_values(context, group, version)
    return group.id


def show_instance_configuration(context, instance_row):
    """The group row of an instance, for its name; None if it has none
    or it cannot be read."""
    if not getattr(instance_row, 'configuration_id', None):
        return None
    try:
        return groups_db.configuration_get(context,
                                           instance_row.configuration_id)
    except exceptions.NotFound:
        return None


# -- clusters ---------------------------------------------------------------

def _apply_cluster(cctx, cluster, taskmanager_api, configuration_id,
                   members):
    """Move an idle cluster to UPDATING_CLUSTER with ``configuration_id``
    (on it and on ``members``, when given) and ask for the job."""
    task_id = states.CLUSTER_TASKS[CLUSTER_TASK][0]
    previous = cluster.configuration_id
    db_api.cluster_update(
        cctx, cluster.id, {'task_name': CLUSTER_TASK, 'task_id': task_id,
                           'configuration_id': configuration_id},
        expected_task_name='NONE')
    for member in members or ():
        db_api.instance_update(cctx, member.id,
                               {'configuration_id': configuration_id})
    try:
        taskmanager_api.apply_cluster_configuration(cctx, cluster.id)
    except Exception as exc:
        LOG.error('Could not ask a taskmanager to configure cluster %s: '
                  '%s', cluster.id, exc)
        for member in members or ():
            db_api.instance_update(cctx, member.id,
                                   {'configuration_id': previous})
        db_api.cluster_update(
            cctx, cluster.id, {'task_name': 'NONE', 'task_id': 1,
                               'configuration_id': previous},
            expected_task_name=CLUSTER_TASK)
        raise exceptions.ServiceUnavailable(
            'No taskmanager could be reached; nothing was changed. Try '
            'again later.') from exc


def _cluster(cctx, tenant_id, cluster_id):
    cluster = db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
    if cluster.task_name != 'NONE':
        raise exceptions.Conflict(
            'Cluster %s is busy (task %s); try again later.'
            % (cluster_id, cluster.task_name))
    return cluster


def cluster_attach(context, tenant_id, cluster_id, configuration_id,
                   taskmanager_api):
    """Attach a group to a cluster: applied on every member (job)."""
    group = get(context, tenant_id, configuration_id)
    mapping = _cluster_cell(context, cluster_id)
    with cells.owning_cell(context, mapping) as cctx:
        cluster = _cluster(cctx, tenant_id, cluster_id)
        if cluster.configuration_id:
            raise exceptions.BadRequest(
                'Cluster %s already has configuration group %s; detach it '
                'first.' % (cluster_id, cluster.configuration_id))
        _check_values(cctx, group, cluster.datastore_version)
        services.require_taskmanager(cctx)
        _apply_cluster(cctx, cluster, taskmanager_api, group.id,
                       db_api.instances_by_cluster(cctx, cluster_id))


def cluster_detach(context, tenant_id, cluster_id, taskmanager_api):
    """Detach a cluster's group from every member (job)."""
    mapping = _cluster_cell(context, cluster_id)
    with cells.owning_cell(context, mapping) as cctx:
        cluster = _cluster(cctx, tenant_id, cluster_id)
        if not cluster.configuration_id:
            raise exceptions.BadRequest(
                'Cluster %s has no configuration group to detach.'
                % cluster_id)
        services.require_taskmanager(cctx)
        _apply_cluster(cctx, cluster, taskmanager_api, None,
                       db_api.instances_by_cluster(cctx, cluster_id))


def _cluster_cell(context, cluster_id):
    try:
        return api_db.cluster_mapping_get(context, cluster_id)
    except exceptions.NotFound:
        raise exceptions.ClusterNotFound(
            'Cluster %s could not be found.' % cluster_id) from None
