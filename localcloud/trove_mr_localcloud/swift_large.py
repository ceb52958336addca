"""Large objects and byte ranges for the local cloud's Swift service.

A readable object is resolved into a list of segments (pieces of stored
objects) before anything is sent: a plain object is one segment, a
Dynamic Large Object is every object under its manifest's prefix in name
order, a Static Large Object is what its manifest lists (nested manifests
expanded). Streams are then cut from that list for any byte range.
"""

import hashlib
import json
import logging
from urllib import parse

from trove_mr_localcloud import swift_store

LOG = logging.getLogger(__name__)

MAX_MANIFEST_SEGMENTS = 1000
MAX_MANIFEST_SIZE = 8 * 1024 * 1024
MIN_SEGMENT_SIZE = 1
MAX_NESTING = 10


class LargeObjectError(Exception):
    """A manifest that cannot be stored or read; ``status`` says how."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Segment:
    """Bytes ``[start, end)`` of one stored object, expected ``etag``."""

    __slots__ = ('container', 'name', 'start', 'end', 'etag')

    def __init__(self, container, name, start, end, etag):
        self.container = container
        self.name = name
        self.start = start
        self.end = end
        self.etag = etag

    @property
    def length(self):
        return self.end - self.start


def combined_etag(etags):
    """ETag of a large object: md5 of its segments' etags, in order."""
    md5 = hashlib.md5(usedforsecurity=False)
    for etag in etags:
        md5.update(etag.strip('"').encode('ascii'))
    return md5.hexdigest()


def split_path(path):
    """'/container/object' or 'container/object' -> (container, object)."""
    container, _sep, name = parse.unquote(path).lstrip('/').partition('/')
    if not container or not name:
        raise ValueError(path)
    return container, name


def read_manifest(store, account, container, record):
    """The stored JSON manifest of a Static Large Object record."""
    doc, fobj = store.open_object(account, container, record['name'])
    if doc is None:
        raise LargeObjectError(404, 'Manifest disappeared')
    with fobj:
        return json.loads(fobj.read().decode('utf-8'))


def resolve(store, account, container, record, depth=0):
    """Segments whose concatenation is the content of ``record``.

    Returns (segments, total size, etag without quotes).
    """
    if depth > MAX_NESTING:
        raise LargeObjectError(409, 'Too many nested large objects')
    if record.get('slo'):
        segments = []
        for entry in read_manifest(store, account, container, record):
            seg_container, seg_name = split_path(entry['name'])
            if entry.get('sub_slo'):
                sub = store.get_object(account, seg_container, seg_name)
                if sub is None:
                    raise LargeObjectError(409, 'Missing nested manifest '
                                           + entry['name'])
                segments.extend(resolve(store, account, seg_container, sub,
                                        depth + 1)[0])
            else:
                segments.append(Segment(seg_container, seg_name, 0,
                                        entry['bytes'], entry['hash']))
        return segments, record['size'], record['etag']
    manifest = record.get('sys', {}).get('x-object-manifest')
    if manifest:
        return resolve_dlo(store, account, manifest, record['name'])
    return ([Segment(container, record['name'], 0, record['size'],
                     record['etag'])], record['size'], record['etag'])


def resolve_dlo(store, account, manifest, manifest_name):
    """Segments of a Dynamic Large Object named by ``manifest``."""
    seg_container, _sep, prefix = parse.unquote(manifest).partition('/')
    segments = []
    for doc in store.list_objects(account, seg_container):
        if not doc['name'].startswith(prefix):
            continue
        if doc['name'] == manifest_name or doc.get('slo') or \
                doc.get('sys', {}).get('x-object-manifest'):
            # A manifest among its own segments would recurse forever.
            continue
        segments.append(Segment(seg_container, doc['name'], 0, doc['size'],
                                doc['etag']))
    size = sum(s.length for s in segments)
    return segments, size, combined_etag(s.etag for s in segments)


def parse_range(header, size):
    """One byte range of ``header`` as (start, end exclusive).

    Returns None when there is no usable single range (the whole object
    is sent, which RFC 9110 allows) and raises ValueError when the range
    cannot be satisfied.
    """
    if not header or not header.strip().lower().startswith('bytes='):
        return None
    spec = header.strip()[6:]
    if ',' in spec:
        return None
    first, sep, last = spec.strip().partition('-')
    if not sep:
        return None
    try:
        if first == '':
            suffix = int(last)
            # 'bytes=-0' asks for nothing: left unsatisfiable below.
            start = max(size - suffix, 0) if suffix > 0 else size
            end = size
        else:
            start = int(first)
            end = int(last) + 1 if last else size
    except ValueError:
        return None
    if start >= size or end <= start:
        raise ValueError(header)
    return start, min(end, size)


