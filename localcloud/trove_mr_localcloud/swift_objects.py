"""Object requests of the local cloud's Swift service: PUT (plain, copy,
Static Large Object manifest), GET/HEAD (ranges, large objects), POST
and DELETE."""

import hashlib
import json
import mimetypes
import time
from urllib import parse

from trove_mr_localcloud import swift_large
from trove_mr_localcloud.swift_http import HTTPError
from trove_mr_localcloud.swift_http import Response
from trove_mr_localcloud.swift_http import http_date
from trove_mr_localcloud.swift_http import x_timestamp

MAX_OBJECT_NAME_BYTES = 1024
MAX_META_NAME = 128
MAX_META_VALUE = 256
MAX_META_COUNT = 90
# Headers Swift keeps with an object besides its user metadata.
KEPT_HEADERS = ('content-disposition', 'content-encoding',
                'x-object-manifest')


def user_meta(req, kind):
    """Validated ``X-<kind>-Meta-*`` headers of a request."""
    meta = req.headers_with_prefix('X-%s-Meta-' % kind)
    if len(meta) > MAX_META_COUNT:
        raise HTTPError(400, 'Too many metadata items; max %d'
                        % MAX_META_COUNT)
    prefix_len = len('x-%s-meta-' % kind)
    for name, value in meta.items():
        if len(name) - prefix_len > MAX_META_NAME:
            raise HTTPError(400, 'Metadata name too long: %s' % name)
        if len(value) > MAX_META_VALUE:
            raise HTTPError(400, 'Metadata value longer than %d: %s'
                            % (MAX_META_VALUE, name))
    return meta


def header_name(key):
    """'x-object-meta-color' -> 'X-Object-Meta-Color'."""
    return '-'.join(part.capitalize() for part in key.split('-'))


