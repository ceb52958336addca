"""What the cluster controller asks for: create, list, show, show a
member, grow, shrink and delete, with every check beyond the JSON schema.

Datastore-specific checks come from the datastore's API strategy
(``[redis] api_strategy``); the work is cast to the owning cell's
taskmanager. The cluster's task is its lock: an action moves it with a
conditional UPDATE from NONE (409 naming the current task otherwise).
"""

from oslo_log import log as logging
from oslo_utils import uuidutils

from trove_mr.api.domain import global_lists
from trove_mr.api.domain import instances as instance_domain
from trove_mr.api.domain import networks as networks_domain
from trove_mr.api.domain import placement as placement_domain
from trove_mr.api.domain import services
from trove_mr.api.domain import volume_types
from trove_mr.cluster import strategy
from trove_mr.cluster.redis import password as cluster_password
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.api import quotas
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def _task_values(task_name):
    task_id, description = states.CLUSTER_TASKS[task_name]
    return {'task_id': task_id, 'task_name': task_name,
            'task_description': description}


def _manager(row):
    return row.datastore_version.manager


def _placements(context, version, plans, home_cell, tenant_id=None):
    """Run the cross-region checks once per (region, flavor) asked, and
    each member's ``nics`` in its own region."""
    for plan in plans:
        if plan.get('nics'):
            plan['network'] = networks_domain.request(
                tenant_id, {'nics': plan['nics']}, plan['region'],
                plan['field'])
    checked = {}
    for plan in plans:
        key = (plan['region'], plan['flavor_ref'])
        if key in checked:
            continue
        checked[key] = placement_domain.decide(
            context, version, plan['flavor_ref'], plan['region'], home_cell)
    for region, volume_type in sorted({(p['region'], p['volume_type'])
                                       for p in plans
                                       if p['volume_type']}):
        volume_types.check(context, region, volume_type,
                           'instances.volume.type')
    return {id(plan): checked[(plan['region'], plan['flavor_ref'])]
            for plan in plans}


def _reserve(context, tenant_id, plans):
    reserved = []
    try:
        for plan in plans:
            quotas.reserve(context, tenant_id, plan['volume_size'])
            reserved.append(plan['volume_size'])
    except Exception:
        for size in reserved:
            quotas.release(context, tenant_id, size)
        raise


def _release(context, tenant_id, sizes):
    for size in sizes:
        quotas.release(context, tenant_id, size)


def _write_members(cctx, context, cluster, version, plans, placements,
                   home_cell, existing=()):
    """Member rows (BUILDING) and their mappings; ``{id: placement}``."""
    ids_by_name = {row.name: row.id for row in existing}
    for plan in plans:
        plan['id'] = uuidutils.generate_uuid()
        ids_by_name[plan['name']] = plan['id']
    cast = {}
    for plan in plans:
        related = plan['related_to']
        placement = placements[id(plan)]
        if plan.get('network'):
            placement = dict(placement, network=plan['network'])
        db_api.instance_create(cctx, {
            'id': plan['id'], 'name': plan['name'],
            'tenant_id': cluster.tenant_id, 'region_name': plan['region'],
            'flavor_id': str(placement['flavor_id']),
            'volume_size': plan['volume_size'],
            'volume_type': plan['volume_type'],
            'datastore_version_id': version.id,
            'cluster_id': cluster.id, 'type': plan['type'],
            'related_to': ids_by_name.get(related, related),
            'task_status': states.TASK_BUILDING,
            'status': states.SERVICE_NEW,
            'configuration_id': cluster.configuration_id})
        api_db.instance_mapping_create(context, plan['id'], home_cell.uuid,
                                       cluster.tenant_id)
        cast[plan['id']] = placement
    return cast


def _forget_members(cctx, context, instance_ids):
    for instance_id in instance_ids:
        try:
            db_api.instance_soft_delete(cctx, instance_id)
        except exceptions.NotFound:
            pass
        try:
            api_db.instance_mapping_delete(context, instance_id)
        except exceptions.NotFound:
            pass


