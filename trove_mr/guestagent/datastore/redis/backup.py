"""RDB snapshots for backups, and putting a backup in place to restore.

Streaming the files to and from object storage is done elsewhere; this
module only produces a consistent local file and consumes one.
"""

import logging
import os
import shutil
import time

import redis

from trove_mr.guestagent.datastore.redis import errors

LOG = logging.getLogger(__name__)

RDB_NAME = 'dump.rdb'
AOF_DIR_NAME = 'appendonlydir'
LEGACY_AOF_NAME = 'appendonly.aof'
# The multi-part AOF (Redis 7) a restore starts: its RDB file as the base.
AOF_BASE_NAME = 'appendonly.aof.1.base.rdb'
AOF_MANIFEST_NAME = 'appendonly.aof.manifest'
RESTORE_MARKER = '.restore-pending'
RDB_MAGIC = b'REDIS'

_POLL = 0.05


def _persistence(client):
    return client.info('persistence')


def _request_bgsave(client, deadline):
    """Start (or schedule) a BGSAVE, waiting out a save already running."""
    while True:
        try:
            return client.bgsave(schedule=True)
        except redis.ResponseError as e:
            if 'in progress' not in str(e).lower() or \
                    time.monotonic() > deadline:
                raise errors.SnapshotError('BGSAVE refused: %s' % e) from e
        time.sleep(_POLL)


def snapshot(app, timeout=600):
    """Write a consistent RDB file of the local node's data.

    Runs BGSAVE and waits until that save has finished, then hard-links
    the result under a name of its own, so a later save replacing
    ``dump.rdb`` cannot change the file while it is being uploaded.

    Redis replaces ``dump.rdb`` by renaming a new file over it, never by
    writing into it, so the link is a fixed copy without copying a byte;
    its md5 is computed while it is uploaded, not in a pass of its own.

    :returns: ``{'path': ..., 'size': ...}``; remove the file with
        :func:`discard_snapshot` once it has been stored.
    :raises SnapshotError: if the save fails or takes over ``timeout``.
    """
    client = app.client()
    deadline = time.monotonic() + timeout
    before = _persistence(client)
    # rdb_saves counts completed saves; LASTSAVE has 1 s resolution only.
    saves_before = before.get('rdb_saves')
    lastsave_before = before.get('rdb_last_save_time')
    _request_bgsave(client, deadline)
    while True:
        info = _persistence(client)
        if not info.get('rdb_bgsave_in_progress'):
            if info.get('rdb_last_bgsave_status') != 'ok':
                raise errors.SnapshotError(
                    'background save at %s:%d failed; see %s' % (
                        app.address, app.port, app.logfile))
            if saves_before is not None:
                done = info.get('rdb_saves', 0) > saves_before
            else:
                done = info.get('rdb_last_save_time', 0) > lastsave_before
            if done:
                break
        if time.monotonic() > deadline:
            raise errors.SnapshotError(
                'background save at %s:%d did not finish within %ss'
                % (app.address, app.port, timeout))
        time.sleep(_POLL)
    source = os.path.join(app.data_dir, RDB_NAME)
    path = os.path.join(app.data_dir, 'snapshot-%d.rdb' % time.time_ns())
    os.link(source, path)
    size = os.path.getsize(path)
    LOG.info('Snapshot of %s:%d: %d bytes.', app.address, app.port, size)
    return {'path': path, 'size': size}


def discard_snapshot(path):
    """Remove a file made by :func:`snapshot` (missing is fine)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def restore_pending(app):
    """Whether :func:`prepare_restore` ran and the next start must finish
    the restore."""
    return os.path.exists(os.path.join(app.data_dir, RESTORE_MARKER))


def prepare_restore(app, rdb_path):
    """Put the RDB file ``rdb_path`` in place of the node's data.

    The node must be stopped. A file in the node's data directory is
    moved into place; one elsewhere is copied. The file becomes both
    ``dump.rdb`` and, hard-linked, the base of a new multi-part AOF
    (Redis 7 loads an ``.rdb`` base as it is), so the next
    ``app.start()`` loads it with AOF on, whatever the node's
    ``appendonly``, and no AOF rewrite of the loaded data is needed: the
    data is written to the guest's disk once.

    :raises RestoreError: if the server is running or the file is not an
        RDB file.
    """
    if app.is_running():
        raise errors.RestoreError('cannot restore into %s:%d while it is '
                                  'running' % (app.address, app.port))
    with open(rdb_path, 'rb') as f:
        if f.read(len(RDB_MAGIC)) != RDB_MAGIC:
            raise errors.RestoreError('%s is not a Redis RDB file'
                                      % rdb_path)
    os.makedirs(app.data_dir, mode=0o700, exist_ok=True)
    target = os.path.join(app.data_dir, RDB_NAME)
    if os.path.dirname(os.path.abspath(rdb_path)) == \
            os.path.abspath(app.data_dir):
        # Downloaded beside the data: renamed, never copied.
        os.replace(rdb_path, target)
    else:
        tmp = target + '.restore-tmp'
        shutil.copyfile(rdb_path, tmp)
        os.replace(tmp, target)
    aof_dir = os.path.join(app.data_dir, AOF_DIR_NAME)
    new_dir = aof_dir + '.restore-tmp'
    shutil.rmtree(new_dir, ignore_errors=True)
    os.mkdir(new_dir, 0o700)
    os.link(target, os.path.join(new_dir, AOF_BASE_NAME))
    with open(os.path.join(new_dir, AOF_MANIFEST_NAME), 'w') as f:
        f.write('file %s seq 1 type b\n' % AOF_BASE_NAME)
    shutil.rmtree(aof_dir, ignore_errors=True)
    os.rename(new_dir, aof_dir)
    for stale in (LEGACY_AOF_NAME, RESTORE_MARKER):
        try:
            os.unlink(os.path.join(app.data_dir, stale))
        except FileNotFoundError:
            pass
    LOG.info('Placed %s into %s for restore.', rdb_path, app.data_dir)


def finish_restore(app, timeout=600):
    """Turn AOF on in a node that has just loaded a restored RDB file.

    For a node a restore of an earlier agent left with AOF off (its
    restore marker); :func:`prepare_restore` now starts the AOF itself.

    CONFIG SET appendonly yes makes Redis write a new AOF from the loaded
    data; once that rewrite is done redis.conf is rendered with AOF on
    again and the restore marker removed.
    """
    client = app.client()
    client.config_set('appendonly', 'yes')
    deadline = time.monotonic() + timeout
    manifest_dir = os.path.join(app.data_dir, AOF_DIR_NAME)
    while True:
        info = _persistence(client)
        if info.get('aof_enabled') and \
                not info.get('aof_rewrite_in_progress') and \
                not info.get('aof_rewrite_scheduled') and \
                os.path.isdir(manifest_dir):
            if info.get('aof_last_bgrewrite_status') != 'ok':
                raise errors.RestoreError(
                    'AOF rewrite after restore failed at %s:%d; see %s'
                    % (app.address, app.port, app.logfile))
            break
        if time.monotonic() > deadline:
            raise errors.RestoreError(
                'AOF rewrite after restore at %s:%d did not finish within '
                '%ss' % (app.address, app.port, timeout))
        time.sleep(_POLL)
    app.write_config(appendonly=True)
    os.unlink(os.path.join(app.data_dir, RESTORE_MARKER))
    LOG.info('Restore of %s:%d finished; AOF is on.', app.address,
             app.port)