class ObjectController:
    """Handles ``/v1/<account>/<container>/<object>`` for a store."""

    def __init__(self, store, max_file_size):
        self.store = store
        self.max_file_size = max_file_size

    def handle(self, req, account, container, name):
        """Answer one object request."""
        if len(name.encode('utf-8')) > MAX_OBJECT_NAME_BYTES:
            raise HTTPError(400, 'Object name length of %d longer than %d'
                            % (len(name.encode('utf-8')),
                               MAX_OBJECT_NAME_BYTES))
        handler = {
            'PUT': self.put, 'GET': self.get, 'HEAD': self.get,
            'POST': self.post, 'DELETE': self.delete, 'COPY': self.copy,
        }.get(req.method)
        if handler is None:
            raise HTTPError(405)
        return handler(req, account, container, name)

    # -- writing ----------------------------------------------------------

    def put(self, req, account, container, name):
        """Create or replace an object from the body, a copy or a
        Static Large Object manifest."""
        if self.store.get_container(account, container) is None:
            raise HTTPError(404, 'Container not found')
        if (req.header('If-None-Match') or '').strip() == '*' and \
                self.store.get_object(account, container, name) is not None:
            raise HTTPError(412, 'Object already exists')
        copy_from = req.header('X-Copy-From')
        if copy_from:
            return self._copy(req, account, copy_from, container, name)
        if req.query.get('multipart-manifest') == 'put':
            return self._put_slo(req, account, container, name)
        record = self._base_record(req, name)
        manifest = req.header('X-Object-Manifest')
        if manifest is not None and '/' not in parse.unquote(manifest):
            raise HTTPError(400, 'X-Object-Manifest must be '
                            '<container>/<prefix>')
        stored = self._store_chunks(
            account, container, record,
            req.body_chunks(self.max_file_size), req.header('ETag'))
        return self._created(stored, stored['etag'])

    def _base_record(self, req, name, defaults=None):
        defaults = defaults or {}
        content_type = req.header('Content-Type') or \
            defaults.get('content_type') or \
            mimetypes.guess_type(name)[0] or 'application/octet-stream'
        kept = {key: req.header(key) for key in KEPT_HEADERS
                if req.header(key) is not None}
        meta = dict(defaults.get('meta', {}))
        meta.update(user_meta(req, 'Object'))
        return {'name': name, 'content_type': content_type,
                'meta': meta, 'sys': dict(defaults.get('sys', {}), **kept),
                'slo': False}

    def _store_chunks(self, account, container, record, chunks,
                      expected_etag=None):
        upload = self.store.new_upload()
        try:
            for data in chunks:
                upload.write(data)
            etag = upload.finish()
        except BaseException:
            upload.discard()
            raise
        if expected_etag and expected_etag.strip('"').lower() != etag:
            upload.discard()
            raise HTTPError(422, 'ETag does not match the body')
        record = dict(record, size=upload.size, etag=etag,
                      timestamp=time.time())
        stored = self.store.commit_object(account, container, upload,
                                          record)
        if stored is None:
            raise HTTPError(404, 'Container not found')
        return stored

    @staticmethod
    def _created(record, etag, extra=None):
        headers = {'ETag': etag,
                   'Last-Modified': http_date(record['timestamp']),
                   'X-Timestamp': x_timestamp(record['timestamp']),
                   'Content-Type': 'text/html; charset=UTF-8'}
        headers.update(extra or {})
        return Response(201, headers)

    def _put_slo(self, req, account, container, name):
        body = req.read_body(swift_large.MAX_MANIFEST_SIZE)
        try:
            manifest, size, etag = swift_large.build_slo_manifest(
                self.store, account, body)
        except swift_large.LargeObjectError as exc:
            raise HTTPError(exc.status, exc.message) from exc
        expected = req.header('ETag')
        if expected and expected.strip('"') != etag:
            raise HTTPError(422, 'ETag does not match the segments')
        record = self._base_record(req, name)
        record['sys'].pop('x-object-manifest', None)
        data = json.dumps(manifest).encode('utf-8')
        upload = self.store.new_upload()
        upload.write(data)
        record.update(slo=True, manifest_size=len(data),
                      manifest_etag=upload.finish(), size=size, etag=etag,
                      timestamp=time.time())
        stored = self.store.commit_object(account, container, upload,
                                          record)
        if stored is None:
            raise HTTPError(404, 'Container not found')
        return self._created(stored, '"%s"' % etag)

    def copy(self, req, account, container, name):
        """COPY: the same as PUT on ``Destination`` from this object."""
        destination = req.header('Destination')
        if not destination:
            raise HTTPError(412, 'Destination header required')
        try:
            dst_container, dst_name = swift_large.split_path(destination)
        except ValueError as exc:
            raise HTTPError(412, 'Destination must be container/object') \
                from exc
        if self.store.get_container(account, dst_container) is None:
            raise HTTPError(404, 'Container not found')
        return self._copy(req, account, '/%s/%s' % (container, name),
                          dst_container, dst_name)

    def _copy(self, req, account, source, container, name):
        try:
            src_container, src_name = swift_large.split_path(source)
        except ValueError as exc:
            raise HTTPError(412, 'X-Copy-From must be container/object') \
                from exc
        src = self.store.get_object(account, src_container, src_name)
        if src is None:
            raise HTTPError(404, 'Source object not found')
        stream = self._content_stream(account, src_container, src,
                                      whole=True)[0]
        fresh = (req.header('X-Fresh-Metadata') or '').lower() in (
            'true', '1', 'yes', 'on')
        defaults = {'content_type': src['content_type']}
        if not fresh:
            defaults['meta'] = src['meta']
            # A copy of a large object is its content, not its manifest.
            defaults['sys'] = {k: v for k, v in src['sys'].items()
                               if k != 'x-object-manifest'}
        record = self._base_record(req, name, defaults)
        record['sys'].pop('x-object-manifest', None)
        try:
            stored = self._store_chunks(account, container, record, stream)
        finally:
            stream.close()
        return self._created(stored, stored['etag'], {
            'X-Copied-From': '%s/%s' % (parse.quote(src_container),
                                        parse.quote(src_name)),
            'X-Copied-From-Last-Modified': http_date(src['timestamp'])})

    # -- reading ----------------------------------------------------------

    def get(self, req, account, container, name):
        """GET/HEAD an object, a range of it, or an SLO's manifest."""
        record = self.store.get_object(account, container, name)
        if record is None:
            raise HTTPError(404, 'Object not found')
        headers = self._object_headers(record)
        if record['slo'] and req.query.get('multipart-manifest') == 'get':
            return self._manifest_response(req, account, container, record,
                                           headers)
        try:
            stream, size, etag = self._content_stream(
                account, container, record, whole=False)
        except swift_large.LargeObjectError as exc:
            raise HTTPError(exc.status, exc.message) from exc
        large = record['slo'] or 'x-object-manifest' in record['sys']
        headers['ETag'] = '"%s"' % etag if large else etag
        try:
            span = swift_large.parse_range(req.header('Range'), size)
        except ValueError:
            stream.close()
            raise HTTPError(416, 'Requested range not satisfiable', {
                'Content-Range': 'bytes */%d' % size}) from None
        status = 200
        start, end = 0, size
        if span is not None:
            status = 206
            start, end = span
            headers['Content-Range'] = 'bytes %d-%d/%d' % (start, end - 1,
                                                           size)
        headers['Content-Length'] = str(end - start)
        if req.method == 'HEAD':
            stream.close()
            return Response(status, headers)
        stream.cut(start, end)
        return Response(status, headers, stream)

    def _object_headers(self, record):
        headers = {'Content-Type': record['content_type'],
                   'Last-Modified': http_date(record['timestamp']),
                   'X-Timestamp': x_timestamp(record['timestamp']),
                   'Accept-Ranges': 'bytes'}
        for key, value in record['meta'].items():
            headers[header_name(key)] = value
        for key, value in record['sys'].items():
            headers[header_name(key)] = value
        if record['slo']:
            headers['X-Static-Large-Object'] = 'True'
        return headers

    def _content_stream(self, account, container, record, whole):
        """(stream, size, etag) of an object's content.

        The stream covers everything until cut; ``whole`` cuts it at once.
        """
        segments, size, etag = swift_large.resolve(self.store, account,
                                                    container, record)
        stream = _LazyStream(self.store, account, segments)
        if whole:
            stream.cut(0, size)
        return stream, size, etag

    def _manifest_response(self, req, account, container, record, headers):
        manifest = swift_large.read_manifest(self.store, account, container,
                                             record)
        headers['Content-Type'] = 'application/json; charset=utf-8'
        if req.query.get('format') == 'raw':
            data = json.dumps(swift_large.raw_manifest(manifest)).encode()
            etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        else:
            data = json.dumps(manifest).encode('utf-8')
            etag = record['manifest_etag']
        headers['ETag'] = etag
        headers['Content-Length'] = str(len(data))
        return Response(200, headers, b'' if req.method == 'HEAD' else data)

    # -- metadata and deletion --------------------------------------------

    def post(self, req, account, container, name):
        """Replace an object's user metadata (and content type)."""
        changes = {'meta': user_meta(req, 'Object')}
        if req.header('Content-Type'):
            changes['content_type'] = req.header('Content-Type')
        record = self.store.get_object(account, container, name)
        if record is None:
            raise HTTPError(404, 'Object not found')
        kept = dict(record['sys'])
        for key in ('content-disposition', 'content-encoding'):
            if req.header(key) is not None:
                kept[key] = req.header(key)
        changes['sys'] = kept
        if self.store.update_object_record(account, container, name,
                                           changes) is None:
            raise HTTPError(404, 'Object not found')
        return Response.text(202, 'Accepted')

    def delete(self, req, account, container, name):
        """Delete an object; with ``multipart-manifest=delete`` an SLO's
        segments go too."""
        record = self.store.get_object(account, container, name)
        if record is None:
            raise HTTPError(404, 'Object not found')
        if record['slo'] and \
                req.query.get('multipart-manifest') == 'delete':
            return self._delete_slo(req, account, container, record)
        if not self.store.delete_object(account, container, name):
            raise HTTPError(404, 'Object not found')
        return Response(204)

    def _delete_slo(self, req, account, container, record, depth=0):
        deleted = not_found = 0
        errors = []
        manifest = swift_large.read_manifest(self.store, account, container,
                                             record)
        for entry in manifest:
            seg_container, seg_name = swift_large.split_path(entry['name'])
            sub = self.store.get_object(account, seg_container, seg_name)
            if sub is not None and sub['slo'] and \
                    depth < swift_large.MAX_NESTING:
                counts = self._delete_slo(req, account, seg_container, sub,
                                          depth + 1)
                deleted += counts[0]
                not_found += counts[1]
                errors.extend(counts[2])
            elif self.store.delete_object(account, seg_container, seg_name):
                deleted += 1
            else:
                not_found += 1
        if self.store.delete_object(account, container, record['name']):
            deleted += 1
        else:
            not_found += 1
        if depth:
            return deleted, not_found, errors
        result = {'Number Deleted': deleted, 'Number Not Found': not_found,
                  'Response Status': '200 OK', 'Response Body': '',
                  'Errors': errors}
        if req.wants_json() or 'json' in (req.header('Accept') or ''):
            return Response.json(200, result)
        text = ''.join('%s: %s\n' % (key, value if key != 'Errors' else '')
                       for key, value in result.items())
        return Response.text(200, text)


class _LazyStream:
    """A segment list that becomes a byte stream once cut to a range."""

    def __init__(self, store, account, segments):
        self._store = store
        self._account = account
        self._segments = segments
        self._stream = None

    def cut(self, start, end):
        """Limit the stream to content bytes [start, end)."""
        pieces = swift_large.cut(self._segments, start, end)
        self._stream = swift_large.SegmentStream(self._store, self._account,
                                                 pieces)

    def __iter__(self):
        return iter(self._stream)

    def close(self):
        """Release any file the stream holds open."""
        if self._stream is not None:
            self._stream.close()
