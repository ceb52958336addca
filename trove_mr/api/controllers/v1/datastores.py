"""``/v1.0/{tenant_id}/datastores`` and their versions."""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import catalog
from trove_mr.api.domain import parameters
from trove_mr.api.schemas import catalog as schemas
from trove_mr.api.views import catalog as views
from trove_mr.api.views import configurations as configuration_views
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


class ParametersController(rest.RestController):
    """``/datastores/{ds}/versions/{version}/parameters[/{name}]`` and
    ``/datastores/versions/{id}/parameters[/{name}]``: the configuration
    parameters of a version."""

    def __init__(self, version_ref, datastore_ref=None):
        self.version_ref = version_ref
        self.datastore_ref = datastore_ref

    def _rule(self, action):
        by_version = '_by_version' if self.datastore_ref is None else ''
        return 'configuration-parameter:%s%s' % (action, by_version)

    @pecan.expose('json')
    def get_all(self):
        """Every parameter tenants may set for the version."""
        context = base.context()
        policy.authorize(context, self._rule('index'))
        base.no_query()
        found = parameters.list_parameters(context, self.version_ref,
                                           self.datastore_ref)
        return {'configuration-parameters': [
            configuration_views.parameter_view(p) for p in found]}

    @pecan.expose('json')
    def get_one(self, name):
        """One parameter (the answer is the parameter itself, as
        python-troveclient reads it)."""
        context = base.context()
        policy.authorize(context, self._rule('show'))
        base.no_query()
        return configuration_views.parameter_view(parameters.get_parameter(
            context, self.version_ref, name, self.datastore_ref))


class DatastoresController(rest.RestController):
    """Datastores with at least one active version."""

    versions = VersionsController()

    @pecan.expose()
    def _lookup(self, datastore_ref, *remainder):
        if datastore_ref == 'versions' and len(remainder) == 1:
            return VersionByIdController(remainder[0]), ()
        if datastore_ref == 'versions' and len(remainder) in (2, 3) and \
                remainder[1] == 'parameters':
            return ParametersController(remainder[0]), remainder[2:]
        if len(remainder) in (3, 4) and remainder[0] == 'versions' and \
                remainder[2] == 'parameters':
            return (ParametersController(remainder[1], datastore_ref),
                    remainder[3:])
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
