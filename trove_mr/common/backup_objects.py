"""The Swift object layout of backups, shared by guests and the control plane.

One place says where a backup lives and how it is checked:

* the object is ``<container>/<backup id>.rdb`` in the tenant's account of
  the instance's region (:func:`object_name`, :func:`object_location`);
* a file of more than one part (:func:`backup_transfer.plan_parts`:
  parts of at most ``backup_segment_max_size`` bytes, as many as can go
  at once) goes up as a Static Large Object: segments ``<name>/%08d`` in
  ``<container>_segments``, sent in parallel, each checked against the
  ETag Swift answers, and a JSON manifest under the backup's name;
* the backup's checksum is the md5 of the whole file, computed while
  uploading and again while downloading (ranges in parallel), checked
  before the data is used;
* the object (or manifest) carries its type, the whole file's md5 and
  its size as metadata (:func:`backup_headers`), so that a backup can be
  recognised and checked from its URL alone (:func:`remote_backup_info`,
  ``backup create --restore-from``);
* deleting a backup removes its manifest and every segment.

The guest agent writes and reads backups with these functions; the API
names the object at create and the taskmanager deletes it.
"""

import hashlib
import json
import os
import time
from urllib import parse

import swiftclient
from oslo_log import log as logging

from trove_mr.common import backup_transfer
from trove_mr.common import exceptions

LOG = logging.getLogger(__name__)

BACKUP_TYPE = 'redis-rdb'
_CHUNK = 1024 * 1024
# Segments (or byte ranges) moved at once by an upload (or download).
DEFAULT_WORKERS = 4


def object_name(backup_id):
    """Name of a backup's object (or manifest) in its container."""
    return '%s.rdb' % backup_id


class BackupError(exceptions.TroveMRError):
    """A backup or a restore could not be completed."""

    kind = 'backupError'
    default_message = 'The backup could not be read or written.'

class ChecksumMismatch(BackupError):
    """The downloaded backup is not the one that was stored."""

    default_message = ('The backup failed its checksum check; Redis was '
                       'not started on it.')

def segments_container(container):
    """Container the segments of a large backup go to."""
    return container + '_segments'

def split_location(location):
    """``(account_url, container, object_name)`` of an object URL."""
    parsed = parse.urlsplit(location)
    parts = parsed.path.split('/')
    # /v1/AUTH_x/container/object...: the object may contain slashes.
    if len(parts) < 5 or not parts[3] or not parts[4]:
        raise BackupError('Backup location %s is not an object URL.'
                          % location)
    account = parse.urlunsplit((parsed.scheme, parsed.netloc,
                                '/'.join(parts[:3]), '', ''))
    return (account, parse.unquote(parts[3]),
            parse.unquote('/'.join(parts[4:])))

def connection(context, account_url):
    """A swiftclient Connection to ``account_url`` with the context's
    token (the tenant's)."""
    if not context.auth_token:
        raise BackupError('The request carries no token: the tenant\'s '
                          'object store cannot be reached.')
    return swiftclient.Connection(preauthurl=account_url,
                                  preauthtoken=context.auth_token,
                                  retries=2)

class _Reader:
    """A file object reading at most ``length`` bytes and hashing them."""

    def __init__(self, fileobj, length, whole_digest):
        self._file = fileobj
        self._left = length
        self._whole = whole_digest
        self.digest = hashlib.md5(usedforsecurity=False)

    def read(self, size=-1):
        if self._left <= 0:
            return b''
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._file.read(min(size, _CHUNK))
        self._left -= len(data)
        self.digest.update(data)
        self._whole.update(data)
        return data

