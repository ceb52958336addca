"""What the backup controller asks for: create, list, show, delete,
and the registration of a backup from its URL (``restore_from``).

Backup records live in the cell that owns their instance, beside it; the
API database maps each backup id to that cell, as it does instances and
clusters, so every call addressing a backup by id (show, delete, restore
from it) works through any region's API. A backup made before backups
were mapped is looked for in every cell the first time it is addressed,
and mapped then. Backups are stored in the tenant's own object store
account of the instance's region, reached with the tenant's token, in the
container the request names, else the backup strategy's (the instance's,
else the project's), else ``backup_swift_container``.
"""

from oslo_log import log as logging
from oslo_utils import uuidutils

from trove_mr.api.domain import backup_routing
from trove_mr.api.domain import global_lists
from trove_mr.api.domain import instances as instance_domain
from trove_mr.api.domain import services
from trove_mr.common import backup_objects
from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.api import backups as backup_mappings
from trove_mr.db.api import quotas
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# A backup still being written cannot be deleted: its objects are in
# flight and the guest would report on a record that is gone.
_BUSY = ('NEW', 'BUILDING')


def _check_quota(cctx, tenant_id):
    limit = quotas.hard_limit(cctx, tenant_id, quotas.BACKUPS)
    if limit < 0:
        return
    used = db_api.backup_count(cctx, tenant_id)
    if used >= limit:
        raise exceptions.QuotaExceeded(
            'Quota exceeded for resources: backups (%d of %d used). Delete '
            'a backup first.' % (used, limit))


def create(context, tenant_id, body, taskmanager_api):
    """Accept a backup of ``body['instance']`` (NEW) and cast it, or
    register the backup at ``body['restore_from']``.

    The instance moves to BACKING_UP (409 if it is busy); 413 past
    ``max_backups_per_tenant``.
    """
    if body.get('restore_from'):
        return register(context, tenant_id, body)
    if not body.get('instance'):
        raise exceptions.BadRequest(
            "Invalid input for field 'backup.instance': it is required "
            "unless backup.restore_from is given.")
    instance_id = body['instance']
    container = body.get('swift_container') or \
        backup_mappings.backup_strategy_container(context, tenant_id,
                                                  instance_id) or \
        CONF.backup_swift_container
    mapping = instance_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, mapping) as cctx:
        instance = db_api.instance_get(cctx, instance_id,
                                       tenant_id=tenant_id)
        if instance.cluster_id:
            raise exceptions.BadRequest(
                "Invalid input for field 'backup.instance': instance %s "
                "is a cluster member." % instance_id)
        service = instance.status.status if instance.status else None
        if instance.task_status != states.TASK_NONE or \
                service != states.SERVICE_RUNNING:
            raise exceptions.Conflict(
                'Instance %s is %s; only a running instance can be backed '
                'up.' % (instance_id, states.display_status(
                    instance.task_status, service)))
        _check_quota(cctx, tenant_id)
        swift_url = clients.object_store_url(context, instance.region_name)
        if not swift_url:
            raise exceptions.BadRequest(
                'No object store of project %s is published in region %s; '
                'backups cannot be stored there.'
                % (tenant_id, instance.region_name))
        services.require_taskmanager(cctx)
        instance_domain.transition(cctx, instance, 'backup')
        backup_id = uuidutils.generate_uuid()
        # The control plane names the object: a guest's report never
        # decides where restores read from and deletes send the tenant's
        # token.
        row = db_api.backup_create(cctx, {
            'id': backup_id,
            'name': body['name'], 'description': body.get('description'),
            'tenant_id': tenant_id, 'instance_id': instance_id,
            'region_name': instance.region_name or CONF.region_name,
            'datastore_version_id': instance.datastore_version_id,
            'location': backup_objects.object_location(
                swift_url, container, backup_id)})
        backup_info = {'id': row.id, 'swift_url': swift_url,
                       'container': container}
        try:
            backup_mappings.backup_mapping_create(context, row.id,
                                                  mapping.uuid, tenant_id)
            taskmanager_api.create_backup(cctx, row.id, instance_id,
                                          backup_info)
        except Exception as exc:
            LOG.error('Could not ask a taskmanager for backup %s: %s',
                      row.id, exc)
            _unmap(context, row.id)
            db_api.backup_soft_delete(cctx, row.id)
            db_api.instance_update(cctx, instance_id,
                                   {'task_status': states.TASK_NONE})
            raise exceptions.ServiceUnavailable(
                'No taskmanager could be reached; no backup was '
                'made.') from exc
    return row


def versions_of(context, rows):
    """``{datastore_version_id: version row}`` for the rows' versions."""
    found = {}
    for version_id in {row.datastore_version_id for row in rows}:
        if not version_id:
            continue
        try:
            found[version_id] = db_api.datastore_version_get(context,
                                                             version_id)
        except exceptions.NotFound:
            pass
    return found


def view_versions(context, row):
    """The versions ``row``'s view needs, read in the backup's own cell
    (a backup of another region's instance is not in this API's)."""
    with cells.owning_cell(context, backup_routing.backup_cell(
            context, row.id, instance_domain.local_cell)) as cctx:
        return versions_of(cctx, [row])


