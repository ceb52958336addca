"""What the admin (``/mgmt``) controllers ask for.

Every project's instances, over every cell (two queries per cell,
whatever the page size), with where each one runs; one instance with its
server and volume; the admin actions: reboot and rebuild (jobs),
reset-status and
reset-task-status of instances, reset of a cluster's task. Resets only
rewrite states so the owner can act again; they delete nothing.
"""

import threading
import time

from oslo_log import log as logging

from trove_mr.api.domain import global_lists
from trove_mr.api.domain import instances as instance_domain
from trove_mr.api.domain import scatter
from trove_mr.api.domain import services
from trove_mr.api.domain import upgrade as upgrade_domain
from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db import engines
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

HOST_ATTR = 'OS-EXT-SRV-ATTR:host'


def list_page(context, limit=None, marker=None, deleted=False,
              include_clustered=False, project_id=None):
    """One page of every project's instances, over every cell.

    Returns ``(rows, hosts, next_marker, limit, unavailable_regions)``;
    ``hosts`` maps server ids to their compute host (one Nova list per
    region of the page, in parallel).
    """
    limit = min(limit or CONF.api.default_limit, CONF.api.max_limit)
    after = _marker_key(context, marker)

    def keys(cctx, cell_limit, cell_after):
        return db_api.admin_instance_list_keys(
            cctx, cell_limit, after=cell_after, deleted=deleted,
            project_id=project_id, include_clustered=include_clustered)

    rows, last, unavailable = scatter.merged_page(
        context, keys, db_api.instance_get_many, limit, after=after,
        cell_read=engines.region_read)
    hosts = server_hosts(context, rows)
    return rows, hosts, (last.id if last is not None else None), limit, \
        unavailable


def _marker_key(context, marker):
    if marker is None:
        return None
    found, unavailable = scatter.gather(
        context, lambda cctx, mapping: db_api.admin_instance_marker_key(
            cctx, marker))
    keys = [key for key in found.values() if key is not None]
    if keys:
        return keys[0]
    if unavailable:
        raise exceptions.ServiceUnavailable(
            'Region %s is unavailable: the marker %s cannot be looked up '
            'there. Try again later.' % (', '.join(unavailable), marker))
    raise exceptions.BadRequest('Invalid marker: %s was not found.' % marker)


def _region_hosts(context, region_name, server_ids, found, done):
    hosts = {}
    try:
        nova = clients.create_nova_client(context, region_name)
        for server in nova.servers.list(detailed=True, limit=-1):
            if server.id in server_ids:
                hosts[server.id] = getattr(server, HOST_ATTR, None)
    except Exception as exc:  # noqa: BLE001 - hosts are best effort
        LOG.warning('Could not list the servers of region %s: %s',
                    region_name, type(exc).__name__)
    # One assignment: a caller that stopped waiting never sees half.
    found[region_name] = hosts
    done.set()


def server_hosts(context, rows):
    """``{server_id: compute host}`` of the rows' servers.

    One Nova list per placement region of the rows, the regions in
    parallel, bounded by ``[api] cell_timeout``: a region that does not
    answer leaves its hosts unknown (None), never fails the list.
    """
    by_region = {}
    for row in rows:
        if row.server_id:
            by_region.setdefault(row.region_name, set()).add(row.server_id)
    found, waits = {}, []
    for region, ids in by_region.items():
        done = threading.Event()
        threading.Thread(target=_region_hosts,
                         args=(context, region, ids, found, done),
                         daemon=True, name='hosts-%s' % region).start()
        waits.append((region, done))
    deadline = time.monotonic() + CONF.api.cell_timeout
    hosts = {}
    for region, done in waits:
        if done.wait(max(0.0, deadline - time.monotonic())):
            hosts.update(found[region])
        else:
            LOG.warning('Nova of region %s did not answer within %ss; '
                        'its hosts are left out.', region,
                        CONF.api.cell_timeout)
    return hosts


def _instance_cell(context, instance_id):
    return instance_domain.instance_cell(context, instance_id)


def show(context, instance_id):
    """``(row, server)``: an instance of any project, and what Nova says
    of its server (``{'host', 'status'}``, empty if Nova cannot tell)."""
    with cells.owning_cell(context, _instance_cell(context, instance_id)) \
            as cctx:
        row = db_api.admin_instance_get(cctx, instance_id)
    return row, _server_of(context, row)


def _server_of(context, row):
    if not row.server_id or row.deleted:
        return {}
    try:
        nova = clients.create_nova_client(context, row.region_name)
        server = nova.servers.get(row.server_id)
    except Exception as exc:  # noqa: BLE001 - shown as unknown
        LOG.warning('Could not read server %s of instance %s: %s',
                    row.server_id, row.id, type(exc).__name__)
        return {}
    return {'host': getattr(server, HOST_ATTR, None),
            'status': server.status, 'name': server.name}


