"""Every route of the API, found by walking the Pecan controller tree.

No route list to keep up to date: a controller attached anywhere under
``TenantController`` (or the root) is found, with its path parameters as
``{placeholders}``. ``_lookup`` is dynamic in Pecan; the tenant's is known
(``/v1.0/{tenant_id}``), and any other gives ``{lookup}`` segments that
the requests fill with ids and junk alike.
"""

import inspect
import pkgutil

from pecan import rest
from pecan import util as pecan_util

from trove_mr.api.controllers import root
from trove_mr.api.controllers.v1 import tenant

_REST_METHODS = ('get_all', 'get_one', 'get', 'post', 'put', 'patch',
                 'delete')
# _lookup controllers whose result is known: (class, segment, controller).
_KNOWN_LOOKUPS = {root.V1Controller: ('{tenant_id}',
                                      tenant.TenantController('{tenant}'))}


def _exposed(value):
    return callable(value) and pecan_util.iscontroller(value)


def _positional(method):
    argspec = pecan_util.getargspec(method)
    names = argspec.args[1:] if inspect.ismethod(method) else argspec.args
    return names


def _children(controller):
    """(name, value) of the public attributes of a controller object."""
    for name in sorted(dir(type(controller))):
        if name.startswith('_'):
            continue
        try:
            value = getattr(controller, name)
        except Exception:  # noqa: BLE001 - a property that needs a request
            continue
        yield name, value


def _is_controller_object(value):
    if isinstance(value, rest.RestController):
        return True
    if inspect.isclass(value) or callable(value) or value is None:
        return False
    if isinstance(value, (str, bytes, int, float, dict, list, tuple)):
        return False
    return any(_exposed(getattr(value, n, None)) for n in dir(type(value))
               if not n.startswith('__'))


def _lookup_routes(controller, prefix, routing, seen):
    if type(controller) in _KNOWN_LOOKUPS:
        segment, child = _KNOWN_LOOKUPS[type(controller)]
        yield from walk(child, '%s/%s' % (prefix, segment), routing, seen)
        return
    if _exposed(getattr(controller, '_lookup', None)) or _exposed(
            getattr(controller, '_default', None)):
        yield '%s/{lookup}' % prefix
        yield '%s/{lookup}/{lookup}' % prefix


def _walk_rest(controller, prefix, routing, seen):
    yield prefix
    methods = [getattr(controller, name) for name in _REST_METHODS
               if _exposed(getattr(controller, name, None))]
    # How many ids address one item: the parent's ids come as routing
    # arguments; the rest are this controller's own.
    own = max([len(_positional(m)) - routing for m in methods] + [0])
    item = prefix + ''.join('/{id}' for _ in range(own))
    for depth in range(1, own + 1):
        yield prefix + ''.join('/{id}' for _ in range(depth))
    for action, _methods in sorted(getattr(controller, '_custom_actions',
                                           {}).items()):
        yield '%s/%s' % (item, action)
        yield '%s/%s' % (prefix, action)
    for name, value in _children(controller):
        if name in _REST_METHODS or _exposed(value):
            continue
        if _is_controller_object(value):
            # Pecan reaches a sub-controller after the item's ids and, for
            # the methods that take none, right after the collection.
            yield from walk(value, '%s/%s' % (item, name), routing + own,
                            seen)
            yield '%s/%s' % (prefix, name)
    yield from _lookup_routes(controller, prefix, routing, seen)


def walk(controller, prefix='', routing=0, seen=None):
    """Yield the path templates served under ``controller`` at
    ``prefix`` (``routing``: ids already taken by parent controllers)."""
    seen = set() if seen is None else seen
    key = (id(controller), prefix)
    if key in seen:
        return
    seen.add(key)
    if isinstance(controller, rest.RestController):
        yield from _walk_rest(controller, prefix, routing, seen)
        return
    if _exposed(getattr(controller, 'index', None)):
        yield prefix + '/'
        if prefix:
            yield prefix
    for name, value in _children(controller):
        if name == 'index':
            continue
        if _exposed(value):
            yield '%s/%s' % (prefix, name)
        elif _is_controller_object(value):
            yield from walk(value, '%s/%s' % (prefix, name), routing, seen)
    # Segments Pecan routes that are not identifiers (pecan.route).
    for name, value in vars(type(controller)).items():
        if not name.isidentifier() and _is_controller_object(value):
            yield from walk(value, '%s/%s' % (prefix, name), routing, seen)
    yield from _lookup_routes(controller, prefix, routing, seen)


def all_routes():
    """Sorted, distinct path templates of the whole API."""
    return sorted(set(walk(root.RootController())))


def schema_documents():
    """Every JSON schema the API's schema modules define (those added
    later included): the request generator draws bodies from them."""
    import trove_mr.api.schemas as package
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = __import__('%s.%s' % (package.__name__, info.name),
                            fromlist=['_'])
        for name, value in sorted(vars(module).items()):
            if name.isupper() and isinstance(value, dict) and (
                    value.get('type') == 'object'):
                found.append(value)
    return found


def property_names(schemas):
    """Every property name any schema mentions, nested ones included."""
    names = set()
    pending = list(schemas)
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            names.update(value.get('properties', {}))
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return sorted(names)