def list_page(context, tenant_id, limit=None, marker=None,
              instance_id=None):
    """One page of the project's backups, this cell's or every cell's.

    Returns ``(rows, next_marker, limit, versions, unavailable_regions)``:
    ``versions`` maps datastore version ids to rows (read in each backup's
    own cell); unavailable_regions is None in local scope.
    """
    limit = min(limit or CONF.api.default_limit, CONF.api.max_limit)
    if global_lists.is_global():
        versions = {}

        def with_versions(cctx, backups):
            versions.update(versions_of(cctx, backups))
        rows, next_marker, unavailable = global_lists.page(
            context, 'backup', tenant_id, limit, marker,
            instance_id=instance_id, decorate=with_versions)
        return rows, next_marker, limit, versions, unavailable
    rows, next_marker = db_api.backup_list(
        context, tenant_id, limit=limit, marker=marker,
        instance_id=instance_id)
    return rows, next_marker, limit, versions_of(context, rows), None


def _unmap(context, backup_id):
    try:
        backup_mappings.backup_mapping_delete(context, backup_id)
    except exceptions.NotFound:
        pass


def get(context, tenant_id, backup_id):
    """A backup of ``tenant_id`` from its own cell; 404 for anyone
    else's."""
    with cells.owning_cell(context, backup_routing.backup_cell(
            context, backup_id, instance_domain.local_cell)) \
            as cctx:
        return db_api.backup_get(cctx, backup_id, tenant_id=tenant_id)


def show(context, tenant_id, backup_id):
    """``(backup, {version id: version})`` of a backup of ``tenant_id``,
    both read in the backup's own cell; 404 for anyone else's."""
    with cells.owning_cell(context, backup_routing.backup_cell(
            context, backup_id, instance_domain.local_cell)) \
            as cctx:
        row = db_api.backup_get(cctx, backup_id, tenant_id=tenant_id)
        return row, versions_of(cctx, [row])


def delete(context, tenant_id, backup_id, taskmanager_api):
    """Ask for a backup's objects and record to be removed (409 while it
    is still being written), by the taskmanagers of its own cell."""
    with cells.owning_cell(context, backup_routing.backup_cell(
            context, backup_id, instance_domain.local_cell)) \
            as cctx:
        row = db_api.backup_get(cctx, backup_id, tenant_id=tenant_id)
        if row.state in _BUSY:
            raise exceptions.Conflict('Backup %s is %s; wait until it is '
                                      'COMPLETED or FAILED.'
                                      % (row.id, row.state))
        services.require_taskmanager(cctx)
        try:
            taskmanager_api.delete_backup(cctx, backup_id)
        except Exception as exc:
            LOG.error('Could not ask a taskmanager to delete backup %s: '
                      '%s', backup_id, exc)
            raise exceptions.ServiceUnavailable(
                'No taskmanager could be reached; the backup was not '
                'deleted.') from exc
    return row


def _remote_account(context, location):
    """``(region, account URL)`` of the project's object store holding
    ``location``; 400 for any other URL (the API reads only the
    project's own stores)."""
    for region_name in regions.known_regions():
        url = clients.object_store_url(context, region_name)
        if url and backup_objects.split_under(url, location):
            return region_name, url
    raise exceptions.BadRequest(
        "Invalid input for field 'backup.restore_from.remote_location': "
        "%s is not an object in an object store of project %s in any "
        "region." % (location, context.project_id))


def _restore_version(context, version_id):
    if version_id:
        try:
            version = db_api.datastore_version_get(context, version_id)
        except exceptions.NotFound:
            raise exceptions.BadRequest(
                "Invalid input for field 'backup.restore_from."
                "local_datastore_version_id': datastore version %s does "
                "not exist." % version_id) from None
        return version
    return instance_domain.resolve_version(context)


def register(context, tenant_id, body):
    """Record the backup at ``restore_from.remote_location`` (possibly in
    another region) as a COMPLETED backup of this project, without
    copying it, so that instances can be restored from it.

    The URL must name an object of one of the project's object stores
    that is a complete backup (type, checksum and size metadata); 400
    otherwise. The record points at the object and does not own it:
    deleting the record leaves the object.
    """
    source = body['restore_from']
    location = source['remote_location']
    region_name, account_url = _remote_account(context, location)
    try:
        info = backup_objects.remote_backup_info(context, location,
                                                 account_url)
    except backup_objects.BackupError as exc:
        raise exceptions.BadRequest(
            "Invalid input for field 'backup.restore_from.remote_location'"
            ": %s" % exc) from None
    version = _restore_version(context,
                               source.get('local_datastore_version_id'))
    home_cell = instance_domain.local_cell(context)
    backup_id = uuidutils.generate_uuid()
    with cells.owning_cell(context, home_cell) as cctx:
        _check_quota(cctx, tenant_id)
        row = db_api.backup_create(cctx, {
            'id': backup_id, 'name': body['name'],
            'description': body.get('description'),
            'tenant_id': tenant_id, 'instance_id': None,
            'region_name': region_name,
            'datastore_version_id': version.id,
            'location': location, 'checksum': info['checksum'],
            'size': source.get('size') or round(
                info['size'] / (1024.0 * 1024.0), 6),
            'state': 'COMPLETED'})
        try:
            backup_mappings.backup_mapping_create(context, backup_id,
                                                  home_cell.uuid, tenant_id)
        except Exception:
            db_api.backup_soft_delete(cctx, backup_id)
            raise
    LOG.info('Backup %s registered from %s', backup_id, location)
    return row
