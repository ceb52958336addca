"""The WSGI pipeline of trove-mr-api.

gunicorn serves ``trove_mr.api.wsgi:application``; the ``wsgi_scripts``
entry point calls :func:`init_application`. Either reads the
configuration files named in ``TROVE_MR_CONFIG_FILE`` (comma separated)
unless the configuration is already loaded (``trove-mr-api`` loads it
before its workers start).

Pipeline, outermost first: request_id; the request guard (body size,
JSON media type and nesting depth, see ``middleware.RequestGuard``);
``/healthcheck`` (oslo.middleware)
and the versions document ``/`` unauthenticated; every other path through
keystonemiddleware's auth_token (or noauth) to the Pecan app.
"""

import os
import sys

from oslo_middleware import healthcheck
from oslo_middleware import request_id

from trove_mr.api import app as api_app
from trove_mr.api import middleware
from trove_mr.common import cfg
from trove_mr.common import service

CONF = cfg.CONF
CONFIG_ENV = 'TROVE_MR_CONFIG_FILE'


def _config_loaded():
    # oslo.config registers config_file when the command line is parsed.
    try:
        CONF.config_file  # noqa: B018
    except cfg.cfg.NoSuchOptError:
        return False
    return True


def build_application():
    """The API WSGI app with its middleware, from the loaded config."""
    pecan_app = api_app.setup_app()
    if CONF.api.auth_strategy == 'keystone':
        from keystonemiddleware import auth_token
        authenticated = auth_token.AuthProtocol(
            pecan_app, {'oslo_config_config': CONF})
    else:
        authenticated = middleware.NoAuthMiddleware(pecan_app)
    routes = {'': pecan_app, '/': pecan_app,
              '/healthcheck': healthcheck.Healthcheck(None, CONF)}
    guarded = middleware.RequestGuard(
        middleware.PathRouter(authenticated, routes))
    return request_id.RequestId(guarded)


def init_application(argv=None):
    """Load the configuration if needed and build the WSGI app."""
    if argv is not None or not _config_loaded():
        files = [f for f in os.environ.get(CONFIG_ENV, '').split(',') if f]
        args = list(argv or [sys.argv[0]])
        for config_file in files:
            args += ['--config-file', config_file]
        service.prepare_service(args)
    return build_application()


def __getattr__(name):
    # ``application`` is built on first access, so that importing this
    # module (e.g. in tests) parses no configuration.
    if name == 'application':
        value = globals()['application'] = init_application()
        return value
    raise AttributeError(name)
