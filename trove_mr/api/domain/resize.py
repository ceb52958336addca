"""Resize an instance: a new flavor, or a larger volume.

What python-troveclient's ``resize_instance`` and ``resize_volume`` ask
for (``POST /instances/{id}/action`` with ``{"resize": ...}``). Every
check runs here, in the instance's own region and cell, before anything
changes: the instance is ACTIVE with no task, the flavor exists in the
instance's region (by id, else by name, as create resolves it) and
differs from the current one, its share of RAM for Redis holds the data,
the volume only grows and its growth fits in the project's quota. Then
the instance's task becomes RESIZING (shown RESIZE) and the owning
cell's taskmanager posts the resize job.
"""

from oslo_log import log as logging

from trove_mr.api.domain import instances as instance_domain
from trove_mr.api.domain import services
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import memory
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.api import quotas
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

GB = 1024 ** 3


def flavor_payload(flavor):
    """The plain dict of a Nova flavor the resize job is sent."""
    return {'id': str(flavor.id), 'name': flavor.name,
            'ram': int(flavor.ram), 'vcpus': int(flavor.vcpus),
            'disk': int(flavor.disk or 0)}


def check_resizable(row):
    """Refuse an instance that cannot be resized now (400 or 409)."""
    if row.cluster_id:
        raise exceptions.BadRequest(
            'Instance %s is a member of cluster %s; cluster members cannot '
            'be resized one by one.' % (row.id, row.cluster_id))
    service = row.status.status if row.status is not None else None
    if row.task_status != states.TASK_NONE or \
            service != states.SERVICE_RUNNING:
        raise exceptions.Conflict(
            'Instance %s is not ACTIVE (its status is %s); only an ACTIVE '
            'instance can be resized.' % (
                row.id, states.display_status(row.task_status, service)))


def data_bytes(row):
    """The size of the instance's data as its guest last reported it."""
    if row.status is None or not row.status.volume_used:
        return 0
    return int(row.status.volume_used * GB)


def check_flavor(context, row, flavor_ref):
    """The new flavor of ``row`` as a plain dict; 4xx naming what is wrong.

    The flavor is looked up in the instance's own region. The data check
    uses the size of the data the guest reports (its RDB and AOF files):
    Redis must be able to hold that much under the new flavor's limit.
    """
    region = row.region_name or CONF.region_name
    flavor = regions.find_flavor(context, region, flavor_ref)
    if flavor is None:
        raise exceptions.NotFound(
            "Invalid input for field 'resize.flavorRef': flavor '%s' was not "
            "found in region %s, the instance's region." % (flavor_ref,
                                                           region))
    if str(flavor.id) == str(row.flavor_id):
        raise exceptions.BadRequest(
            "Invalid input for field 'resize.flavorRef': the new flavor id "
            "must be different than the current flavor id of '%s'."
            % row.flavor_id)
    limit = memory.maxmemory_bytes(flavor.ram, CONF.redis.maxmemory_percent)
    used = data_bytes(row)
    if limit is not None and used > limit:
        raise exceptions.BadRequest(
            "Invalid input for field 'resize.flavorRef': flavor '%s' leaves "
            "Redis %s (%d%% of its %d MB of RAM), less than the %s of data "
            "instance %s holds." % (
                flavor.name, memory.human(limit),
                CONF.redis.maxmemory_percent, flavor.ram,
                memory.human(used), row.id))
    current = regions.find_flavor(context, region, row.flavor_id)
    if current is not None and flavor.disk and \
            (current.disk or 0) > flavor.disk:
        raise exceptions.BadRequest(
            "Invalid input for field 'resize.flavorRef': flavor '%s' has a "
            "%d GB disk, smaller than the %d GB of the current flavor '%s'; "
            "disks cannot shrink." % (flavor.name, flavor.disk,
                                      current.disk, current.name))
    return flavor_payload(flavor)


def _start(cctx, row, cast, undo=None):
    """Task RESIZING, then the cast; undo both if no taskmanager takes
    it."""
    previous = row.task_status
    row = instance_domain.transition(cctx, row, 'resize')
    try:
        instance_domain._cast_or_undo(cctx, row, previous, cast)
    except Exception:
        if undo is not None:
            undo()
        raise
    return row


def resize_flavor(context, tenant_id, instance_id, flavor_ref,
                  taskmanager_api):
    """Move an instance to another flavor of its region (task RESIZING).
    """
    mapping = instance_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, mapping) as cctx:
        row = db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
        check_resizable(row)
        new_flavor = check_flavor(context, row, flavor_ref)
        services.require_taskmanager(cctx)
        LOG.info('Resizing instance %s from flavor %s to %s (%s)', row.id,
                 row.flavor_id, new_flavor['id'], new_flavor['name'])
        return _start(cctx, row, lambda c, i: taskmanager_api.resize_flavor(
            c, i, new_flavor))


def check_volume_size(row, size):
    """The growth in GB of a volume resize to ``size``; 400 otherwise."""
    if not row.volume_size:
        raise exceptions.BadRequest(
            "Invalid input for field 'resize.volume': instance %s has no "
            "volume." % row.id)
    if size <= row.volume_size:
        raise exceptions.BadRequest(
            "Invalid input for field 'resize.volume.size': the new size of "
            "%d GB must be larger than the current size of %d GB; volumes "
            "only grow." % (size, row.volume_size))
    if size > CONF.max_accepted_volume_size:
        raise exceptions.BadRequest(
            "Invalid input for field 'resize.volume.size': %d GB is more "
            "than the maximum of %d GB." % (size,
                                            CONF.max_accepted_volume_size))
    return size - row.volume_size


def reserve_growth(context, tenant_id, growth):
    """Count ``growth`` more GB of volumes; 413 past the project's quota.
    """
    limit = quotas.limits(context, tenant_id)[quotas.VOLUMES]
    try:
        api_db.quota_reserve(context, tenant_id, quotas.VOLUMES, growth,
                             limit)
    except exceptions.QuotaExceeded:
        raise exceptions.QuotaExceeded(
            'Quota exceeded for volumes: growing by %d GB would make '
            'project %s use more than its %d GB in all.'
            % (growth, tenant_id, limit)) from None


def release_growth(context, tenant_id, growth):
    """Give back what :func:`reserve_growth` counted."""
    api_db.quota_release(context, tenant_id, quotas.VOLUMES, growth)


def resize_volume(context, tenant_id, instance_id, size, taskmanager_api):
    """Grow an instance's volume to ``size`` GB (task RESIZING).

    The growth is counted in the quota here; the job gives it back if
    the resize fails.
    """
    mapping = instance_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, mapping) as cctx:
        row = db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
        check_resizable(row)
        growth = check_volume_size(row, size)
        services.require_taskmanager(cctx)
        reserve_growth(context, tenant_id, growth)
        try:
            return _start(
                cctx, row,
                lambda c, i: taskmanager_api.resize_volume(c, i, size),
                undo=lambda: release_growth(context, tenant_id, growth))
        except exceptions.Conflict:
            # The task changed meanwhile (another action won the race):
            # nothing was started, so the quota goes back.
            release_growth(context, tenant_id, growth)
            raise
