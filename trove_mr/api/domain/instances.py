"""What the instance controller asks for: create, list, show, rename,
restart and delete, with every check beyond the JSON schema.

The controller passes the request context, the project of the URL and the
taskmanager RPC client; this module reads and writes the databases (the
API database for quotas and mappings, the owning cell's for instances) and
casts to the owning cell's taskmanager.
"""

import secrets

from oslo_log import log as logging
from oslo_utils import uuidutils

from trove_mr.api.domain import access as access_domain
from trove_mr.api.domain import backup_routing
from trove_mr.api.domain import networks as networks_domain
from trove_mr.api.domain import placement as placement_domain
from trove_mr.api.domain import scatter
from trove_mr.api.domain import services
from trove_mr.api.domain import volume_types
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import rpc
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.api import quotas
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# Fields of Trove's create body that a Redis instance cannot honour here,
# with why; an empty value is harmless and ignored.
_UNSUPPORTED = {
    'databases': 'Redis has no databases to create',
    'users': 'Redis has no users to create',
    'modules': 'modules are not supported',
    'replica_of': 'replication is not supported for single instances',
    'replica_count': 'replication is not supported for single instances',
    'locality': 'server groups are not supported',
    'availability_zone': 'availability zones are not supported; choose a '
                         'region',
}


def _refuse_unsupported(body):
    for field, why in sorted(_UNSUPPORTED.items()):
        if body.get(field):
            raise exceptions.BadRequest(
                "Invalid input for field 'instance.%s': %s." % (field, why))


def _placement_region(body):
    region = body.get('region')
    region_name = body.get('region_name')
    if region and region_name and region != region_name:
        raise exceptions.BadRequest(
            "Invalid input for field 'instance.region': '%s' differs from "
            "instance.region_name '%s'." % (region, region_name))
    return region or region_name or CONF.region_name


def _volume_size(body):
    volume = body.get('volume')
    if not volume:
        raise exceptions.BadRequest(
            "Invalid input for field 'instance.volume': a volume size is "
            "required for Redis instances.")
    size = volume['size']
    if size > CONF.max_accepted_volume_size:
        raise exceptions.BadRequest(
            "Invalid input for field 'instance.volume.size': %d GB is more "
            "than the maximum of %d GB." % (size,
                                            CONF.max_accepted_volume_size))
    return size, volume.get('type') or CONF.cinder_volume_type


def resolve_version(context, datastore=None):
    """The datastore version a create asks for (``datastore`` dict).

    No type means ``default_datastore``; no version means the datastore's
    default. An inactive version is refused.
    """
    datastore = datastore or {}
    name = datastore.get('type') or CONF.default_datastore
    if not name:
        raise exceptions.BadRequest(
            "Invalid input for field 'instance.datastore.type': it is "
            "required (no default datastore is configured).")
    wanted = datastore.get('version') or datastore.get('version_number')
    if wanted:
        version = db_api.datastore_version_get_by_name(context, name, wanted)
    else:
        version = db_api.datastore_version_get_default(context, name)
    if not version.active:
        raise exceptions.BadRequest(
            "Datastore version '%s' of '%s' is not active."
            % (version.name, version.datastore.name))
    return version


def local_cell(context):
    """The region mapping of this control plane's own cell.

    A fresh single-cell deployment has none yet: register it from this
    process's own bus and database (idempotent under races).
    """
    try:
        return api_db.region_mapping_get(context, CONF.region_name)
    except exceptions.RegionMappingNotFound:
        pass
    # oslo.messaging registers transport_url when it makes a transport.
    rpc.get_transport()
    try:
        return api_db.region_mapping_create(
            context, CONF.region_name, CONF.transport_url,
            CONF.database.connection)
    except exceptions.Conflict:
        return api_db.region_mapping_get(context, CONF.region_name)


def _backup_info(context, tenant_id, restore_point):
    if not restore_point:
        return None
    # The backup may be owned by another region's cell.
    backup_id = restore_point['backupRef']
    with cells.owning_cell(context, backup_routing.backup_cell(
            context, backup_id, local_cell)) as cctx:
        backup = db_api.backup_get(cctx, backup_id, tenant_id=tenant_id)
    if backup.state != 'COMPLETED':
        raise exceptions.BadRequest(
            "Invalid input for field 'instance.restorePoint.backupRef': "
            "backup %s is %s, not COMPLETED." % (backup.id, backup.state))
    return {'id': backup.id, 'location': backup.location,
            'checksum': backup.checksum,
            'region': backup.region_name or CONF.region_name}


