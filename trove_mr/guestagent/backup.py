"""Backups of the guest's Redis to Swift, and restores from them.

A backup is a consistent RDB snapshot streamed from Redis as it is made
(:mod:`~trove_mr.guestagent.datastore.redis.rdb_stream`) into the object
store of the instance's region, in parallel segments, in the tenant's own
account, with the tenant's token the request carried. A restore downloads
the object named by ``backup_info['location']`` (an object URL of the
backup's own region, which may differ from the guest's), byte ranges in
parallel, and checks its md5 against ``backup_info['checksum']`` before
the file is put in place, so that Redis never starts on data that does
not match. Where and how objects are laid
out is :mod:`trove_mr.common.backup_objects`.
"""

import os
import time

from oslo_log import log as logging

from trove_mr.common import backup_objects
from trove_mr.common import cfg
from trove_mr.guestagent import errors as guest_errors
from trove_mr.guestagent.datastore.redis import backup as rdb
from trove_mr.guestagent.datastore.redis import errors
from trove_mr.guestagent.datastore.redis import rdb_stream

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

def create_backup(app, context, backup_info, report):
    """Snapshot ``app``'s Redis and store it in Swift; report each step.

    :param backup_info: ``{'id', 'swift_url' (the tenant's account in the
        instance's region), 'container' (optional)}``.
    :param report: ``report(**values)`` sends a backup update to the
        conductor: ``state`` BUILDING, then COMPLETED with ``size`` (MB),
        ``checksum``, ``location``, or FAILED with ``message``.
    :returns: the values of the final report.
    """
    backup_id = backup_info['id']
    container = backup_info.get('container') or CONF.backup_swift_container
    name = backup_objects.object_name(backup_id)
    report(state='BUILDING')
    started = time.monotonic()
    try:
        conn = backup_objects.connection(context, backup_info['swift_url'])
        checksum, size = _store_snapshot(app, conn, container, name)
        values = {'state': 'COMPLETED', 'checksum': checksum,
                  'size': round(size / (1024.0 * 1024.0), 6),
                  'location': backup_objects.object_location(
                      backup_info['swift_url'], container, backup_id),
                  'type': backup_objects.BACKUP_TYPE}
        LOG.info('Backup %s stored: %d bytes in %.2fs.', backup_id,
                 size, time.monotonic() - started)
    except Exception as exc:  # noqa: BLE001 - reported as FAILED
        LOG.exception('Backup %s failed', backup_id)
        values = {'state': 'FAILED',
                  'message': ('Backup failed: %s' % exc)[:1000]}
    report(**values)
    return values


def _store_snapshot(app, conn, container, name):
    """Snapshot ``app``'s Redis into ``container/name``; (md5, bytes).

    The snapshot streams from Redis into Swift as it is made
    (:mod:`rdb_stream`); a Redis that refuses that (one that cannot serve
    an rdb-only transfer, a replica out of sync) is saved to a file
    first, which is then uploaded.
    """
    try:
        stream = rdb_stream.RdbStream(app, CONF.backup_timeout)
    except errors.SnapshotError as exc:
        LOG.warning('Streaming snapshot refused (%s); saving to a file '
                    'first.', exc)
    else:
        with stream:
            return backup_objects.upload_stream(
                conn, stream, container, name,
                CONF.backup_segment_max_size,
                CONF.backup_parallel_transfers)
    snap = app.snapshot()
    try:
        checksum = backup_objects.upload(
            conn, snap['path'], container, name,
            CONF.backup_segment_max_size, CONF.backup_parallel_transfers)
        return checksum, snap['size']
    finally:
        rdb.discard_snapshot(snap['path'])


def restore_checked(app, backup_info, context=None):
    """Put the backup ``backup_info`` in place before the first start.

    Fetches the backup from the Swift of ``backup_info['region']`` with
    the tenant's token of ``context``, checks its checksum, then
    ``app.prepare_restore(rdb_path)`` (:func:`restore`). Any failure but
    a checksum mismatch is a ``GuestError`` naming the backup.
    """
    backup_id = (backup_info or {}).get('id')
    if context is None or not getattr(context, 'auth_token', None) or \
            not backup_info.get('location'):
        raise guest_errors.GuestError(
            'Restoring backup %s needs its location and the tenant\'s '
            'token; the instance cannot be built from it.' % backup_id)
    try:
        restore(app, context, backup_info)
    except backup_objects.ChecksumMismatch:
        raise
    except Exception as exc:
        raise guest_errors.GuestError('Restoring backup %s failed: %s'
                                      % (backup_id, exc)) from exc


def restore(app, context, backup_info):
    """Put backup ``backup_info`` in place of ``app``'s data, verified.

    The object is downloaded into the data directory itself and renamed
    into place: one write of the data on the guest's disk.

    Runs before the first start of Redis: the next ``app.start()`` loads
    the restored data.
    """
    os.makedirs(app.data_dir, mode=0o700, exist_ok=True)
    path = os.path.join(app.data_dir, 'restore-%s.rdb' % backup_info['id'])
    backup_objects.download(context, backup_info, path,
                            CONF.backup_parallel_transfers)
    try:
        app.prepare_restore(path)
    finally:
        backup_objects.unlink_quietly(path)