def create(context, tenant_id, body, taskmanager_api, extra_values=None):
    """Accept a cluster create; ``(cluster, members, password)``.

    ``extra_values``: further cluster columns (its standby region).

    Nothing is reserved or written before every check passed; the
    password (shared by every member) is shown once.
    """
    version = instance_domain.resolve_version(context, body.get('datastore'))
    strategy.check_support(version.manager)
    api_strategy = strategy.api_strategy(version.manager)
    plans = api_strategy.member_plans(body['instances'], body['name'])
    configuration_id = _configuration(context, tenant_id, body, version)
    home_cell = instance_domain.local_cell(context)
    placements = _placements(context, version, plans, home_cell,
                             tenant_id)
    with cells.owning_cell(context, home_cell) as cctx:
        services.require_taskmanager(cctx)
    _reserve(context, tenant_id, plans)
    cluster_id = uuidutils.generate_uuid()
    written = False
    try:
        with cells.target_cell(context, home_cell) as cctx:
            values = {'id': cluster_id, 'name': body['name'],
                      'tenant_id': tenant_id,
                      'region_name': CONF.region_name,
                      'datastore_version_id': version.id,
                      'configuration_id': configuration_id}
            values.update(extra_values or {})
            values.update(_task_values('BUILDING_INITIAL'))
            password, values['encrypted_password'] = \
                cluster_password.new_sealed_password(cluster_id)
            cluster = db_api.cluster_create(cctx, values)
            api_db.cluster_mapping_create(context, cluster_id,
                                          home_cell.uuid, tenant_id)
            written = True
            cast = _write_members(cctx, context, cluster, version, plans,
                                  placements, home_cell)
            try:
                taskmanager_api.create_cluster(cctx, cluster_id, cast)
            except Exception as exc:
                raise exceptions.ServiceUnavailable(
                    'No taskmanager could be reached; nothing was '
                    'built.') from exc
            members = db_api.instances_by_cluster(cctx, cluster_id)
    except Exception:
        if written:
            with cells.target_cell(context, home_cell) as cctx:
                _forget_members(cctx, context,
                                [p['id'] for p in plans if 'id' in p])
                db_api.cluster_soft_delete(cctx, cluster_id)
                api_db.cluster_mapping_delete(context, cluster_id)
        _release(context, tenant_id, [p['volume_size'] for p in plans])
        raise
    return cluster, members, password


def _owning_cell(context, cluster_id):
    try:
        return api_db.cluster_mapping_get(context, cluster_id)
    except exceptions.NotFound:
        raise exceptions.ClusterNotFound(
            'Cluster %s could not be found.' % cluster_id) from None


def _in_cell(context, cluster_id):
    return cells.target_cell(context, _owning_cell(context, cluster_id))


def show(context, tenant_id, cluster_id):
    """``(cluster, members)`` of ``tenant_id``; 404 for anyone else's.

    A cell that does not answer may have lost the cluster to its standby
    region's cell (a takeover): the mapping is then read again, not
    from the cache, and the new cell asked.
    """
    mapping = _owning_cell(context, cluster_id)
    try:
        return _show_in(context, mapping, tenant_id, cluster_id)
    except Exception as exc:
        if not cells.is_unreachable_error(exc):
            raise
        fresh = api_db.cluster_mapping_refresh(context, cluster_id)
        if fresh.uuid == mapping.uuid:
            raise
    return _show_in(context, fresh, tenant_id, cluster_id)


def _show_in(context, mapping, tenant_id, cluster_id):
    with cells.target_cell(context, mapping) as cctx:
        cluster = db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
        return cluster, db_api.instances_by_cluster(cctx, cluster_id)


def show_instance(context, tenant_id, cluster_id, instance_id):
    """A member of a cluster (with its volume used)."""
    with _in_cell(context, cluster_id) as cctx:
        db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
        try:
            row = db_api.instance_get(cctx, instance_id,
                                      tenant_id=tenant_id)
        except exceptions.InstanceNotFound:
            row = None
        if row is None or row.cluster_id != cluster_id:
            raise exceptions.InstanceNotFound(
                'Instance %s not found in cluster %s.'
                % (instance_id, cluster_id))
        return row


def list_page(context, tenant_id, limit=None, marker=None):
    """One page of the project's clusters with their members.

    In local scope this cell's (2 queries); in global scope every cell's,
    each cluster's members read in its own cell. Returns ``(clusters,
    members_by_cluster, next_marker, limit, unavailable_regions)``;
    unavailable_regions is None in local scope.
    """
    limit = min(limit or CONF.api.default_limit, CONF.api.max_limit)
    if global_lists.is_global():
        members = {}

        def with_members(cctx, clusters):
            members.update(db_api.members_of_clusters(
                cctx, [c.id for c in clusters]))
        rows, next_marker, unavailable = global_lists.page(
            context, 'cluster', tenant_id, limit, marker,
            decorate=with_members)
        return rows, members, next_marker, limit, unavailable
    rows, next_marker = db_api.cluster_list(context, tenant_id,
                                            limit=limit, marker=marker)
    members = db_api.members_of_clusters(context,
                                               [r.id for r in rows])
    return rows, members, next_marker, limit, None


