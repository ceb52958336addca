"""The Pecan application of trove-mr-api (without the WSGI pipeline)."""

import pecan

from trove_mr.api import hooks


def setup_app(extra_hooks=None):
    """The Pecan WSGI app: routing, context, RPC clients, JSON errors."""
    app_hooks = [hooks.ContextHook(), hooks.RPCHook(), hooks.ErrorHook()]
    app_hooks.extend(extra_hooks or [])
    return pecan.make_app(
        'trove_mr.api.controllers.root.RootController',
        hooks=app_hooks,
        debug=False,
        force_canonical=False,
        # "v1.0" is a version, not a file name ending in ".0".
        guess_content_type_from_ext=False,
    )
