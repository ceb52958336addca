"""Tasks and helpers that touch Cinder in an instance's placement region."""

from cinderclient import exceptions as cinder_exc
from oslo_log import log as logging
from taskflow import task

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.db.main import api as db_api
from trove_mr.flows import common

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def find_volumes(cinder, instance_id, volume_id=None):
    """The instance's volumes: by recorded id and by name.

    A volume whose create answer was lost (crash, timeout) has no recorded
    id; its name and metadata still tie it to the instance.
    """
    found = {}
    if volume_id:
        try:
            volume = cinder.volumes.get(volume_id)
            found[volume.id] = volume
        except cinder_exc.NotFound:
            pass
    name = common.resource_name(instance_id)
    for volume in cinder.volumes.list(search_opts={'name': name}):
        metadata = getattr(volume, 'metadata', None) or {}
        if volume.name == name or \
                metadata.get(common.METADATA_KEY) == instance_id:
            found.setdefault(volume.id, volume)
    return list(found.values())


def remove_volumes(context, region_name, instance_id, volume_id=None,
                   timeout=120):
    """Delete every volume of an instance in a region; idempotent.

    A volume still detaching from a deleted server is waited for (bounded
    by ``timeout``): Cinder refuses to delete an in-use volume. Returns the
    ids deleted.
    """
    cinder = clients.create_cinder_client(context, region_name)
    deleted = []
    for volume in find_volumes(cinder, instance_id, volume_id):
        def deletable(volume_id=volume.id):
            try:
                current = cinder.volumes.get(volume_id)
            except cinder_exc.NotFound:
                return 'gone'
            return current.status not in ('in-use', 'attaching',
                                          'detaching', 'creating')
        common.poll(deletable, timeout,
                    'volume %s to be detached' % volume.id)
        try:
            cinder.volumes.delete(volume.id)
        except cinder_exc.NotFound:
            continue
        LOG.info('Deleted volume %s of instance %s in %s', volume.id,
                 instance_id, region_name)
        deleted.append(volume.id)
    return deleted


class CreateVolume(task.Task):
    """Create the instance's data volume; record its id at once."""

    default_provides = 'volume_id'

    def execute(self, context, instance_id, placement):
        instance = db_api.instance_get(context, instance_id)
        if not instance.volume_size:
            return None
        cinder = clients.create_cinder_client(context,
                                              placement['region_name'])
        # Run again after a taskmanager died: the volume made before
        # (recorded or not) is the one, never a second.
        existing = find_volumes(cinder, instance_id, instance.volume_id)
        if existing:
            volume = existing[0]
            if instance.volume_id != volume.id:
                db_api.instance_update(context, instance_id,
                                       {'volume_id': volume.id})
            return volume.id
        volume = cinder.volumes.create(
            size=instance.volume_size,
            name=common.resource_name(instance_id),
            volume_type=instance.volume_type or CONF.cinder_volume_type,
            metadata=common.resource_metadata(instance_id))
        db_api.instance_update(context, instance_id,
                               {'volume_id': volume.id})
        return volume.id

    def revert(self, result, context, instance_id, placement, **kwargs):
        # Also when execute failed: the volume may exist all the same.
        volume_id = result if isinstance(result, str) else None
        remove_volumes(context, placement['region_name'], instance_id,
                       volume_id)


class WaitVolumeAvailable(task.Task):
    """Check once that the volume can be attached (see common.wait)."""

    def execute(self, context, placement, volume_id, deadline_at, timeout):
        if volume_id is None:
            return
        cinder = clients.create_cinder_client(context,
                                              placement['region_name'])
        volume = cinder.volumes.get(volume_id)
        if volume.status == 'error':
            raise common.StepFailed(
                'Volume %s went to error in region %s.'
                % (volume_id, placement['region_name']))
        if volume.status != 'available':
            common.not_ready(common.Deadline.until(deadline_at, timeout),
                             'volume %s to become available' % volume_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: CreateVolume's revert removes the volume."""
