"""``/v1.0/{tenant_id}/configurations``: a project's configuration groups.

Each method: policy, validated input, one domain call, a view.
"""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import configurations as domain
from trove_mr.api.schemas import configurations as schemas
from trove_mr.api.views import configurations as views
from trove_mr.api.views import links
from trove_mr.common import policy

# Answers without a body still claim JSON (python-troveclient sends
# 'Accept: application/json').
JSON = 'application/json'


def _target():
    return {'project_id': base.tenant_id()}


def _page_params():
    params = base.query(schemas.LIST_QUERY)
    limit = int(params['limit']) if params.get('limit') else None
    return limit, params.get('marker')


class ConfigurationInstancesController(rest.RestController):
    """``/configurations/{id}/instances``: where a group is applied."""

    @pecan.expose('json')
    def get_all(self, configuration_id):
        """One page of the instances applying the group (every region)."""
        context = base.context()
        policy.authorize(context, 'configuration:instances', _target())
        limit, marker = _page_params()
        rows, next_marker, limit = domain.instances_page(
            context, base.tenant_id(), configuration_id, limit=limit,
            marker=marker)
        return views.instances_view(configuration_id, rows,
                                    links.base_url(), base.tenant_id(),
                                    next_marker, limit)


class ConfigurationsController(rest.RestController):
    """Create, list, show, change and delete configuration groups."""

    instances = ConfigurationInstancesController()

    @pecan.expose('json')
    def get_all(self):
        """One page of the project's groups, with a next link."""
        context = base.context()
        policy.authorize(context, 'configuration:index', _target())
        limit, marker = _page_params()
        rows, next_marker, limit = domain.list_page(
            context, base.tenant_id(), limit=limit, marker=marker)
        return views.list_view(rows, links.base_url(), base.tenant_id(),
                               next_marker, limit)

    @pecan.expose('json')
    def get_one(self, configuration_id):
        """One group with its values and how many instances apply it."""
        context = base.context()
        policy.authorize(context, 'configuration:show', _target())
        base.no_query()
        row, count = domain.show(context, base.tenant_id(),
                                 configuration_id)
        return {'configuration': views.configuration_view(
            row, links.base_url(), detail=True, instance_count=count)}

    @pecan.expose('json')
    def post(self):
        """Create a group; every value checked (400 naming it)."""
        context = base.context()
        policy.authorize(context, 'configuration:create', _target())
        request = base.body(schemas.CREATE)['configuration']
        row = domain.create(context, base.tenant_id(), request)
        pecan.response.status = 200
        return {'configuration': views.configuration_view(
            row, links.base_url(), detail=True, instance_count=0)}

    @pecan.expose(content_type=JSON)
    def put(self, configuration_id):
        """Replace a group's values; applied where it is attached (202)."""
        context = base.context()
        policy.authorize(context, 'configuration:update', _target())
        request = base.body(schemas.UPDATE)['configuration']
        domain.update(context, base.tenant_id(), configuration_id, request,
                      pecan.request.taskmanager_api, replace=True)
        pecan.response.status = 202
        return ''

    @pecan.expose(content_type=JSON)
    def patch(self, configuration_id):
        """Change some values of a group; applied where it is attached
        (202)."""
        context = base.context()
        policy.authorize(context, 'configuration:edit', _target())
        request = base.body(schemas.EDIT)['configuration']
        domain.update(context, base.tenant_id(), configuration_id, request,
                      pecan.request.taskmanager_api, replace=False)
        pecan.response.status = 202
        return ''

    @pecan.expose(content_type=JSON)
    def delete(self, configuration_id):
        """Delete a group that nothing applies (202)."""
        context = base.context()
        policy.authorize(context, 'configuration:delete', _target())
        domain.delete(context, base.tenant_id(), configuration_id)
        pecan.response.status = 202
        return ''
