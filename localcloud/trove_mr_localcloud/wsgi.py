"""Small WSGI plumbing shared by the emulated services.

A regex router, JSON answers in the error shapes each OpenStack service
uses, a reader for chunked request bodies (glanceclient streams uploads
with ``Transfer-Encoding: chunked``, which wsgiref does not decode), and a
threaded listener that can be closed and reopened so that a region made
unreachable really refuses connections.
"""

import json
import logging
import re
import socketserver
import threading
from wsgiref import simple_server

import webob

LOG = logging.getLogger(__name__)


class HTTPError(Exception):
    """An error answer; ``kind`` names the JSON wrapper key."""

    def __init__(self, code, message, kind=None, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind
        self.headers = headers or {}


_KINDS = {400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
          404: 'itemNotFound', 405: 'badMethod', 409: 'conflictingRequest',
          413: 'overLimit', 500: 'computeFault'}


def json_response(body, status=200, headers=None):
    """A WebOb response with a JSON body (or none for 204/HEAD)."""
    resp = webob.Response(status=status)
    if body is not None and status != 204:
        resp.content_type = 'application/json'
        resp.charset = None
        resp.body = json.dumps(body).encode()
    else:
        resp.content_type = None
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def error_response(err, style='nova'):
    """Render an :class:`HTTPError` the way the given service does."""
    if style == 'keystone':
        body = {'error': {'code': err.code, 'message': err.message,
                          'title': err.kind or 'Error'}}
    elif style == 'glance':
        # Glance answers errors as plain text ("404 Not Found\n\n...");
        # glanceclient reads a JSON error body only as {kind: {message}}.
        resp = webob.Response(status=err.code)
        resp.content_type = 'text/plain'
        resp.text = '%s\n\n%s\n\n   ' % (resp.status, err.message)
        for name, value in err.headers.items():
            resp.headers[name] = value
        return resp
    else:
        body = {err.kind or _KINDS.get(err.code, 'error'):
                {'code': err.code, 'message': err.message}}
    headers = dict(err.headers)
    if err.code == 401:
        headers.setdefault('WWW-Authenticate', 'Keystone uri="%s"' % '')
    return json_response(body, err.code, headers)


def json_body(req, required=True):
    """The request's JSON body as a dict; 400 when it is not JSON."""
    raw = req.body_file.read() if req.body_file else b''
    if not raw:
        if required:
            raise HTTPError(400, 'Request body is required.')
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise HTTPError(400, 'Malformed request body: %s' % exc) from exc
    if not isinstance(body, dict):
        raise HTTPError(400, 'Request body must be a JSON object.')
    return body


class Router:
    """Maps (method, path regex) to handlers called as ``h(req, **groups)``.

    ``style`` selects the error body shape of the emulated service.
    """

    def __init__(self, style='nova'):
        self.style = style
        self._routes = []

    def add(self, method, pattern, handler):
        """Route ``method`` (or '*') on the full-match regex ``pattern``."""
        self._routes.append((method, re.compile(pattern + r'/?$'), handler))

    def dispatch(self, req, path):
        """Call the handler for ``path``; errors become JSON answers."""
        allowed = False
        try:
            for method, regex, handler in self._routes:
                match = regex.match(path)
                if not match:
                    continue
                allowed = True
                if method not in ('*', req.method) and not (
                        method == 'GET' and req.method == 'HEAD'):
                    continue
                return handler(req, **match.groupdict())
            if allowed:
                raise HTTPError(405, 'Method %s not allowed.' % req.method)
            raise HTTPError(404, 'Resource %s could not be found.' % path)
        except HTTPError as err:
            return error_response(err, self.style)


class ChunkedReader:
    """File-like reader decoding an HTTP/1.1 chunked request body."""

    def __init__(self, raw):
        self._raw = raw
        self._left = 0
        self._done = False

    def _next_chunk(self):
        line = self._raw.readline()
        size = int(line.split(b';', 1)[0].strip() or b'0', 16)
        if size == 0:
            # Trailer headers end with an empty line.
            while self._raw.readline() not in (b'\r\n', b'\n', b''):
                pass
            self._done = True
        self._left = size

    def read(self, size=-1):
        """Read up to ``size`` decoded bytes (all when negative)."""
        out = []
        while not self._done and (size < 0 or size > 0):
            if self._left == 0:
                self._next_chunk()
                continue
            want = self._left if size < 0 else min(size, self._left)
            data = self._raw.read(want)
            if not data:
                self._done = True
                break
            out.append(data)
            self._left -= len(data)
            if size > 0:
                size -= len(data)
            if self._left == 0:
                self._raw.readline()
        return b''.join(out)

    def readline(self, size=-1):
        """Line reads are not needed by these services; read a block."""
        return self.read(size if size > 0 else 65536)


def dechunk(environ):
    """Make a chunked request body readable as an ordinary stream."""
    if environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked':
        environ['wsgi.input'] = ChunkedReader(environ['wsgi.input'])
        environ['wsgi.input_terminated'] = True
        environ.pop('CONTENT_LENGTH', None)


class _Handler(simple_server.WSGIRequestHandler):
    def log_message(self, fmt, *args):
        LOG.debug('%s %s', self.address_string(), fmt % args)


class _ThreadingServer(socketserver.ThreadingMixIn,
                       simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Listener:
    """A threaded HTTP listener that can be closed and opened again."""

    def __init__(self, host, port, app):
        self.host = host
        self.port = port
        self.app = app
        self._server = None
        self._thread = None
        self._lock = threading.Lock()

    @property
    def running(self):
        return self._server is not None

    def start(self):
        """Bind and serve in a daemon thread (no-op if already serving)."""
        with self._lock:
            if self._server is not None:
                return
            server = _ThreadingServer((self.host, self.port), _Handler)
            server.set_app(self.app)
            self.port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={'poll_interval': 0.1},
                name='listener-%d' % self.port, daemon=True)
            self._thread.start()

    def stop(self):
        """Stop serving and close the socket: connections are refused."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            server.shutdown()
            server.server_close()
            self._thread.join(timeout=5)