def _refuse_busy(cluster, allowed=('NONE',)):
    """409 naming the task unless the cluster's task is in ``allowed``."""
    if cluster.task_name not in allowed:
        raise exceptions.Conflict(
            'Cluster %s is busy: its task is %s; try again when it is '
            '%s.' % (cluster.id, cluster.task_name, ' or '.join(allowed)))


def _lock(cctx, cluster, task_name, allowed=('NONE',)):
    """Move the cluster to ``task_name`` from one of ``allowed``; 409."""
    _refuse_busy(cluster, allowed)
    try:
        return db_api.cluster_update(cctx, cluster.id,
                                     _task_values(task_name),
                                     expected_task_name=list(allowed))
    except exceptions.UnexpectedTaskState:
        current = db_api.cluster_get(cctx, cluster.id)
        raise exceptions.Conflict(
            'Cluster %s is busy: its task is %s.'
            % (cluster.id, current.task_name)) from None


def _cast_or_unlock(cctx, cluster, task_name, cast):
    """Cast; if no taskmanager takes it, give the cluster its task back.

    Answers 503: a cluster must never stay in a task nobody works on.
    """
    try:
        cast()
    except Exception as exc:
        LOG.error('Could not ask a taskmanager to work on cluster %s: %s',
                  cluster.id, exc)
        db_api.cluster_update(cctx, cluster.id,
                              _task_values(cluster.task_name),
                              expected_task_name=task_name)
        raise exceptions.ServiceUnavailable(
            'No taskmanager could be reached; the cluster is unchanged.'
        ) from exc


def grow(context, tenant_id, cluster_id, specs, taskmanager_api,
         rebalance=False, submit=None):
    """Add members (empty masters, or slaves of a master); 202. With
    ``rebalance`` the new masters then get their share of the slots.

    ``submit(cctx, placements)``: asks a taskmanager for another job
    than the grow's, building the same new members."""
    with _in_cell(context, cluster_id) as cctx:
        cluster = db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
        strategy.check_support(_manager(cluster))
        _refuse_busy(cluster)
        existing = db_api.instances_by_cluster(cctx, cluster_id)
        plans = strategy.api_strategy(_manager(cluster)).member_plans(
            specs, cluster.name, existing=existing, field='grow')
        version = cluster.datastore_version
        home_cell = _owning_cell(context, cluster_id)
        placements = _placements(context, version, plans, home_cell,
                                 tenant_id)
        services.require_taskmanager(cctx)
        _reserve(context, tenant_id, plans)
        locked = False
        try:
            cluster = _lock(cctx, cluster, 'GROWING_CLUSTER')
            locked = True
            cast = _write_members(cctx, context, cluster, version, plans,
                                  placements, home_cell, existing)
            if submit is not None:
                submit(cctx, cast)
            elif rebalance:
                taskmanager_api.grow_cluster(cctx, cluster_id, cast,
                                             rebalance=True)
            else:
                taskmanager_api.grow_cluster(cctx, cluster_id, cast)
        except Exception:
            _forget_members(cctx, context,
                            [p['id'] for p in plans if 'id' in p])
            if locked:
                db_api.cluster_update(cctx, cluster_id, _task_values('NONE'))
            _release(context, tenant_id, [p['volume_size'] for p in plans])
            raise
        new_ids = set(cast)
        return cluster, [m for m in db_api.instances_by_cluster(
            cctx, cluster_id) if m.id in new_ids]


