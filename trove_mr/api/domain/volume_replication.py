"""What the admin replication calls (``/mgmt/.../replication``) ask for.

Enable and disable are Cinder actions answered at once (the first copy
follows asynchronously); a failover is a job
(:mod:`trove_mr.flows.volume_failover`). Every check is made against
the instance's own region: volume types differ per region. None of this
is shown to tenants (policy ``mgmt:volume_replication``).
"""

from cinderclient import exceptions as cinder_exc
from keystoneauth1 import exceptions as ks_exc
from oslo_log import log as logging

from trove_mr.api.domain import instances as instance_domain
from trove_mr.api.domain import services
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.common import volume_replication as replication
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# Tasks an instance may fail over from (ERROR: its primary volume lost).
FAILOVER_FROM = (states.TASK_NONE, states.TASK_ERROR)


def _cinder_call(region_name, call, *args):
    """Run a Cinder call; its refusals become 4xx, its absence 503."""
    try:
        return call(*args)
    except cinder_exc.ClientException as exc:
        code = getattr(exc, 'code', 500)
        if code in (400, 409):
            raise exceptions.Conflict(
                'Cinder of region %s refused: %s'
                % (region_name, replication.cinder_error_text(exc))) \
                from exc
        raise exceptions.ServiceUnavailable(
            'The volume service of region %s failed: %s'
            % (region_name, replication.cinder_error_text(exc))) from exc
    except ks_exc.ClientException as exc:
        raise exceptions.ServiceUnavailable(
            'The volume service of region %s did not answer: %s'
            % (region_name, type(exc).__name__)) from exc


def _instance(context, instance_id):
    """``(cell mapping, row)`` of an instance of any project."""
    mapping = instance_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, mapping) as cctx:
        row = db_api.instance_get(cctx, instance_id)
    return mapping, row


def _volume_type(row):
    return row.volume_type or CONF.cinder_volume_type


def _require_capable(row, cinder):
    """400 unless the instance's volume type is replication-capable in
    its region."""
    if not row.volume_id:
        raise exceptions.BadRequest(
            'Instance %s has no volume to replicate.' % row.id)
    vtype = _volume_type(row)
    if not _cinder_call(row.region_name, replication.type_capable, cinder,
                        vtype):
        raise exceptions.BadRequest(
            "Instance %s is on volume type '%s', which is not "
            "replication-capable in region %s." % (
                row.id, vtype or 'default', row.region_name))


def state_view(row, cinder):
    """The replication state of one instance's volume, from Cinder."""
    view = {'instance_id': row.id, 'region': row.region_name,
            'volume_id': row.volume_id, 'volume_type': _volume_type(row),
            'replication_capable': False, 'status': None,
            'recorded_status': row.volume_replication_status,
            'last_sync_at': None, 'lag_seconds': None, 'backend': None}
    if not row.volume_id:
        return view
    view['replication_capable'] = _cinder_call(
        row.region_name, replication.type_capable, cinder, view[
            'volume_type'])
    view.update(_cinder_call(row.region_name, replication.volume_state,
                             cinder, row.volume_id))
    return view


def show(context, instance_id):
    """The replication state of an instance's volume."""
    _mapping, row = _instance(context, instance_id)
    return state_view(row, replication.cinder(context, row.region_name))


def _record(context, mapping, instance_id, status):
    with cells.owning_cell(context, mapping) as cctx:
        db_api.instance_update(cctx, instance_id,
                               {'volume_replication_status': status})


def set_enabled(context, instance_id, enable):
    """Enable or disable replication of an instance's volume; the state
    after the call (the first copy follows asynchronously)."""
    mapping, row = _instance(context, instance_id)
    cinder = replication.cinder(context, row.region_name)
    _require_capable(row, cinder)
    _set_enabled(context, mapping, row, cinder, enable)
    _mapping, row = _instance(context, instance_id)
    return state_view(row, cinder)


def _set_enabled(context, mapping, row, cinder, enable):
    """Enable (also after a failover: the promoted volume is protected
    again, towards the other backend) or disable replication."""
    current = _cinder_call(row.region_name, replication.volume_state,
                           cinder, row.volume_id)['status']
    if enable and current in (replication.STATUS_DISABLED,
                              replication.STATUS_ERROR,
                              replication.STATUS_FAILED_OVER):
        _cinder_call(row.region_name, replication.act, cinder,
                     row.volume_id, replication.ENABLE)
    elif not enable and current not in (replication.STATUS_DISABLED,
                                        replication.STATUS_FAILED_OVER):
        _cinder_call(row.region_name, replication.act, cinder,
                     row.volume_id, replication.DISABLE)
    _record(context, mapping, row.id, replication.STATUS_ENABLED if enable
            else replication.STATUS_DISABLED)


