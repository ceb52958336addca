"""HTTP plumbing of the local cloud's Swift service: requests, responses,
request bodies (including chunked ones) and Swift's header conventions."""

import email.utils
import http
import json
import math
import time
import uuid
from urllib import parse

READ_SIZE = 1024 * 1024


class HTTPError(Exception):
    """Ends a request with ``status`` and a short plain-text body."""

    def __init__(self, status, message=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message or http.HTTPStatus(status).phrase
        self.headers = headers or {}


class Request:
    """The parts of a WSGI environ the Swift service looks at."""

    def __init__(self, environ):
        self.environ = environ
        self.method = environ['REQUEST_METHOD'].upper()
        # PEP 3333 hands the path over as latin-1; names are UTF-8.
        raw = environ.get('PATH_INFO', '')
        try:
            self.path = raw.encode('latin-1').decode('utf-8')
        except (UnicodeEncodeError, UnicodeDecodeError) as exc:
            raise HTTPError(412, 'Invalid UTF8 or contains NULL') from exc
        if '\x00' in self.path:
            raise HTTPError(412, 'Invalid UTF8 or contains NULL')
        self.query = {k: v[-1] for k, v in parse.parse_qs(
            environ.get('QUERY_STRING', ''), keep_blank_values=True).items()}

    def header(self, name, default=None):
        """A request header by its HTTP name, e.g. ``X-Auth-Token``."""
        key = name.upper().replace('-', '_')
        if key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            value = self.environ.get(key)
        else:
            value = self.environ.get('HTTP_' + key)
        return default if value in (None, '') and default is not None \
            else value

    def headers_with_prefix(self, prefix):
        """{lowercase header name: value} of headers starting ``prefix``."""
        key_prefix = 'HTTP_' + prefix.upper().replace('-', '_')
        found = {}
        for key, value in self.environ.items():
            if key.startswith(key_prefix) and len(key) > len(key_prefix):
                name = key[5:].replace('_', '-').lower()
                found[name] = value
        return found

    def wants_json(self):
        """True when the client asked for a JSON listing."""
        fmt = self.query.get('format', '').lower()
        if fmt:
            return fmt == 'json'
        return 'application/json' in (self.header('Accept') or '')

    def body_chunks(self, limit):
        """Yield the request body in pieces; HTTPError 413 past ``limit``.

        A chunked body is decoded here unless the server already did it
        (servers that do set ``wsgi.input_terminated``).
        """
        stream = self.environ['wsgi.input']
        chunked = 'chunked' in (self.header('Transfer-Encoding') or '')
        if chunked and self.environ.get('wsgi.input_terminated'):
            pieces = _read_to_eof(stream)
        elif chunked:
            pieces = _read_chunked(stream)
        else:
            length = self.header('Content-Length')
            if length is None:
                raise HTTPError(411, 'Missing Content-Length')
            try:
                length = int(length)
            except ValueError as exc:
                raise HTTPError(400, 'Invalid Content-Length') from exc
            if length > limit:
                raise HTTPError(413, 'Your request is too large.')
            pieces = _read_exactly(stream, length)
        total = 0
        for data in pieces:
            total += len(data)
            if total > limit:
                raise HTTPError(413, 'Your request is too large.')
            yield data

    def read_body(self, limit):
        """The whole (small) request body as bytes."""
        return b''.join(self.body_chunks(limit))


def _read_exactly(stream, length):
    while length > 0:
        data = stream.read(min(READ_SIZE, length))
        if not data:
            raise HTTPError(499, 'Client disconnected')
        length -= len(data)
        yield data


def _read_to_eof(stream):
    while True:
        data = stream.read(READ_SIZE)
        if not data:
            return
        yield data


def _read_chunked(stream):
    while True:
        line = stream.readline(1024)
        if not line.endswith(b'\n'):
            raise HTTPError(400, 'Bad chunked transfer encoding')
        try:
            size = int(line.split(b';', 1)[0].strip(), 16)
        except ValueError as exc:
            raise HTTPError(400, 'Bad chunked transfer encoding') from exc
        if size == 0:
            # Trailers, if any, end with an empty line.
            while stream.readline(1024).strip():
                pass
            return
        yield from _read_exactly(stream, size)
        stream.readline(16)


def trans_id():
    """A transaction id in Swift's shape: tx<21 hex>-<hex time>."""
    return 'tx%s-%010x' % (uuid.uuid4().hex[:21], int(time.time()))


def x_timestamp(timestamp):
    """A timestamp as Swift's X-Timestamp header shows it."""
    return '%016.5f' % timestamp


def http_date(timestamp):
    """Last-Modified value: whole seconds, rounded up as Swift does."""
    return email.utils.formatdate(math.ceil(timestamp), usegmt=True)


class Response:
    """Status, headers and a body (bytes or an iterable of bytes)."""

    def __init__(self, status, headers=None, body=b''):
        self.status = status
        self.headers = dict(headers or {})
        self.body = body

    @classmethod
    def text(cls, status, text, headers=None):
        """A plain-text response."""
        data = text.encode('utf-8')
        hdrs = {'Content-Type': 'text/plain; charset=utf-8'}
        hdrs.update(headers or {})
        return cls(status, hdrs, data)

    @classmethod
    def json(cls, status, doc, headers=None):
        """A JSON response."""
        data = json.dumps(doc).encode('utf-8')
        hdrs = {'Content-Type': 'application/json; charset=utf-8'}
        hdrs.update(headers or {})
        return cls(status, hdrs, data)

    def __call__(self, environ, start_response, txid):
        """Send the response through ``start_response``."""
        body = self.body
        if isinstance(body, bytes):
            self.headers.setdefault('Content-Length', str(len(body)))
            self.headers.setdefault('Content-Type',
                                    'text/plain; charset=utf-8')
            body = [body]
        self.headers['X-Trans-Id'] = txid
        self.headers['X-Openstack-Request-Id'] = txid
        self.headers['Date'] = email.utils.formatdate(usegmt=True)
        if environ['REQUEST_METHOD'].upper() == 'HEAD' or \
                self.status in (204, 304):
            if hasattr(body, 'close'):
                body.close()
            body = []
        status = '%d %s' % (self.status, _phrase(self.status))
        start_response(status, [(k, str(v))
                                for k, v in self.headers.items()])
        return body


def _phrase(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return 'Client Closed Request' if status == 499 else 'Unknown'


def listing(entries, prefix='', delimiter='', marker='', end_marker='',
            limit=10000, key='name'):
    """Apply Swift's listing parameters to entries sorted by ``key``.

    With a delimiter, names that go on past the prefix and contain it are
    folded into one ``{"subdir": ...}`` entry each.
    """
    result = []
    last_subdir = None
    for entry in entries:
        name = entry[key]
        if marker and name <= marker:
            continue
        if end_marker and name >= end_marker:
            break
        if prefix and not name.startswith(prefix):
            continue
        if delimiter:
            cut = name.find(delimiter, len(prefix))
            if cut >= 0:
                subdir = name[:cut + len(delimiter)]
                # Paging with a subdir as the marker must not repeat it.
                if subdir == last_subdir or (marker and subdir <= marker):
                    continue
                last_subdir = subdir
                result.append({'subdir': subdir})
                if len(result) >= limit:
                    break
                continue
        result.append(entry)
        if len(result) >= limit:
            break
    return result
