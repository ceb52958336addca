"""Small WSGI middlewares of the API pipeline."""

import webob.dec

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
