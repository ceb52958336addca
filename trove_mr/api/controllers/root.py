"""The API root: the versions document and the v1.0 tree.

``GET /`` lists the versions and ``GET /v1.0/`` shows the one, with the
same shapes as OpenStack Trove so that its clients discover us.
"""

import pecan

from trove_mr.api.controllers.v1 import tenant
from trove_mr.common import cfg
from trove_mr.common import exceptions

CONF = cfg.CONF

VERSION_ID = 'v1.0'
VERSION_STATUS = 'CURRENT'
VERSION_UPDATED = '2012-08-01T00:00:00Z'


def _base_url():
    endpoint = CONF.api.public_endpoint or pecan.request.host_url
    return endpoint.rstrip('/')


def version_view(base_url):
    """The description of API v1.0 rooted at ``base_url``."""
    return {'id': VERSION_ID,
            'status': VERSION_STATUS,
            'updated': VERSION_UPDATED,
            'links': [{'href': '%s/%s/' % (base_url, VERSION_ID),
                       'rel': 'self'}]}


def method_not_allowed(allowed=('GET',)):
    """Answer 405 naming the methods the resource allows."""
    pecan.response.headers['Allow'] = ', '.join(allowed)
    pecan.abort(405, 'The method %s is not allowed on this resource.'
                % pecan.request.method)


class V1Controller:
    """``/v1.0/``: the version, and each tenant's resources below it."""

    @pecan.expose(generic=True, template='json')
    def index(self):
        method_not_allowed()

    @index.when(method='GET', template='json')
    def index_get(self):
        """The single version document."""
        return {'version': version_view(_base_url())}

    @pecan.expose()
    def _lookup(self, tenant_id, *remainder):
        context = pecan.request.context
        # Only admins act on another project's URL; anyone else gets the
        # 404 of an unknown resource, so no project's existence leaks.
        if (tenant_id != context.project_id and not context.is_admin
                and 'admin' not in context.roles):
            raise exceptions.NotFound(
                'The resource could not be found.')
        pecan.request.tenant_id = tenant_id
        return tenant.TenantController(tenant_id), remainder


class RootController:
    """``/``: the versions document."""

    @pecan.expose(generic=True, template='json')
    def index(self):
        method_not_allowed()

    @index.when(method='GET', template='json')
    def index_get(self):
        """Every API version this service offers."""
        return {'versions': [version_view(_base_url())]}


pecan.route(RootController, VERSION_ID, V1Controller())
