"""Replicas: create them in any region, show them, act on them.

A replica is an instance whose ``replica_of_id`` names its master; it is
built as any instance (in the region its body names, by default the
master's), then its taskmanager attaches it to the master with Redis
replication. Promote, eject and detach are casts to the owning cell's
taskmanager, each under its own task state (PROMOTING, EJECTING,
DETACHING) so that two actions never run at once on one instance.
"""

import secrets

from trove_mr.api.domain import instances as instance_domain
from trove_mr.api.domain import services
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.main import api as db_api

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
    return master


def create(context, tenant_id, body, taskmanager_api):
    """Create ``replica_count`` (default 1) replicas of ``replica_of``.

    Each is a full instance create (quota, cross-region checks) with the
    master's datastore version and, unless the body names them, its
    region and volume size. Returns ``(first row, password)`` as the
    instance create does.
    """
    master = _master(context, tenant_id, body['replica_of'])
    request = dict(body)
    count = request.pop('replica_count', None) or 1
    request.pop('replica_of')
    if not (request.get('region') or request.get('region_name')):
        request['region'] = master.region_name
    request.setdefault('volume', {'size': master.volume_size})
    request['datastore'] = {
        'type': master.datastore_version.datastore.name,
        'version': master.datastore_version.name}
    first = None
    # One password for all the replicas of one request: the answer can
    # show only one, and each must be usable.
    password = secrets.token_urlsafe(24)
    for _ in range(count):
        row, password = instance_domain.create(context, tenant_id, request,
                                               taskmanager_api, password)
        mapping = instance_domain.instance_cell(context, row.id)
        with cells.owning_cell(context, mapping) as cctx:
            row = db_api.instance_update(cctx, row.id,
                                         {'replica_of_id': master.id})
        if first is None:
            first = (row, password)
    return first


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
