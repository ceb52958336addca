"""How a request finds its controller, kept honest for every route.

Pecan fills a controller's positional parameters from the path, and then,
for those the path left out, from query parameters and JSON body keys: a
``DELETE /instances?instance_id=X`` would delete X, and a
``DELETE /instances`` (no id at all) ends in a TypeError, a 500. Here:

* :class:`Application` takes a parameter without a default (an id) from
  the path only;
* :class:`MethodHook` answers 405 when the path still leaves such a
  parameter unfilled (the method is not served on that path);
* :func:`allowed_methods` finds the methods a path does serve by routing
  it once per method through Pecan's own lookup, so the ``Allow`` header
  of every 405 is right for every controller, including those added
  later, without a route table to keep up to date.
"""

import inspect
import io

import pecan
from pecan import hooks
from pecan import util as pecan_util
from webob import exc as webob_exc

# The methods a resource may serve, in the order an Allow header lists
# them.
METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')


def _required_names(argspec, bound):
    """Names of the positional parameters without a default."""
    names = list(argspec.args)
    if bound and names:
        names = names[1:]
    defaults = len(argspec.defaults or ())
    return names[:len(names) - defaults] if defaults else names


def _missing_arguments(controller, args):
    """True when ``args`` leave a parameter without a default unfilled."""
    argspec = pecan_util.getargspec(controller)
    required = _required_names(argspec, inspect.ismethod(controller))
    return len(args) < len(required)


def _fits(controller, args):
    """True when ``args`` (from the path) are what ``controller`` takes:
    none missing, none left over."""
    argspec = pecan_util.getargspec(controller)
    names = argspec.args[1:] if inspect.ismethod(controller) \
        else argspec.args
    if len(args) > len(names) and not argspec.varargs:
        return False
    return not _missing_arguments(controller, args)


class Application(pecan.Pecan):
    """Pecan, with path parameters taken from the path only."""

    def get_args(self, state, all_params, remainder, argspec, im_self):
        bound = inspect.ismethod(state.controller) or im_self is not None
        required = set(_required_names(argspec, bound))
        params = {name: value for name, value in all_params.items()
                  if name not in required}
        return super().get_args(state, params, remainder, argspec, im_self)


def _probe(app, request, method):
    """Whether ``method`` on the request's path reaches a controller whose
    path parameters the path fills."""
    environ = dict(request.environ)
    environ.update({'REQUEST_METHOD': method, 'QUERY_STRING': '',
                    'CONTENT_LENGTH': '0', 'wsgi.input': io.BytesIO(b''),
                    'webob.adhoc_attrs': {}})
    environ.pop('CONTENT_TYPE', None)
    for key in [k for k in environ if k.startswith('webob._parsed')]:
        del environ[key]
    probe = type(request)(environ)
    probe.pecan = {'content_type': None}
    try:
        controller, remainder = app.route(probe, app.root, probe.path_info)
    except Exception:  # noqa: BLE001 - any refusal means "not served"
        return False
    config = pecan_util._cfg(controller)
    if config.get('generic_handler'):
        return False
    filled = list(probe.pecan.get('routing_args', ()))
    filled += [segment for segment in remainder if segment]
    if config.get('generic'):
        handler = config['generic_handlers'].get(method)
        if handler is None:
            # The DEFAULT handler of a generic controller refuses.
            return False
        return _fits(handler, [controller.__self__] + filled)
    return _fits(controller, filled)


def allowed_methods(app, request):
    """The methods the request's path serves, e.g. ``['GET', 'POST']``."""
    return [method for method in METHODS if _probe(app, request, method)]


class MethodHook(hooks.PecanHook):
    """405 for a method a path does not serve, before the controller runs.

    Pecan routes ``DELETE /instances`` to the ``delete(instance_id)`` of
    ``/instances/{id}``; with no id to give it, the method is not one the
    collection serves. The ErrorHook adds the ``Allow`` header.
    """

    def before(self, state):
        arguments = state.arguments
        if arguments is None or state.controller is None:
            return
        if _missing_arguments(state.controller, arguments.args):
            raise webob_exc.HTTPMethodNotAllowed(
                'The method %s is not allowed on this resource.'
                % state.request.method)