def create(context, tenant_id, body, taskmanager_api, password=None):
    """Accept a create: checks, quota, row + mapping, then the cast.

    ``body`` is the validated ``instance`` object. Returns
    ``(instance row, password)``; the password (generated unless given)
    is shown once, never stored.
    Nothing is reserved or written before every check passed, the
    owning cell's live taskmanager included (503 naming its region).
    """
    _refuse_unsupported(body)
    access = access_domain.for_create(body)
    volume_size, volume_type = _volume_size(body)
    region_name = _placement_region(body)
    version = resolve_version(context, body.get('datastore'))
    home_cell = local_cell(context)
    placement = placement_domain.decide(context, version, body['flavorRef'],
                                        region_name, home_cell)
    network = networks_domain.request(tenant_id, body, region_name)
    if network:
        placement['network'] = network
    if not (body.get('volume') or {}).get('type'):
        volume_type = volume_types.default_volume_type(
            version, body['flavorRef'], placement['flavor_id']) or \
            volume_type
    volume_types.check(context, region_name, volume_type,
                       'instance.volume.type')
    backup_info = _backup_info(context, tenant_id, body.get('restorePoint'))
    configuration_id = _configuration(context, tenant_id, body, version)
    with cells.owning_cell(context, home_cell) as cctx:
        services.require_taskmanager(cctx)

    quotas.reserve(context, tenant_id, volume_size)
    instance_id = uuidutils.generate_uuid()
    password = password or secrets.token_urlsafe(24)
    try:
        with cells.target_cell(context, home_cell) as cctx:
            row = db_api.instance_create(cctx, {
                'id': instance_id, 'name': body['name'],
                'tenant_id': tenant_id, 'region_name': region_name,
                'flavor_id': str(placement['flavor_id']),
                'volume_size': volume_size, 'volume_type': volume_type,
                'datastore_version_id': version.id,
                'task_status': states.TASK_BUILDING,
                'status': states.SERVICE_NEW, 'access': access,
                'configuration_id': configuration_id})
            try:
                api_db.instance_mapping_create(context, instance_id,
                                               home_cell.uuid, tenant_id)
            except Exception:
                db_api.instance_soft_delete(cctx, instance_id)
                raise
            try:
                taskmanager_api.create_instance(
                    cctx, instance_id, placement, password,
                    backup_info=backup_info)
            except Exception as exc:
                LOG.error('Could not ask a taskmanager to build instance '
                          '%s: %s', instance_id, exc)
                db_api.instance_soft_delete(cctx, instance_id)
                api_db.instance_mapping_delete(context, instance_id)
                raise exceptions.ServiceUnavailable(
                    'No taskmanager could be reached; nothing was '
                    'built.') from exc
    except Exception:
        quotas.release(context, tenant_id, volume_size)
        raise
    return row, password


def instance_cell(context, instance_id):
    """The region mapping of the cell owning an instance; 404 if none."""
    try:
        return api_db.instance_mapping_get(context, instance_id)
    except exceptions.NotFound:
        raise exceptions.InstanceNotFound(
            'Instance %s could not be found.' % instance_id) from None


def show(context, tenant_id, instance_id):
    """A live instance of ``tenant_id``; 404 for anyone else's."""
    with cells.owning_cell(context, instance_cell(context, instance_id)) \
            as cctx:
        return db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)


def list_page(context, tenant_id, limit=None, marker=None,
              include_clustered=False):
    """One page of the project's instances, from the databases only.

    ``[api] instance_list_scope`` says whose: ``local`` lists this
    process's own cell, ``global`` every mapped cell, merged in (created,
    id) order, with the marker working across cells. Returns
    ``(rows, next_marker, limit, unavailable_regions)``; the limit is
    capped at ``[api] max_limit``; unavailable_regions is None in local
    scope and the sorted names of the cells skipped otherwise.
    """
    limit = min(limit or CONF.api.default_limit, CONF.api.max_limit)
    if CONF.api.instance_list_scope != 'global':
        rows, next_marker = db_api.instance_list(
            context, tenant_id, limit=limit, marker=marker,
            include_clustered=include_clustered)
        return rows, next_marker, limit, None
    after = _global_marker_key(context, tenant_id, marker)

    def cell_keys(cctx, cell_limit, cell_after):
        return db_api.instance_list_keys(
            cctx, tenant_id, cell_limit, after=cell_after,
            include_clustered=include_clustered)

    def cell_page(cctx, cell_limit, cell_after, preload):
        return db_api.instance_list_page(
            cctx, tenant_id, cell_limit, preload, after=cell_after,
            include_clustered=include_clustered)

    rows, last, unavailable = scatter.merged_page(
        context, cell_keys, db_api.instance_get_many, limit, after=after,
        page_fn=cell_page)
    return rows, (last.id if last is not None else None), limit, \
        unavailable


def _global_marker_key(context, tenant_id, marker):
    """The (created, id) key of a marker, from the cell that owns it.

    A deleted instance's mapping is gone: then every cell is asked.
    """
    if marker is None:
        return None
    try:
        mappings = [api_db.instance_mapping_get(context, marker)]
    except exceptions.NotFound:
        mappings = None
    found, unavailable = scatter.gather(
        context, lambda cctx, mapping: db_api.instance_marker_key(
            cctx, marker, tenant_id=tenant_id), mappings=mappings)
    keys = [key for key in found.values() if key is not None]
    if keys:
        return keys[0]
    if unavailable:
        raise exceptions.ServiceUnavailable(
            'Region %s is unavailable: the marker %s cannot be looked up '
            'there. Try again later.' % (', '.join(unavailable), marker))
    raise exceptions.BadRequest('Invalid marker: %s was not found.' % marker)