def cut(segments, start, end):
    """The pieces of ``segments`` covering content bytes [start, end)."""
    pieces = []
    offset = 0
    for seg in segments:
        seg_start, seg_end = offset, offset + seg.length
        offset = seg_end
        if seg_end <= start or seg_start >= end:
            continue
        lo = max(start, seg_start) - seg_start + seg.start
        hi = min(end, seg_end) - seg_start + seg.start
        pieces.append(Segment(seg.container, seg.name, lo, hi, seg.etag))
    return pieces


class SegmentStream:
    """WSGI response iterable streaming pieces of stored objects.

    Each object is opened only when reached, and checked against the etag
    the manifest expects: a segment changed or deleted since the manifest
    was written ends the body early, so the client sees a short read
    rather than wrong bytes.
    """

    def __init__(self, store, account, pieces):
        self._store = store
        self._account = account
        self._pieces = pieces
        self._file = None

    def __iter__(self):
        for piece in self._pieces:
            self._file = self._open(piece)
            if self._file is None:
                return
            self._file.seek(piece.start)
            left = piece.length
            while left > 0:
                data = self._file.read(min(swift_store.CHUNK_SIZE, left))
                if not data:
                    LOG.warning('Segment %s/%s is shorter than expected',
                                piece.container, piece.name)
                    return
                left -= len(data)
                yield data
            self._file.close()
            self._file = None

    def _open(self, piece):
        doc, fobj = self._store.open_object(self._account, piece.container,
                                            piece.name)
        if doc is None or doc['etag'] != piece.etag.strip('"'):
            LOG.warning('Segment %s/%s is missing or changed',
                        piece.container, piece.name)
            if fobj is not None:
                fobj.close()
            return None
        return fobj

    def close(self):
        """Release the open file, if any (called by the WSGI server)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def build_slo_manifest(store, account, body):
    """Validate a ``multipart-manifest=put`` body against the store.

    Returns (stored manifest list, total size, etag). Raises
    LargeObjectError(400) naming every faulty segment.
    """
    try:
        entries = json.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LargeObjectError(400, 'Manifest must be valid JSON') from exc
    if not isinstance(entries, list) or not entries:
        raise LargeObjectError(400, 'Manifest must be a non-empty list')
    if len(entries) > MAX_MANIFEST_SEGMENTS:
        raise LargeObjectError(
            400, 'Too many segments (max %d)' % MAX_MANIFEST_SEGMENTS)
    errors = []
    stored = []
    for index, entry in enumerate(entries):
        problem, item = _check_segment(store, account, entry,
                                       index == len(entries) - 1)
        if problem:
            label = entry.get('path') if isinstance(entry, dict) else index
            errors.append('%s, %s' % (label, problem))
        else:
            stored.append(item)
    if errors:
        raise LargeObjectError(400, 'Errors:\n' + '\n'.join(errors))
    size = sum(item['bytes'] for item in stored)
    return stored, size, combined_etag(item['hash'] for item in stored)


def _check_segment(store, account, entry, is_last):
    if not isinstance(entry, dict) or not isinstance(entry.get('path'), str):
        return 'each segment needs a "path"', None
    unknown = set(entry) - {'path', 'etag', 'size_bytes'}
    if unknown:
        return 'unsupported keys %s' % ', '.join(sorted(unknown)), None
    try:
        container, name = split_path(entry['path'])
    except ValueError:
        return 'path must be /container/object', None
    doc = store.get_object(account, container, name)
    if doc is None:
        return '404 Not Found', None
    etag = entry.get('etag')
    if etag is not None and etag.strip('"') != doc['etag']:
        return 'Etag Mismatch', None
    size_bytes = entry.get('size_bytes')
    if size_bytes is not None and int(size_bytes) != doc['size']:
        return 'Size Mismatch', None
    if doc['size'] < MIN_SEGMENT_SIZE and not is_last:
        return 'Too Small; each segment must be at least %d bytes' % (
            MIN_SEGMENT_SIZE), None
    item = {'name': '/%s/%s' % (container, name), 'hash': doc['etag'],
            'bytes': doc['size'], 'content_type': doc['content_type'],
            'last_modified': swift_store.iso_time(doc['timestamp'])}
    if doc.get('slo'):
        item['sub_slo'] = True
    return None, item


def raw_manifest(manifest):
    """A stored manifest in the form ``multipart-manifest=put`` takes."""
    return [{'path': item['name'], 'etag': item['hash'],
             'size_bytes': item['bytes']} for item in manifest]
