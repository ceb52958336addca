"""``/v1.0/{tenant_id}/mgmt/{instances,clusters,quotas}``: operator calls.

Every call needs the admin role (policies ``mgmt:*``); a project member
gets 403. Each method: policy, validated input, one domain call, a view.
"""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.controllers.v1 import mgmt_replication
from trove_mr.api.domain import limits as limits_domain
from trove_mr.api.domain import mgmt as domain
from trove_mr.api.schemas import mgmt as schemas
from trove_mr.api.schemas import validation
from trove_mr.api.views import clusters as cluster_views
from trove_mr.api.views import links
from trove_mr.api.views import mgmt as views
from trove_mr.common import policy

# Answers without a body still claim JSON (python-troveclient sends
# 'Accept: application/json').
JSON = 'application/json'


def _authorize(rule):
    context = base.context()
    policy.authorize(context, rule, {'project_id': base.tenant_id()})
    return context


class MgmtInstanceActionController(rest.RestController):
    """``/mgmt/instances/{id}/action``: reboot, rebuild, stop, migrate,
    reset-task-status."""

    @pecan.expose(content_type=JSON)
    def post(self, instance_id):
        """Run an admin action on an instance of any project (202)."""
        context = _authorize('mgmt:instance_action')
        action = base.body(schemas.INSTANCE_ACTION)
        if 'reboot' in action:
            domain.reboot(context, instance_id,
                          pecan.request.taskmanager_api)
        elif 'migrate' in action:
            domain.migrate(context, instance_id,
                           action['migrate'].get('host'),
                           pecan.request.taskmanager_api)
        elif 'stop' in action:
            domain.stop(context, instance_id, pecan.request.taskmanager_api)
        elif 'rebuild' in action:
            domain.rebuild(context, instance_id,
                           action['rebuild']['image_id'],
                           pecan.request.taskmanager_api)
        else:
            domain.reset_task_status(context, instance_id)
        pecan.response.status = 202
        return ''


class MgmtInstancesController(rest.RestController):
    """Every project's instances, with where each one runs."""

    action = MgmtInstanceActionController()
    replication = mgmt_replication.InstanceReplicationController()

    @pecan.expose('json')
    def get_all(self):
        """One page of the instances of every project and region."""
        context = _authorize('mgmt:instance_index')
        params = base.query(schemas.INSTANCE_LIST_QUERY)
        limit = int(params['limit']) if params.get('limit') else None
        deleted = validation.as_bool(params.get('deleted', 'false'))
        include_clustered = validation.as_bool(
            params.get('include_clustered', 'false'))
        rows, hosts, next_marker, limit, unavailable = domain.list_page(
            context, limit=limit, marker=params.get('marker'),
            deleted=deleted, include_clustered=include_clustered,
            project_id=params.get('project_id'))
        query = {key: params[key] for key in
                 ('deleted', 'include_clustered', 'project_id')
                 if key in params}
        return views.mgmt_list_view(rows, hosts, links.base_url(),
                                    base.tenant_id(), next_marker, limit,
                                    query, unavailable_regions=unavailable)

    @pecan.expose('json')
    def get_one(self, instance_id):
        """One instance of any project, with its server and volume."""
        context = _authorize('mgmt:instance_show')
        base.no_query()
        row, server = domain.show(context, instance_id)
        return {'instance': views.mgmt_instance_view(
            row, links.base_url(), server=server)}


class MgmtClusterActionController(rest.RestController):
    """``/mgmt/clusters/{id}/action``: ``{"reset-task": {}}``."""

    @pecan.expose(content_type=JSON)
    def post(self, cluster_id):
        """Put a cluster's task back to NONE (202)."""
        context = _authorize('mgmt:cluster_action')
        base.body(schemas.CLUSTER_ACTION)
        domain.reset_cluster_task(context, cluster_id)
        pecan.response.status = 202
        return ''


class MgmtClustersController(rest.RestController):
    """The clusters of every project; one cluster of any project."""

    action = MgmtClusterActionController()
    replication = mgmt_replication.ClusterReplicationController()

    @pecan.expose('json')
    def get_all(self):
        """One page of the clusters of every project and region."""
        context = _authorize('mgmt:cluster_index')
        params = base.query(schemas.CLUSTER_LIST_QUERY)
        limit = int(params['limit']) if params.get('limit') else None
        rows, members, next_marker, limit, unavailable = \
            domain.cluster_list_page(
                context, limit=limit, marker=params.get('marker'),
                deleted=validation.as_bool(params.get('deleted', 'false')))
        return cluster_views.list_view(
            rows, members, links.base_url(), base.tenant_id(), next_marker,
            limit, unavailable_regions=unavailable, path='mgmt/clusters')

    @pecan.expose('json')
    def get_one(self, cluster_id):
        """One cluster of any project, with its members."""
        context = _authorize('mgmt:cluster_show')
        base.no_query()
        cluster, members = domain.show_cluster(context, cluster_id)
        return {'cluster': cluster_views.cluster_view(cluster, members,
                                                      links.base_url())}


class QuotasController(rest.RestController):
    """``/mgmt/quotas/{project_id}``: a project's limits and usage."""

    @pecan.expose('json')
    def get_one(self, project_id):
        """``{"quotas": [{resource, in_use, reserved, limit}, ...]}``."""
        context = _authorize('mgmt:quota')
        base.no_query()
        return views.quota_view(limits_domain.usage(context, project_id))

    @pecan.expose('json')
    def put(self, project_id):
        """Set limits: ``{"quotas": {resource: limit}}``; answers what
        was set (-1: unlimited)."""
        context = _authorize('mgmt:quota')
        new_limits = base.body(schemas.QUOTA_UPDATE)['quotas']
        return {'quotas': limits_domain.update(context, project_id,
                                               new_limits)}
