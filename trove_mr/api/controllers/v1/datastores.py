"""``/v1.0/{tenant_id}/datastores`` and their versions."""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import catalog
from trove_mr.api.schemas import catalog as schemas
from trove_mr.api.views import catalog as views
from trove_mr.api.views import links
from trove_mr.common import policy


def _version_answer(version):
    return {'version': views.version_view(version, links.base_url(),
                                          base.tenant_id())}


class VersionsController(rest.RestController):
    """``/datastores/{datastore}/versions[/{version}]``."""

    @pecan.expose('json')
    def get_all(self, datastore_ref):
        """Active versions of a datastore."""
        context = base.context()
        policy.authorize(context, 'datastore:index')
        base.query(schemas.DATASTORE_QUERY)
        _, versions = catalog.datastore(context, datastore_ref)
        url = links.base_url()
        return {'versions': [views.version_view(v, url, base.tenant_id())
                             for v in versions]}

    @pecan.expose('json')
    def get_one(self, datastore_ref, version_ref):
        """A version of a datastore, by id or name."""
        context = base.context()
        policy.authorize(context, 'datastore:show')
        base.no_query()
        return _version_answer(catalog.datastore_version(
            context, version_ref, datastore_ref))


class VersionByIdController(rest.RestController):
    """``/datastores/versions/{id}``: python-troveclient's get_by_uuid."""

    def __init__(self, version_id):
        self.version_id = version_id

    @pecan.expose('json')
    def get_all(self):
        """A datastore version by its id."""
        context = base.context()
        policy.authorize(context, 'datastore:show')
        base.no_query()
        return _version_answer(catalog.datastore_version(
            context, self.version_id))


class DatastoresController(rest.RestController):
    """Datastores with at least one active version."""

    versions = VersionsController()

    @pecan.expose()
    def _lookup(self, datastore_ref, *remainder):
        if datastore_ref == 'versions' and len(remainder) == 1:
            return VersionByIdController(remainder[0]), ()
        return None

    @pecan.expose('json')
    def get_all(self):
        """Every datastore and its active versions."""
        context = base.context()
        policy.authorize(context, 'datastore:index')
        base.query(schemas.DATASTORE_QUERY)
        url = links.base_url()
        return {'datastores': [
            views.datastore_view(d, versions, url, base.tenant_id())
            for d, versions in catalog.datastores(context)]}

    @pecan.expose('json')
    def get_one(self, datastore_ref):
        """A datastore by id or name."""
        context = base.context()
        policy.authorize(context, 'datastore:show')
        base.no_query()
        found, versions = catalog.datastore(context, datastore_ref)
        return {'datastore': views.datastore_view(
            found, versions, links.base_url(), base.tenant_id())}
