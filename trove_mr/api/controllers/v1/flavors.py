"""``/v1.0/{tenant_id}/flavors``: the flavors of a region (``?region=``)."""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import catalog
from trove_mr.api.schemas import catalog as schemas
from trove_mr.api.views import catalog as views
from trove_mr.api.views import links
from trove_mr.common import policy


class FlavorsController(rest.RestController):
    """Nova flavors of this API's region, or of ``?region=``."""

    @pecan.expose('json')
    def get_all(self):
        """Every flavor of the region."""
        context = base.context()
        policy.authorize(context, 'flavor:index')
        region = base.query(schemas.FLAVOR_QUERY).get('region')
        found = catalog.flavors(context, region)
        url = links.base_url()
        return {'flavors': [
            views.flavor_view(f, url, base.tenant_id(),
                              region or context.region_name)
            for f in found]}

    @pecan.expose('json')
    def get_one(self, flavor_id):
        """One flavor of the region, by id or name."""
        context = base.context()
        policy.authorize(context, 'flavor:show')
        region = base.query(schemas.FLAVOR_QUERY).get('region')
        found = catalog.flavor(context, flavor_id, region)
        return {'flavor': views.flavor_view(
            found, links.base_url(), base.tenant_id(),
            region or context.region_name)}
