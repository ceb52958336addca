"""Pecan hooks: what every API request gets, and how errors are answered.

Ironic's ``api/hooks.py`` is the model: the controllers find the request
context and the RPC clients on ``pecan.request``.
"""

import threading

import webob
import webob.exc
from oslo_log import log as logging
from oslo_serialization import jsonutils
from pecan import hooks

from trove_mr.api import routing
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import exceptions

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# The error kinds of OpenStack Trove's fault bodies, by HTTP code.
ERROR_KINDS = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    406: 'notAcceptable',
    409: 'conflict',
    413: 'overLimit',
    415: 'badMediaType',
    422: 'unprocessableEntity',
    500: 'internalServerError',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}


def error_response(code, message, kind=None, headers=None):
    """A ``{"<kind>": {"code": N, "message": "..."}}`` JSON response."""
    kind = kind or ERROR_KINDS.get(code) or (
        'badRequest' if code < 500 else 'internalServerError')
    body = {kind: {'code': code, 'message': message}}
    response = webob.Response(status=code, content_type='application/json',
                              charset='utf-8')
    response.text = jsonutils.dumps(body)
    for name, value in headers or ():
        response.headers[name] = value
    return response


class ContextHook(hooks.PecanHook):
    """Put a RequestContext built from the identity headers on the request.

    Runs on route so that controllers' ``_lookup`` can check the tenant.
    """

    def on_route(self, state):
        state.request.context = trove_context.RequestContext.from_environ(
            state.request.environ, region_name=CONF.region_name)


class RPCHook(hooks.PecanHook):
    """Put the RPC clients on the request; one set per process."""

    _lock = threading.Lock()
    _taskmanager_api = None

    @classmethod
    def taskmanager_api(cls):
        with cls._lock:
            if cls._taskmanager_api is None:
                # Imported here: the RPC layer is loaded by the first
                # request, inside the worker process, not at import time.
                from trove_mr.taskmanager import rpcapi
                cls._taskmanager_api = rpcapi.TaskManagerAPI()
            return cls._taskmanager_api

    def before(self, state):
        state.request.taskmanager_api = self.taskmanager_api()


class ErrorHook(hooks.PecanHook):
    """Answer every error, ours and Pecan's, with a JSON fault body."""

    def on_error(self, state, e):
        if isinstance(e, exceptions.TroveMRError):
            return error_response(e.code, e.message, kind=e.kind)
        if isinstance(e, webob.exc.HTTPException):
            if e.code < 400:
                return None
            message = e.detail or e.explanation or e.title
            headers = [(k, v) for k, v in e.headers.items()
                       if k.lower() == 'allow']
            if e.code in (404, 405):
                # What the path really serves, found through Pecan's own
                # routing, whichever controller refused: a path served
                # for other methods only is a 405, never a 404.
                # A path no method serves is no resource: 404.
                allowed = routing.allowed_methods(state.app, state.request)
                if allowed and state.request.method not in allowed:
                    return error_response(
                        405, 'The method %s is not allowed on this '
                             'resource.' % state.request.method,
                        headers=[('Allow', ', '.join(allowed))])
                if not allowed:
                    return error_response(
                        404, 'The resource could not be found.')
            return error_response(e.code, message, headers=headers)
        LOG.exception('Unexpected error answering %s %s',
                      state.request.method, state.request.path)
        return error_response(500, 'The server has either erred or is '
                                   'incapable of performing the requested '
                                   'operation.')
