"""The Pecan application of trove-mr-api (without the WSGI pipeline)."""

from trove_mr.api import hooks
from trove_mr.api import routing


def setup_app(extra_hooks=None):
    """The Pecan WSGI app: routing, context, RPC clients, 405s, JSON
    errors."""
    app_hooks = [hooks.ContextHook(), hooks.RPCHook(),
                 routing.MethodHook(), hooks.ErrorHook()]
    app_hooks.extend(extra_hooks or [])
    # pecan.make_app builds a pecan.Pecan; ours differs only in where a
    # controller's path parameters may come from (see routing).
    return routing.Application(
        'trove_mr.api.controllers.root.RootController',
        hooks=app_hooks,
        debug=False,
        force_canonical=False,
        # "v1.0" is a version, not a file name ending in ".0".
        guess_content_type_from_ext=False,
    )