def upload(conn, path, container, name, segment_size,
           workers=DEFAULT_WORKERS):
    """Upload the file ``path`` as ``container/name``; return its md5.

    Small files are one object sent with their ETag checked, so Swift
    refusing or corrupting an upload is seen; larger ones are a Static
    Large Object whose segments (at most ``segment_size`` bytes) go up
    ``workers`` at once, each checked the same way, while the whole
    file's md5 is computed beside them (:mod:`backup_transfer`). Whatever
    was uploaded is removed if any part fails, so no partial object is
    left under the name.
    """
    size = os.path.getsize(path)
    parts = backup_transfer.plan_parts(size, segment_size, workers)
    whole = hashlib.md5(usedforsecurity=False)
    uploaded = []
    seg_container = segments_container(container)
    try:
        conn.put_container(container)
        if len(parts) == 1:
            with open(path, 'rb') as f:
                reader = _Reader(f, size, whole)
                etag = conn.put_object(container, name, reader,
                                       content_length=size)
            uploaded.append((container, name))
            if etag != reader.digest.hexdigest():
                raise BackupError('Swift stored %s with ETag %s, not '
                                  'the md5 sent.' % (name, etag))
            conn.post_object(container, name, headers=backup_headers(
                whole.hexdigest(), size))
            return whole.hexdigest()
        conn.put_container(seg_container)
        try:
            checksum, manifest, _ = backup_transfer.put_parts(
                conn, path, parts, seg_container, name, workers)
        except Exception:
            # Each segment a part stored, whatever else failed.
            uploaded.extend((seg_container, '%s/%08d' % (name, i))
                            for i in range(len(parts)))
            raise
        uploaded.extend((seg_container, entry['path'].split('/', 2)[2])
                        for entry in manifest)
        conn.put_object(container, name, contents=json.dumps(manifest),
                        query_string='multipart-manifest=put',
                        headers=backup_headers(checksum, size))
        uploaded.append((container, name))
        return checksum
    except OSError as exc:
        for where, what in reversed(uploaded):
            delete_quietly(conn, where, what)
        raise BackupError(str(exc)) from exc
    except Exception:
        for where, what in reversed(uploaded):
            delete_quietly(conn, where, what)
        raise

def upload_stream(conn, stream, container, name, segment_size,
                  workers=DEFAULT_WORKERS):
    """Upload what ``stream`` reads as ``container/name``.

    ``stream.read(size)`` returns ``b''`` at the end; its length need not
    be known. Read in order and hashed on the way, it goes up as a Static
    Large Object whose segments are sent ``workers`` at once while the
    next is read (:func:`backup_transfer.put_stream`), or as one object
    when it fits in one part. Whatever was uploaded is removed if any
    part fails.

    :returns: ``(md5 of the whole, size in bytes)``.
    """
    uploaded = []
    stored = []
    seg_container = segments_container(container)
    try:
        conn.put_container(container)
        conn.put_container(seg_container)
        checksum, manifest, size = backup_transfer.put_stream(
            conn, stream, seg_container, name, segment_size, workers,
            stored)
        if manifest is None:
            data, size = size, len(size)
            etag = conn.put_object(container, name, data,
                                   content_length=size,
                                   headers=backup_headers(checksum, size))
            uploaded.append((container, name))
            if etag != checksum:
                raise BackupError('Swift stored %s with ETag %s, not the '
                                  'md5 sent.' % (name, etag))
            return checksum, size
        conn.put_object(container, name, contents=json.dumps(manifest),
                        query_string='multipart-manifest=put',
                        headers=backup_headers(checksum, size))
        uploaded.append((container, name))
        return checksum, size
    except Exception as exc:
        for where, what in reversed(stored + uploaded):
            delete_quietly(conn, where, what)
        if isinstance(exc, OSError):
            raise BackupError(str(exc)) from exc
        raise

def delete_quietly(conn, container, name):
    try:
        conn.delete_object(container, name)
    except swiftclient.ClientException as exc:
        if exc.http_status != 404:
            LOG.warning('Could not remove %s/%s: %s', container, name, exc)
    except Exception as exc:  # noqa: BLE001 - cleanup is best effort
        LOG.warning('Could not remove %s/%s: %s', container, name, exc)

def object_location(swift_url, container, backup_id):
    """The object URL of a backup: where it is written and read."""
    return '%s/%s/%s' % (swift_url.rstrip('/'), parse.quote(container),
                         parse.quote(object_name(backup_id)))

def objects_of(conn, container, name):
    """The manifest's segments (if any) then the object itself."""
    found = []
    try:
        headers = conn.head_object(container, name)
    except swiftclient.ClientException:
        return found
    if headers.get('x-static-large-object', '').lower() == 'true':
        _, body = conn.get_object(container, name,
                                  query_string='multipart-manifest=get')
        for entry in json.loads(body):
            seg_container, _, segment = entry['name'].lstrip('/').partition(
                '/')
            found.append((seg_container, segment))
    found.append((container, name))
    return found

def delete_backup_objects(context, location):
    """Remove a backup's object and its segments; missing is fine."""
    account, container, name = split_location(location)
    conn = connection(context, account)
    try:
        conn.delete_object(container, name,
                           query_string='multipart-manifest=delete')
    except swiftclient.ClientException as exc:
        if exc.http_status != 404:
            raise