def shrink(context, tenant_id, cluster_id, instance_ids, taskmanager_api,
           drain=False):
    """Remove members that own no slots (403 otherwise); 202.

    With ``drain`` the leaving masters' slots first move to the masters
    that stay (their replicas must leave with them).
    """
    with _in_cell(context, cluster_id) as cctx:
        cluster = db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
        strategy.check_support(_manager(cluster))
        _refuse_busy(cluster, ('NONE', 'FAILED'))
        members = {m.id: m for m in db_api.instances_by_cluster(
            cctx, cluster_id)}
        removed = []
        for instance_id in dict.fromkeys(instance_ids):
            if instance_id not in members:
                raise exceptions.InstanceNotFound(
                    'Instance %s does not exist.' % instance_id)
            removed.append(members[instance_id])
        if len(removed) == len(members):
            raise exceptions.BadRequest(
                'A shrink cannot remove every member; delete the cluster '
                'instead.')
        if drain:
            _check_drain(cluster, members, removed)
        # Before asking the guests too: they are slower than the check.
        services.require_taskmanager(cctx)
        ids = [m.id for m in removed]
        if drain:
            _lock(cctx, cluster, 'SHRINKING_CLUSTER')
            _cast_or_unlock(cctx, cluster, 'SHRINKING_CLUSTER',
                            lambda: taskmanager_api.shrink_cluster(
                                cctx, cluster_id, ids, None, drain=True))
            return
        node_ids = strategy.api_strategy(
            _manager(cluster)).shrink_node_ids(cctx, removed)
        _lock(cctx, cluster, 'SHRINKING_CLUSTER',
              allowed=('NONE', 'FAILED'))
        _cast_or_unlock(cctx, cluster, 'SHRINKING_CLUSTER',
                        lambda: taskmanager_api.shrink_cluster(
                            cctx, cluster_id, ids, node_ids))
    # The quota of removed members comes back when the taskmanager has
    # really deleted each one (trove_mr.flows.delete_instance).


def _check_drain(cluster, members, removed):
    """A drain needs a running cluster, a master that stays, and the
    replicas of every leaving master leaving too (400 naming them)."""
    _refuse_busy(cluster)
    busy = sorted(m.id for m in members.values()
                  if m.task_status != states.TASK_NONE)
    if busy:
        raise exceptions.Conflict(
            'Cluster %s cannot drain while members %s are busy.'
            % (cluster.id, ', '.join(busy)))
    leaving = {m.id for m in removed}
    masters = [m for m in members.values()
               if (m.type or 'master') == 'master']
    if all(m.id in leaving for m in masters):
        raise exceptions.BadRequest(
            'A drain needs at least one master that stays.')
    orphans = sorted(m.id for m in members.values()
                     if m.type == 'slave' and m.related_to in leaving
                     and m.id not in leaving)
    if orphans:
        raise exceptions.BadRequest(
            "Invalid input for field 'shrink': the replicas %s of a drained "
            'master must be removed with it.' % ', '.join(orphans))


def delete(context, tenant_id, cluster_id, taskmanager_api):
    """Delete a cluster with every member (task DELETING); 202."""
    with _in_cell(context, cluster_id) as cctx:
        cluster = db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
        services.require_taskmanager(cctx)
        _lock(cctx, cluster, 'DELETING',
              allowed=('NONE', 'FAILED', 'DELETING'))
        _cast_or_unlock(cctx, cluster, 'DELETING',
                        lambda: taskmanager_api.delete_cluster(cctx,
                                                               cluster_id))
    # Each member's quota comes back as the taskmanager deletes it.


def rebalance(context, tenant_id, cluster_id, weights, taskmanager_api):
    """Move hash slots online so masters own shares by weight; 202.

    ``weights`` maps master member ids to a weight (1 when absent; 0
    empties a master). Every member must be running and no other task
    may be on the cluster.
    """
    with _in_cell(context, cluster_id) as cctx:
        cluster = db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
        strategy.check_support(_manager(cluster))
        _refuse_busy(cluster)
        members = db_api.instances_by_cluster(cctx, cluster_id)
        masters = {m.id for m in members if (m.type or 'master') == 'master'}
        unknown = sorted(set(weights) - masters)
        if unknown:
            raise exceptions.BadRequest(
                "Invalid input for field 'rebalance.weights': %s %s not a "
                'master of cluster %s.' % (', '.join(unknown),
                                           'is' if len(unknown) == 1
                                           else 'are', cluster_id))
        if not any(weights.get(m, 1) > 0 for m in masters):
            raise exceptions.BadRequest(
                "Invalid input for field 'rebalance.weights': at least one "
                'master needs a weight above 0.')
        busy = sorted(m.id for m in members
                      if m.task_status != states.TASK_NONE)
        if busy:
            raise exceptions.Conflict(
                'Cluster %s cannot rebalance while members %s are busy.'
                % (cluster_id, ', '.join(busy)))
        services.require_taskmanager(cctx)
        _lock(cctx, cluster, 'REBALANCING')
        _cast_or_unlock(cctx, cluster, 'REBALANCING',
                        lambda: taskmanager_api.rebalance_cluster(
                            cctx, cluster_id, weights))


def _configuration(context, tenant_id, body, version):
    """The configuration group every member starts with, checked."""
    # Imported here: the configurations domain builds on the instances'.
    from trove_mr.api.domain import configurations
    return configurations.for_create(context, tenant_id,
                                     body.get('configuration'), version)