def rename(context, tenant_id, instance_id, name):
    """Change an instance's name."""
    with cells.owning_cell(context, instance_cell(context, instance_id)) \
            as cctx:
        db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
        return db_api.instance_update(cctx, instance_id, {'name': name})


def transition(cctx, row, event):
    """Move the instance's task by ``event``; 409 if the machine refuses."""
    new_task = states.next_task(row.task_status, event)
    return db_api.instance_update(cctx, row.id, {'task_status': new_task},
                                  expected_task_status=row.task_status)


def _cast_or_undo(cctx, row, previous_task, cast):
    """Cast the task's work; if no taskmanager takes it, undo the task.

    Without this a failed cast would leave the instance in a task nobody
    works on, refusing every later action.
    """
    try:
        cast(cctx, row.id)
    except Exception as exc:
        LOG.error('Could not ask a taskmanager to work on instance %s: %s',
                  row.id, exc)
        try:
            db_api.instance_update(cctx, row.id,
                                   {'task_status': previous_task},
                                   expected_task_status=row.task_status)
        except exceptions.TroveMRError:
            LOG.warning('Instance %s changed task meanwhile; left as is',
                        row.id)
        raise exceptions.ServiceUnavailable(
            'No taskmanager could be reached; nothing was changed. Try '
            'again later.') from exc


def restart(context, tenant_id, instance_id, taskmanager_api):
    """Restart the datastore of an instance (task REBOOTING)."""
    with cells.owning_cell(context, instance_cell(context, instance_id)) \
            as cctx:
        row = db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
        if row.cluster_id:
            raise exceptions.BadRequest(
                'Instance %s is a member of cluster %s; act on the cluster.'
                % (instance_id, row.cluster_id))
        services.require_taskmanager(cctx)
        previous = row.task_status
        row = transition(cctx, row, 'restart')
        _cast_or_undo(cctx, row, previous, taskmanager_api.restart_instance)
        return row


def delete(context, tenant_id, instance_id, taskmanager_api):
    """Delete an instance (task DELETING); the taskmanager does the rest."""
    with cells.owning_cell(context, instance_cell(context, instance_id)) \
            as cctx:
        row = db_api.instance_get(cctx, instance_id,
                                  tenant_id=owner_filter(context, tenant_id))
        if row.cluster_id:
            raise exceptions.BadRequest(
                'Instance %s is a member of cluster %s; delete the cluster '
                'or shrink it.' % (instance_id, row.cluster_id))
        _refuse_master_with_replicas(cctx, row)
        services.require_taskmanager(cctx)
        previous = row.task_status
        row = transition(cctx, row, 'delete')
        _cast_or_undo(cctx, row, previous, taskmanager_api.delete_instance)
    # The quota comes back once the taskmanager has deleted it, exactly
    # once however often a failed delete is retried.
    return row


def update_access(context, tenant_id, instance_id, requested,
                  taskmanager_api=None):
    """Change who may reach an instance (``access``); see
    :mod:`trove_mr.api.domain.access`. With ``taskmanager_api``, the
    stored access is then applied to the instance's security group and
    floating IP (a job); no live taskmanager: 503, nothing stored."""
    mapping = instance_cell(context, instance_id)
    if taskmanager_api is not None:
        with cells.owning_cell(context, mapping) as cctx:
            services.require_taskmanager(cctx)
    row = access_domain.update(context, tenant_id, instance_id, requested,
                               mapping)
    if taskmanager_api is not None:
        networks_domain.apply_access(context, row, mapping,
                                     taskmanager_api)
    return row


def owner_filter(context, tenant_id):
    """The project to check an instance's ownership against: none for an
    admin, who reaches any project's instance by id through their own
    URL (as in Trove); ``tenant_id`` for everyone else."""
    if context.is_admin or 'admin' in (context.roles or ()):
        return None
    return tenant_id


def _refuse_master_with_replicas(cctx, row):
    """A master that still has replicas (other than ones being deleted)
    is not deleted (400)."""
    replicas = [r for r in db_api.instance_replicas(cctx, [row.id])[row.id]
                if r.task_status != states.TASK_DELETING]
    if replicas:
        raise exceptions.BadRequest(
            'Instance %s is the replica source of %s; promote one of its '
            'replicas to replica source or detach them first, then delete '
            'it.' % (row.id, ', '.join(sorted(r.id for r in replicas))))


def _configuration(context, tenant_id, body, version):
    """The configuration group the new instance starts with, checked."""
    # Imported here: the configurations domain builds on this module.
    from trove_mr.api.domain import configurations
    return configurations.for_create(context, tenant_id,
                                     body.get('configuration'), version)
