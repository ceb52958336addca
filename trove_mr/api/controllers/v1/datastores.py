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
from trove_mr.common import exceptions
from trove_mr.common import policy


def _version_answer(version):
    return {'version': views.version_view(version, links.base_url(),
                                          base.tenant_id())}


class ParametersController(rest.RestController):
    """``/datastores/{ds}/versions/{version}/parameters[/{name}]`` (a
    child of the versions controller, which passes the datastore and the
    version first) and ``/datastores/versions/{id}/parameters[/{name}]``
    (made with the version's id): the configuration parameters of a
    version."""

    def __init__(self, version_id=None):
        self.version_id = version_id

    def _refs(self, parts):
        """(version, datastore or None, rest of the path)."""
        if self.version_id is not None:
            return self.version_id, None, parts
        if len(parts) < 2:
            raise exceptions.NotFound('The resource could not be found.')
        return parts[1], parts[0], parts[2:]

    def _rule(self, action, datastore_ref):
        by_version = '_by_version' if datastore_ref is None else ''
        return 'configuration-parameter:%s%s' % (action, by_version)

    @pecan.expose('json')
    def get_all(self, *parts):
        """Every parameter tenants may set for the version."""
        version_ref, datastore_ref, rest_ = self._refs(parts)
        if rest_:
            raise exceptions.NotFound('The resource could not be found.')
        context = base.context()
        policy.authorize(context, self._rule('index', datastore_ref))
        base.no_query()
        found = parameters.list_parameters(context, version_ref,
                                           datastore_ref)
        return {'configuration-parameters': [
            configuration_views.parameter_view(p) for p in found]}

    @pecan.expose('json')
    def get_one(self, *parts):
        """One parameter (the answer is the parameter itself, as
        python-troveclient reads it)."""
        version_ref, datastore_ref, rest_ = self._refs(parts)
        if len(rest_) != 1:
            raise exceptions.NotFound('The resource could not be found.')
        context = base.context()
        policy.authorize(context, self._rule('show', datastore_ref))
        base.no_query()
        return configuration_views.parameter_view(parameters.get_parameter(
            context, version_ref, rest_[0], datastore_ref))


class VersionsController(rest.RestController):
    """``/datastores/{datastore}/versions[/{version}]``."""

    parameters = ParametersController()

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
        if datastore_ref == 'versions' and len(remainder) in (2, 3) and \
                remainder[1] == 'parameters':
            return ParametersController(remainder[0]), remainder[2:]
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
