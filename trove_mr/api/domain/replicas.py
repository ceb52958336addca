"""Replicas: create them in any region, show them, act on them.

A replica is an instance whose ``replica_of_id`` names its master; it is
built as any instance (in the region its body names, by default the
master's, with the master's flavor and volume size unless the body names
them), then its taskmanager attaches it to the master with Redis
replication. The replicas of one request are built all or nothing.
Promote, eject and detach are casts to the owning cell's taskmanager,
each under its own task state (PROMOTING, EJECTING, DETACHING) so that
two actions never run at once on one instance.
"""

import secrets

from oslo_log import log as logging
from oslo_utils import uuidutils

from trove_mr.api.domain import access as access_domain
from trove_mr.api.domain import instances as instance_domain
from trove_mr.api.domain import networks as networks_domain
from trove_mr.api.domain import placement as placement_domain
from trove_mr.api.domain import services
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.api import quotas
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# action name -> (state machine event, taskmanager method)
_ACTIONS = {
    'promote_to_replica_source': ('promote', 'promote_to_replica_source'),
    'eject_replica_source': ('eject', 'eject_replica_source'),
    'detach_replica': ('detach', 'detach_replica'),
}


def _master(context, tenant_id, master_id):
    mapping = instance_domain.instance_cell(context, master_id)
    with cells.owning_cell(context, mapping) as cctx:
        master = db_api.instance_get(cctx, master_id, tenant_id=tenant_id)
    if master.cluster_id or master.replica_of_id:
        raise exceptions.BadRequest(
            "Invalid input for field 'instance.replica_of': %s is a "
            "cluster member or a replica itself." % master_id)
    service = master.status.status if master.status else None
    if master.task_status != states.TASK_NONE or \
            service != states.SERVICE_RUNNING:
        raise exceptions.Conflict(
            'Instance %s is not running; replicas need a running master.'
            % master_id)
    return master, mapping


def _master_flavor_ref(context, master):
    """The name of the master's flavor (found by its id in the master's
    region), so that placement finds the same flavor by name in the
    replica's region; the bare id when the master's region has no such
    flavor any more."""
    name = regions.flavor_name(context, master.region_name or
                               CONF.region_name, master.flavor_id)
    return name or master.flavor_id


def _reserve(context, tenant_id, count, volume_size):
    """Count ``count`` instances and their volumes, or none (413)."""
    done = 0
    try:
        for _ in range(count):
            quotas.reserve(context, tenant_id, volume_size)
            done += 1
    except Exception:
        for _ in range(done):
            quotas.release(context, tenant_id, volume_size)
        raise


def _forget(context, cctx, instance_ids):
    """Undo the rows and mappings :func:`create` wrote."""
    for instance_id in instance_ids:
        try:
            db_api.instance_soft_delete(cctx, instance_id)
        except exceptions.NotFound:
            pass
        try:
            api_db.instance_mapping_delete(context, instance_id)
        except exceptions.NotFound:
            pass