def reboot(context, instance_id, taskmanager_api):
    """Reboot an instance's server (task REBOOTING, then a job)."""
    with cells.owning_cell(context, _instance_cell(context, instance_id)) \
            as cctx:
        row = db_api.instance_get(cctx, instance_id)
        _refuse_serverless(row, 'reboot')
        services.require_taskmanager(cctx)
        previous = row.task_status
        row = instance_domain.transition(cctx, row, 'restart')
        try:
            taskmanager_api.reboot_instance(cctx, instance_id)
        except Exception as exc:
            LOG.error('Could not ask a taskmanager to reboot instance %s: '
                      '%s', instance_id, exc)
            db_api.instance_update(cctx, instance_id,
                                   {'task_status': previous},
                                   expected_task_status=row.task_status)
            raise exceptions.ServiceUnavailable(
                'No taskmanager could be reached; nothing was changed. '
                'Try again later.') from exc
        return row


def _refuse_member(row, refusal):
    """400 for a cluster member: ``refusal`` says what is not offered."""
    if row.cluster_id:
        raise exceptions.BadRequest(
            'Instance %s is a member of cluster %s: %s'
            % (row.id, row.cluster_id, refusal))


def _refuse_serverless(row, done):
    if not row.server_id:
        raise exceptions.Conflict('Instance %s has no server to %s yet.'
                                  % (row.id, done))


def stop(context, instance_id, taskmanager_api):
    """Stop an instance's Redis, saving its data (upstream Trove's mgmt
    ``stop``): task STOPPING, then a job; the instance shows SHUTDOWN
    until a restart. 400 for a cluster member (its cluster would lose a
    master or replica behind the cluster's back); 409 while another task
    runs or before the instance has a server."""
    owning = _instance_cell(context, instance_id)
    with cells.owning_cell(context, owning) as cctx:
        row = db_api.instance_get(cctx, instance_id)
        _refuse_member(row, 'stopping one member is not offered.')
        _refuse_serverless(row, 'stop')
        services.require_taskmanager(cctx)
        previous = row.task_status
        row = instance_domain.transition(cctx, row, 'stop')
        instance_domain._cast_or_undo(cctx, row, previous,
                                      taskmanager_api.stop_datastore)
        LOG.info('Stopping the datastore of instance %s', instance_id)
        return row


def migrate(context, instance_id, host, taskmanager_api):
    """Move an instance's server to another compute host of its region
    (upstream Trove's mgmt ``migrate``): task MIGRATING (status
    MIGRATE), then a job; ``host`` None lets Nova pick. 400 for a
    cluster member, or a ``host`` that is not a compute host of the
    instance's region or is the one it runs on; 409 unless the instance
    is ACTIVE (a stopped one included: its Redis would start again)."""
    owning = _instance_cell(context, instance_id)
    with cells.owning_cell(context, owning) as cctx:
        row = db_api.instance_get(cctx, instance_id)
        _refuse_member(row, 'migrating one member is not offered.')
        upgrade_domain.refuse_not_active(row, 'migrated')
        _refuse_serverless(row, 'migrate')
        if host is not None:
            _check_target_host(context, row, host)
        services.require_taskmanager(cctx)
        previous = row.task_status
        row = instance_domain.transition(cctx, row, 'migrate')
        instance_domain._cast_or_undo(
            cctx, row, previous,
            lambda c, i: taskmanager_api.migrate_instance(c, i, host))
        LOG.info('Migrating instance %s to %s', instance_id,
                 host or 'a host Nova picks')
        return row


def _check_target_host(context, row, host):
    """400 unless ``host`` is a compute host of the instance's region
    other than the one its server runs on."""
    nova = clients.create_nova_client(context, row.region_name)
    hosts = {service.host for service in
             nova.services.list(binary='nova-compute')}
    if host not in hosts:
        raise exceptions.BadRequest(
            "Invalid input for field 'migrate.host': region %s has no "
            "compute host '%s'." % (row.region_name, host))
    current = getattr(nova.servers.get(row.server_id), HOST_ATTR, None)
    if current == host:
        raise exceptions.BadRequest(
            "Invalid input for field 'migrate.host': the server of "
            "instance %s runs on host %s already." % (row.id, host))