def download(context, backup_info, dest_path, workers=DEFAULT_WORKERS):
    """Fetch the backup into ``dest_path`` and verify its checksum.

    Byte ranges of the object are read ``workers`` at once, each written
    in place, while the md5 is computed behind them
    (:mod:`backup_transfer`).

    :raises ChecksumMismatch: naming both checksums when the data read
        is not what was stored; ``dest_path`` is removed then.
    """
    account, container, name = split_location(backup_info['location'])
    conn = connection(context, account)
    started = time.monotonic()
    try:
        headers = conn.head_object(container, name)
        size = int(headers.get('content-length', 0))
        parts = backup_transfer.plan_parts(size, max(size, 1), workers)
        got, size = backup_transfer.get_parts(conn, container, name, size,
                                              parts, dest_path, workers)
    except swiftclient.ClientException as exc:
        unlink_quietly(dest_path)
        raise BackupError('Backup %s could not be read from %s: %s' % (
            backup_info.get('id'), backup_info.get('region'), exc)) from exc
    except Exception:
        unlink_quietly(dest_path)
        raise
    if got != backup_info.get('checksum'):
        unlink_quietly(dest_path)
        raise ChecksumMismatch(
            'checksum mismatch for backup %s: expected md5 %s, read %s '
            '(%d bytes from region %s); Redis was not started on it.'
            % (backup_info.get('id'), backup_info.get('checksum'), got,
               size, backup_info.get('region')))
    LOG.info('Backup %s read from region %s: %d bytes in %.3fs, checksum '
             'ok.', backup_info.get('id'), backup_info.get('region'), size,
             time.monotonic() - started)
    return size

def unlink_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


META_TYPE = 'x-object-meta-backup-type'
META_CHECKSUM = 'x-object-meta-backup-checksum'
META_SIZE = 'x-object-meta-backup-size'


def backup_headers(checksum, size):
    """The metadata a backup object carries: type, md5, size in bytes."""
    return {META_TYPE: BACKUP_TYPE, META_CHECKSUM: checksum,
            META_SIZE: str(int(size))}


def owns_object(backup_id, location):
    """Whether ``location`` is the object named after ``backup_id``.

    A backup registered from another one's URL (``--restore-from``)
    points at an object it does not own: deleting it leaves the object.
    """
    path = parse.urlsplit(location or '').path
    return parse.unquote(path.rsplit('/', 1)[-1]) == object_name(backup_id)


def split_under(account_url, location):
    """``(container, object name)`` of ``location`` when it is an object
    of the account at ``account_url``, else None."""
    prefix = account_url.rstrip('/') + '/'
    if not location.startswith(prefix):
        return None
    container, _, name = location[len(prefix):].partition('/')
    if not container or not name:
        return None
    return parse.unquote(container), parse.unquote(name)


def remote_backup_info(context, location, account_url):
    """``{'checksum', 'size'}`` (size in bytes) of the backup object at
    ``location`` in the account at ``account_url``, read with the
    request's token.

    :raises BackupError: when it is not an object of that account, there
        is no object there, or the object is not a complete backup (no
        type, md5 or size metadata).
    """
    parts = split_under(account_url, location)
    if parts is None:
        raise BackupError('Backup location %s is not an object URL of %s.'
                          % (location, account_url))
    container, name = parts
    account = account_url
    conn = connection(context, account)
    try:
        headers = conn.head_object(container, name)
    except swiftclient.ClientException as exc:
        raise BackupError('No backup object could be read at %s (HTTP %s).'
                          % (location, exc.http_status)) from None
    except Exception as exc:  # noqa: BLE001 - the store is unreachable
        raise BackupError('The object store at %s could not be reached: '
                          '%s' % (account, exc)) from None
    headers = {k.lower(): v for k, v in headers.items()}
    if headers.get(META_TYPE) != BACKUP_TYPE:
        raise BackupError('The object at %s is not a %s backup (its type '
                          'is %s).' % (location, BACKUP_TYPE,
                                       headers.get(META_TYPE) or 'missing'))
    checksum = headers.get(META_CHECKSUM) or ''
    size = headers.get(META_SIZE) or ''
    if len(checksum) != 32 or not size.isdigit():
        raise BackupError('The backup at %s has no checksum or size '
                          'metadata: it was not completed.' % location)
    return {'checksum': checksum, 'size': int(size)}