def create(context, tenant_id, body, taskmanager_api):
    """Create ``replica_count`` (default 1) replicas of ``replica_of``.

    All or nothing: every check passes and the quota of every replica is
    reserved before any row is written, and the replicas are built by
    one job that tears all of them down (and gives their quota back) if
    any of them cannot be built or cannot follow its master.

    The replicas take the master's datastore version and, unless the body
    names them, its flavor (by name, so that a replica in another region
    gets that region's flavor of the same name), volume size and region.
    They are owned by the master's cell, whose taskmanagers reach both.
    ``nics`` and ``access`` are those of any create, checked in the
    replicas' region (400 naming ``instance.nics[i]...``).
    Returns ``(first row, password)`` as the instance create does.
    """
    master, master_cell = _master(context, tenant_id, body['replica_of'])
    request = dict(body)
    count = request.pop('replica_count', None) or 1
    request.pop('replica_of')
    if not (request.get('region') or request.get('region_name')):
        request['region'] = master.region_name
    request.setdefault('volume', {'size': master.volume_size})
    flavor_ref = request.get('flavorRef') or \
        _master_flavor_ref(context, master)
    instance_domain._refuse_unsupported(request)
    volume_size, volume_type = instance_domain._volume_size(request)
    region_name = instance_domain._placement_region(request)
    version = master.datastore_version
    placement = placement_domain.decide(context, version, flavor_ref,
                                        region_name, master_cell)
    # Tenant networks and access as for any create, checked in the
    # replicas' own region: without nics a replica has the management
    # port only.
    network = networks_domain.request(tenant_id, request, region_name)
    if network:
        placement['network'] = network
    access = access_domain.for_create(request)
    with cells.owning_cell(context, master_cell) as cctx:
        services.require_taskmanager(cctx)

    _reserve(context, tenant_id, count, volume_size)
    # One password for all the replicas of one request: the answer can
    # show only one, and each must be usable.
    password = secrets.token_urlsafe(24)
    made = []
    try:
        with cells.target_cell(context, master_cell) as cctx:
            try:
                for _ in range(count):
                    instance_id = uuidutils.generate_uuid()
                    row = db_api.instance_create(cctx, {
                        'id': instance_id, 'name': body['name'],
                        'tenant_id': tenant_id,
                        'region_name': region_name,
                        'flavor_id': str(placement['flavor_id']),
                        'volume_size': volume_size,
                        'volume_type': volume_type,
                        'datastore_version_id': version.id,
                        'replica_of_id': master.id,
                        'task_status': states.TASK_BUILDING,
                        'status': states.SERVICE_NEW, 'access': access})
                    made.append(row)
                    api_db.instance_mapping_create(
                        context, instance_id, master_cell.uuid, tenant_id)
                taskmanager_api.create_replicas(
                    cctx, [row.id for row in made], placement, password)
            except Exception as exc:
                _forget(context, cctx, [r.id for r in made])
                if isinstance(exc, exceptions.TroveMRError):
                    raise
                LOG.error('Could not ask a taskmanager to build replicas '
                          'of %s: %s', master.id, exc)
                raise exceptions.ServiceUnavailable(
                    'No taskmanager could be reached; nothing was '
                    'built.') from exc
    except Exception:
        for _ in range(count):
            quotas.release(context, tenant_id, volume_size)
        raise
    return made[0], password


def show_with_replicas(context, tenant_id, instance_id):
    """``(instance row, its replica rows)``; 404 for anyone else's."""
    mapping = instance_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, mapping) as cctx:
        row = db_api.instance_get(
            cctx, instance_id,
            tenant_id=instance_domain.owner_filter(context, tenant_id))
        replicas = db_api.instance_replicas(cctx, [row.id])[row.id]
    return row, replicas


def replica_action(context, tenant_id, instance_id, action,
                   taskmanager_api):
    """Run ``action`` (promote_to_replica_source, eject_replica_source,
    detach_replica) on an instance; 400 when it does not apply."""
    event, method = _ACTIONS[action]
    mapping = instance_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, mapping) as cctx:
        row = db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
        if action == 'eject_replica_source':
            if not db_api.instance_replicas(cctx, [row.id])[row.id]:
                raise exceptions.BadRequest(
                    'Instance %s has no replicas to promote.' % row.id)
            service = row.status.status if row.status else None
            if service == states.SERVICE_RUNNING:
                raise exceptions.BadRequest(
                    'Instance %s is running: promote a replica instead of '
                    'ejecting its master.' % row.id)
        elif not row.replica_of_id:
            raise exceptions.BadRequest('Instance %s is not a replica.'
                                        % row.id)
        services.require_taskmanager(cctx)
        row = instance_domain.transition(cctx, row, event)
        getattr(taskmanager_api, method)(cctx, instance_id)
    return row
