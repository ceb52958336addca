"""Replication of a new instance's volume, when its type sells it.

An instance whose volume type is replication-capable in its region (the
"highly available" type of volume-replication.rst) has replication
enabled as soon as its volume exists: the tenant asked for the type,
never for replication, and sees nothing of it.
"""

from oslo_log import log as logging
from taskflow import task

from trove_mr.common import cfg
from trove_mr.common import volume_replication as replication
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def enable_for_instance(context, instance_id, region_name, volume_id):
    """Enable replication of the instance's volume if its type is
    replication-capable; returns the status recorded (None: not
    capable, or the types could not be read). A refusal is recorded as
    ``error``, never raised: the instance works without its replica, and
    admins see the status."""
    instance = db_api.instance_get(context, instance_id)
    cinder = replication.cinder(context, region_name)
    try:
        capable = replication.type_capable(
            cinder, instance.volume_type or CONF.cinder_volume_type)
    except Exception as exc:  # noqa: BLE001 - recorded for admins
        # Unknown: the build goes on; an admin enables it later.
        LOG.error('Could not read the volume types of region %s for '
                  'instance %s, replication not enabled: %s', region_name,
                  instance_id, replication.cinder_error_text(exc))
        return None
    if not capable:
        return None
    status = replication.STATUS_ENABLED
    try:
        state = replication.volume_state(cinder, volume_id)
        if state['status'] in (replication.STATUS_DISABLED,
                               replication.STATUS_ERROR):
            replication.act(cinder, volume_id, replication.ENABLE)
    except Exception as exc:  # noqa: BLE001 - recorded for admins
        LOG.error('Could not enable replication of volume %s of instance '
                  '%s: %s', volume_id, instance_id,
                  replication.cinder_error_text(exc))
        status = replication.STATUS_ERROR
    db_api.instance_update(context, instance_id,
                           {'volume_replication_status': status})
    return status


class EnableVolumeReplication(task.Task):
    """Enable replication of the new volume when its type sells it."""

    def execute(self, context, instance_id, placement, volume_id):
        if volume_id is None:
            return
        enable_for_instance(context, instance_id, placement['region_name'],
                            volume_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: deleting the volume ends its replication."""