def _failover_payload(row, cinder, secondary):
    """Check that ``row`` can fail over now; the flow's payload."""
    _require_capable(row, cinder)
    if not row.server_id:
        raise exceptions.Conflict('Instance %s has no server.' % row.id)
    if row.task_status not in FAILOVER_FROM:
        raise exceptions.Conflict(
            'Instance %s is busy (task %s); try again when it is done.'
            % (row.id, row.task_status))
    state = _cinder_call(row.region_name, replication.volume_state, cinder,
                         row.volume_id)
    if state['status'] not in (replication.STATUS_ENABLED,
                               replication.STATUS_ERROR) or \
            not state['last_sync_at']:
        raise exceptions.Conflict(
            'The volume of instance %s has no replica to fail over to '
            '(replication status %s%s).' % (
                row.id, state['status'],
                '' if state['last_sync_at'] else ', no copy made yet'))
    if secondary:
        targets = _cinder_call(row.region_name, replication.list_targets,
                               cinder, row.volume_id)
        if secondary not in [t.get('backend_id') for t in targets]:
            raise exceptions.BadRequest(
                "Invalid input for field 'failover.secondary': '%s' is "
                "not a replication target of volume %s in region %s."
                % (secondary, row.volume_id, row.region_name))
    return {'region_name': row.region_name, 'volume_id': row.volume_id,
            'server_id': row.server_id, 'secondary': secondary}


def failover(context, instance_id, secondary, taskmanager_api):
    """Start the failover of an instance's volume (task FAILING_OVER)."""
    mapping, row = _instance(context, instance_id)
    cinder = replication.cinder(context, row.region_name)
    payload = _failover_payload(row, cinder, secondary)
    with cells.owning_cell(context, mapping) as cctx:
        services.require_taskmanager(cctx)
        previous = row.task_status
        row = instance_domain.transition(cctx, row, 'failover')
        try:
            taskmanager_api.failover_volume(cctx, instance_id, payload)
        except Exception as exc:
            LOG.error('Could not ask a taskmanager to fail instance %s '
                      'over: %s', instance_id, exc)
            db_api.instance_update(cctx, instance_id,
                                   {'task_status': previous},
                                   expected_task_status=row.task_status)
            raise exceptions.ServiceUnavailable(
                'No taskmanager could be reached; nothing was changed. '
                'Try again later.') from exc
    return row


# -- clusters ------------------------------------------------------------

def _cluster(context, cluster_id):
    try:
        mapping = api_db.cluster_mapping_get(context, cluster_id)
    except exceptions.NotFound:
        raise exceptions.ClusterNotFound(
            'Cluster %s could not be found.' % cluster_id) from None
    with cells.owning_cell(context, mapping) as cctx:
        db_api.cluster_get(cctx, cluster_id)
        members = db_api.instances_by_cluster(cctx, cluster_id)
    return mapping, sorted(members, key=lambda m: m.id)


def cluster_show(context, cluster_id):
    """The replication state of every member's volume."""
    _mapping, members = _cluster(context, cluster_id)
    return [state_view(m, replication.cinder(context, m.region_name))
            for m in members]


def cluster_set_enabled(context, cluster_id, enable):
    """Enable or disable replication of every member's volume (all
    members are checked first: a refusal changes nothing)."""
    mapping, members = _cluster(context, cluster_id)
    clients = {}
    for member in members:
        clients[member.id] = replication.cinder(context, member.region_name)
        _require_capable(member, clients[member.id])
    for member in members:
        _set_enabled(context, mapping, member, clients[member.id], enable)
    _mapping, members = _cluster(context, cluster_id)
    return [state_view(m, clients[m.id]) for m in members]


def cluster_failover(context, cluster_id, taskmanager_api):
    """Start the failover of every member's volume, one at a time."""
    mapping, members = _cluster(context, cluster_id)
    if not members:
        raise exceptions.Conflict('Cluster %s has no members.' % cluster_id)
    failovers = [[m.id, _failover_payload(
        m, replication.cinder(context, m.region_name), None)]
        for m in members]
    with cells.owning_cell(context, mapping) as cctx:
        services.require_taskmanager(cctx)
        try:
            taskmanager_api.failover_cluster_volumes(cctx, cluster_id,
                                                     failovers)
        except Exception as exc:
            raise exceptions.ServiceUnavailable(
                'No taskmanager could be reached; nothing was changed. '
                'Try again later.') from exc
    return [m.id for m in members]


# -- a region's backends -------------------------------------------------

def region_targets(context, region_name):
    """The volume backends of ``region_name`` and their replication
    targets."""
    regions.validate_region(region_name)
    cinder = replication.cinder(context, region_name)
    return _cinder_call(region_name, replication.region_backends, cinder)
