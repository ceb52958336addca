"""The instance's volume as the guest sees it: grow its filesystem.

After Cinder extended an attached volume the block device is larger but
its filesystem is not: ``resize2fs`` (ext2/3/4) or ``xfs_growfs`` (XFS)
grows it online. A volume that is a folder of the host rather than a
mounted block device has no filesystem of its own and nothing to grow.
"""

import os
import subprocess

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

MOUNTS_PATH = '/proc/mounts'
GB = 1024 ** 3
_GROW_TIMEOUT = 600


def mount_of(path, mounts=MOUNTS_PATH):
    """``(device, fstype)`` of the mount whose mount point is ``path``,
    or None when ``path`` is not a mount point."""
    path = os.path.realpath(path)
    found = None
    try:
        with open(mounts) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3 and fields[1] == path:
                    found = (fields[0], fields[2])
    except OSError as exc:
        LOG.warning('Cannot read %s: %s', mounts, exc)
    return found


def grow_command(device, fstype, mount_point):
    """The command that grows a mounted filesystem online, or None."""
    if not device.startswith('/dev/'):
        return None
    if fstype in ('ext2', 'ext3', 'ext4'):
        return ['resize2fs', device]
    if fstype == 'xfs':
        return ['xfs_growfs', mount_point]
    return None


def filesystem_size_gb(path):
    """Size of the filesystem holding ``path``, in GB."""
    stat = os.statvfs(path)
    return stat.f_blocks * stat.f_frsize / float(GB)


def grow_filesystem(volume_dir, volume_size, mounts=MOUNTS_PATH,
                    run=subprocess.run):
    """Grow the filesystem of the volume at ``volume_dir``; idempotent.

    :returns: ``{'volume_size': GB asked, 'grown': whether a filesystem
        was grown, 'device': the block device or None}``.
    :raises RuntimeError: the grow command failed.
    """
    mount = mount_of(volume_dir, mounts)
    command = grow_command(mount[0], mount[1], volume_dir) if mount \
        else None
    if command is None:
        LOG.info('Volume at %s has no filesystem of its own to grow to '
                 '%s GB.', volume_dir, volume_size)
        return {'volume_size': volume_size, 'grown': False,
                'device': mount[0] if mount else None}
    result = run(command, capture_output=True, text=True,
                 timeout=_GROW_TIMEOUT)
    if result.returncode != 0:
        raise RuntimeError('%s failed (%d): %s' % (
            ' '.join(command), result.returncode,
            (result.stderr or result.stdout or '').strip()[-500:]))
    LOG.info('Grew the filesystem of %s to %s GB.', mount[0], volume_size)
    return {'volume_size': volume_size, 'grown': True, 'device': mount[0]}
