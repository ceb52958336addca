"""The API service: the WSGI app under gunicorn (gthread workers).

The configuration is loaded once in the master; gunicorn forks the workers
after it, and each builds the app (and its own RPC connections) there.
SIGTERM makes gunicorn finish requests in flight and exit 0.
"""

from gunicorn.app import base as gunicorn_base

from trove_mr.common import cfg

CONF = cfg.CONF


class APIServer(gunicorn_base.BaseApplication):
    """gunicorn, configured from ``[api]`` instead of its command line."""

    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from trove_mr.api import wsgi
        return wsgi.build_application()


def gunicorn_options():
    """gunicorn settings for the loaded configuration."""
    return {
        'bind': '%s:%d' % (CONF.api.bind_host, CONF.api.bind_port),
        'workers': CONF.api.workers,
        'worker_class': 'gthread',
        'threads': 8,
        'proc_name': 'trove-mr-api',
        # No ~/.gunicorn control socket: the service is managed by signals.
        'control_socket_disable': True,
        'graceful_timeout': 10,
        'timeout': 120,
        'accesslog': '-',
    }


def create_service():
    """The API's server for the loaded configuration."""
    return APIServer(gunicorn_options())
