"""Small WSGI middlewares of the API pipeline."""

import io
import re
import urllib.parse

import webob.dec

from trove_mr.api import hooks
from trove_mr.common import cfg

CONF = cfg.CONF

# Identity headers keystonemiddleware sets after validating a token; the
# noauth middleware takes them from the caller instead.
_IDENTITY_HEADERS = ('X-Project-Id', 'X-User-Id', 'X-Roles')


class NoAuthMiddleware:
    """Trust X-Project-Id / X-User-Id / X-Roles as given. Tests only.

    Stands where keystonemiddleware's auth_token would, so that the rest
    of the pipeline sees the same headers either way.
    """

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, request):
        if request.headers.get('X-Project-Id'):
            request.headers['X-Identity-Status'] = 'Confirmed'
            request.headers.setdefault('X-Tenant-Id',
                                       request.headers['X-Project-Id'])
        else:
            # An anonymous caller: no identity may leak in half-set.
            for header in _IDENTITY_HEADERS:
                request.headers.pop(header, None)
            request.headers['X-Identity-Status'] = 'Invalid'
        return request.get_response(self.application)


class PathRouter:
    """Send requests for a few exact paths to their own apps.

    The version documents skip authentication, as in Trove (clients
    discover the API before they hold a token), and the healthcheck is
    an app of its own.
    """

    def __init__(self, default_app, routes):
        self.default_app = default_app
        self.routes = dict(routes)

    def __call__(self, environ, start_response):
        app = self.routes.get(environ.get('PATH_INFO', ''), self.default_app)
        return app(environ, start_response)


# A body is held to the same rules whatever the method.
_JSON_TYPES = ('application/json',)
_JSON_SUFFIX = '+json'
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r'[^\[\]{}]')


def json_depth(text):
    """The deepest nesting of ``[`` / ``{`` in JSON ``text``, without
    parsing it (so without recursion). Brackets inside strings do not
    count."""
    brackets = _NOT_BRACKET.sub('', _STRING.sub('', text))
    depth = deepest = 0
    for bracket in brackets:
        if bracket in '[{':
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def _is_json(content_type):
    media = content_type.split(';', 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith('application/')
                                    and media.endswith(_JSON_SUFFIX))


def _charset(content_type):
    for param in content_type.split(';')[1:]:
        name, _, value = param.partition('=')
        if name.strip().lower() == 'charset':
            return value.strip().strip('"').lower()
    return None


class RequestGuard:
    """Refuse a request by its body before any application sees it.

    * a body larger than ``[api] max_request_body_size``: 413, judged by
      Content-Length before anything is read, or while reading a chunked
      body, which is never read past the limit;
    * a body that is not JSON (``application/json`` or
      ``application/*+json``, UTF-8), whatever the method: 415;
    * JSON nested deeper than ``[api] max_json_depth``: 400, checked
      without parsing, so no parser ever recurses that deep;
    * the ``_method`` override Pecan would honour: 400 (every method is
      the request's own).

    What passes is handed on with its body already read into memory.
    """

    def __init__(self, application, max_body_size=None, max_depth=None):
        self.application = application
        self._max_body_size = max_body_size
        self._max_depth = max_depth

    @property
    def max_body_size(self):
        return self._max_body_size or CONF.api.max_request_body_size

    @property
    def max_depth(self):
        return self._max_depth or CONF.api.max_json_depth

    def __call__(self, environ, start_response):
        refusal = self._refusal(environ)
        if refusal is not None:
            return refusal(environ, start_response)
        return self.application(environ, start_response)

    def _refusal(self, environ):
        query = urllib.parse.parse_qs(environ.get('QUERY_STRING', ''),
                                      keep_blank_values=True)
        if '_method' in query:
            return hooks.error_response(
                400, 'The _method query parameter is not supported; send '
                     'the method itself.')
        length = environ.get('CONTENT_LENGTH') or ''
        chunked = 'chunked' in environ.get(
            'HTTP_TRANSFER_ENCODING', '').lower()
        if length.strip():
            try:
                size = int(length)
            except ValueError:
                return hooks.error_response(
                    400, 'The Content-Length header is not a number.')
            if size < 0:
                return hooks.error_response(
                    400, 'The Content-Length header is negative.')
            if size > self.max_body_size:
                return self._too_large()
            body = environ['wsgi.input'].read(size) if size else b''
        elif chunked:
            body = environ['wsgi.input'].read(self.max_body_size + 1)
            if len(body) > self.max_body_size:
                return self._too_large()
        else:
            body = b''
        environ['wsgi.input'] = io.BytesIO(body)
        environ['CONTENT_LENGTH'] = str(len(body))
        environ.pop('HTTP_TRANSFER_ENCODING', None)
        if not body:
            return None
        content_type = environ.get('CONTENT_TYPE', '')
        if not _is_json(content_type) or _charset(content_type) not in (
                None, 'utf-8', 'utf8'):
            return hooks.error_response(
                415, 'The request body must be JSON sent as '
                     'application/json in UTF-8, not %r.'
                     % (content_type or 'no Content-Type'))
        try:
            text = body.decode('utf-8')
        except UnicodeDecodeError:
            return hooks.error_response(
                400, 'The request body is not valid UTF-8.')
        if json_depth(text) > self.max_depth:
            return hooks.error_response(
                400, 'The request body is nested deeper than %d levels.'
                     % self.max_depth)
        return None

    def _too_large(self):
        return hooks.error_response(
            413, 'The request body is larger than %d bytes.'
                 % self.max_body_size)