def rebuild(context, instance_id, image_ref, taskmanager_api):
    """Rebuild an instance's server from image ``image_ref`` (an id or a
    name of the instance's region), data kept (upstream Trove's mgmt
    ``rebuild``, ``openstack database instance rebuild``).

    The upgrade's job runs it with the instance's own datastore version
    (task REBUILDING, so the instance shows REBUILD): the guest stops
    Redis saving its data, Nova rebuilds the server from the image (the
    same one too), the new guest starts Redis again on the volume. 400
    naming ``rebuild.image_id`` when the region has no such active image
    or the instance is a cluster member; 409 unless it is ACTIVE.
    """
    owning = _instance_cell(context, instance_id)
    with cells.owning_cell(context, owning) as cctx:
        row = db_api.instance_get(cctx, instance_id)
        _refuse_member(row, 'a rebuild of one member is not offered; '
                            'upgrade the cluster.')
        upgrade_domain.refuse_not_active(row, 'rebuilt')
        _refuse_serverless(row, 'rebuild')
        image = regions.image_in_region(context, row.region_name,
                                        image_ref)
        if image is None or image.get('status', 'active') != 'active':
            raise exceptions.BadRequest(
                "Invalid input for field 'rebuild.image_id': region %s "
                "has no active image '%s'." % (row.region_name, image_ref))
        version = row.datastore_version
        upgrade = {'version_id': version.id, 'version_name': version.name,
                   'placement': {'region_name': row.region_name,
                                 'image_id': image['id'],
                                 'image_name': image.get('name'),
                                 'checksum': image.get('checksum'),
                                 'rebuild': True}}
        row = upgrade_domain.start_upgrade(cctx, row, upgrade,
                                           taskmanager_api, 'rebuild')
        LOG.info('Rebuilding instance %s from image %s', instance_id,
                 image['id'])
        return row


def reset_status(context, tenant_id, instance_id):
    """Trove's ``reset_status``: task NONE and the datastore status
    FAILED (the instance shows ERROR until its guest reports again), so
    that it can be deleted or restarted; unfinished backups FAILED."""
    with cells.owning_cell(context, _instance_cell(context, instance_id)) \
            as cctx:
        db_api.instance_get(
            cctx, instance_id,
            tenant_id=instance_domain.owner_filter(context, tenant_id))
        return db_api.instance_reset(cctx, instance_id,
                                     service_status=states.SERVICE_FAILED)


def reset_task_status(context, instance_id):
    """Trove's mgmt ``reset-task-status``: the task back to NONE."""
    with cells.owning_cell(context, _instance_cell(context, instance_id)) \
            as cctx:
        return db_api.instance_reset(cctx, instance_id)


def _cluster_cell(context, cluster_id):
    try:
        return api_db.cluster_mapping_get(context, cluster_id)
    except exceptions.NotFound:
        raise exceptions.ClusterNotFound(
            'Cluster %s could not be found.' % cluster_id) from None


def _reset_cluster_task(cctx, cluster_id):
    task_id, description = states.CLUSTER_TASKS['NONE']
    return db_api.cluster_reset(cctx, cluster_id, 'NONE', task_id,
                                description)


def reset_cluster_status(context, tenant_id, cluster_id):
    """A cluster's ``reset-status``: its task NONE and every member
    reset as by :func:`reset_status`."""
    with cells.owning_cell(context, _cluster_cell(context, cluster_id)) \
            as cctx:
        db_api.cluster_get(
            cctx, cluster_id,
            tenant_id=instance_domain.owner_filter(context, tenant_id))
        for member in db_api.instances_by_cluster(cctx, cluster_id):
            db_api.instance_reset(cctx, member.id,
                                  service_status=states.SERVICE_FAILED)
        return _reset_cluster_task(cctx, cluster_id)


def reset_cluster_task(context, cluster_id):
    """The mgmt ``reset-task`` of a cluster: its task back to NONE."""
    with cells.owning_cell(context, _cluster_cell(context, cluster_id)) \
            as cctx:
        return _reset_cluster_task(cctx, cluster_id)


def show_cluster(context, cluster_id):
    """``(cluster, members)`` of any project."""
    with cells.owning_cell(context, _cluster_cell(context, cluster_id)) \
            as cctx:
        cluster = db_api.cluster_get(cctx, cluster_id)
        return cluster, db_api.instances_by_cluster(cctx, cluster_id)


def cluster_list_page(context, limit=None, marker=None, deleted=False):
    """One page of every project's clusters over every cell, members
    loaded: ``(rows, members, next_marker, limit, unavailable)``."""
    limit = min(limit or CONF.api.default_limit, CONF.api.max_limit)
    members = {}

    def with_members(cctx, clusters):
        members.update(db_api.members_of_clusters(
            cctx, [c.id for c in clusters]))
    rows, next_marker, unavailable = global_lists.page(
        context, 'cluster', None, limit, marker, decorate=with_members,
        deleted=deleted)
    return rows, members, next_marker, limit, unavailable
