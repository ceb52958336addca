"""``/v1.0/{tenant_id}/clusters``: a project's Redis clusters.

Each method: policy, validated input, one domain call, a view.
"""

import pecan
from oslo_serialization import jsonutils
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.controllers.v1 import cluster_standby
from trove_mr.api.controllers.v1 import root_logs
from trove_mr.api.domain import cluster_standby as standby_domain
from trove_mr.api.domain import clusters as domain
from trove_mr.api.domain import configurations as configurations_domain
from trove_mr.api.domain import mgmt as mgmt_domain
from trove_mr.api.domain import upgrade as upgrade_domain
from trove_mr.api.schemas import clusters as schemas
from trove_mr.api.views import clusters as views
from trove_mr.api.views import instances as instance_views
from trove_mr.api.views import links
from trove_mr.common import policy

# Answers without a body still claim JSON (python-troveclient sends
# 'Accept: application/json').
JSON = 'application/json'


def _target():
    return {'project_id': base.tenant_id()}


def _act(cluster_id):
    """Grow (202 with the new members) or shrink (202, no body).

    Served on ``/clusters/{id}/action`` (the redis-clustering spec) and on
    ``/clusters/{id}`` (where python-troveclient posts actions).
    """
    context = base.context()
    policy.authorize(context, 'cluster:action', _target())
    action = base.body(schemas.ACTION)
    schemas.check_action(action)
    taskmanager_api = pecan.request.taskmanager_api
    pecan.response.status = 202
    if 'configuration_attach' in action or 'configuration_detach' in action:
        return _configure(context, cluster_id, action, taskmanager_api)
    if 'upgrade' in action:
        policy.authorize(context, 'cluster:upgrade', _target())
        upgrade_domain.upgrade_cluster(
            context, base.tenant_id(), cluster_id,
            action['upgrade']['datastore_version'], taskmanager_api)
        return ''
    if 'grow' in action:
        cluster, new_members = domain.grow(
            context, base.tenant_id(), cluster_id, action['grow'],
            taskmanager_api, rebalance=action.get('rebalance') is True)
        # One exposed method answers both actions, so the grow body
        # is serialised here rather than by a 'json' template.
        return jsonutils.dumps({'cluster': views.cluster_view(
            cluster, new_members, links.base_url())})
    if 'rebalance' in action:
        domain.rebalance(context, base.tenant_id(), cluster_id,
                         action['rebalance'].get('weights') or {},
                         taskmanager_api)
        return ''
    if any(key in action for key in cluster_standby.ACTIONS):
        return cluster_standby.act(context, cluster_id, action,
                                   taskmanager_api)
    if 'reset-status' in action:
        policy.authorize(context, 'cluster:reset-status', _target())
        mgmt_domain.reset_cluster_status(context, base.tenant_id(),
                                         cluster_id)
        return ''
    domain.shrink(context, base.tenant_id(), cluster_id,
                  [item['id'] for item in action['shrink']],
                  taskmanager_api, drain=action.get('drain', False))
    return ''


def _configure(context, cluster_id, action, taskmanager_api):
    """Attach or detach a cluster's configuration group (202, no body).
    """
    if 'configuration_attach' in action:
        configurations_domain.cluster_attach(
            context, base.tenant_id(), cluster_id,
            action['configuration_attach']['configuration_id'],
            taskmanager_api)
    else:
        configurations_domain.cluster_detach(
            context, base.tenant_id(), cluster_id, taskmanager_api)
    return ''


class ClusterActionController(rest.RestController):
    """``/clusters/{id}/action``: ``{"grow": [...]}``, ``{"shrink": [...]}``.
    """

    @pecan.expose(content_type=JSON)
    def post(self, cluster_id):
        """Grow or shrink the cluster (see ``_act``)."""
        return _act(cluster_id)


class ClusterInstancesController(rest.RestController):
    """``/clusters/{id}/instances/{instance_id}``: one member."""

    @pecan.expose('json')
    def get_one(self, cluster_id, instance_id):
        """A member with its volume used."""
        context = base.context()
        policy.authorize(context, 'cluster:show_instance', _target())
        base.no_query()
        row = domain.show_instance(context, base.tenant_id(), cluster_id,
                                   instance_id)
        return {'instance': instance_views.instance_view(
            row, links.base_url())}


class ClustersController(rest.RestController):
    """Create, list, show, delete clusters."""

    action = ClusterActionController()
    root = root_logs.ClusterRootController()
    instances = ClusterInstancesController()

    @pecan.expose('json')
    def get_all(self):
        """One page of the project's clusters, with a next link."""
        context = base.context()
        policy.authorize(context, 'cluster:index', _target())
        params = base.query(schemas.LIST_QUERY)
        limit = int(params['limit']) if params.get('limit') else None
        rows, members, next_marker, limit, unavailable = domain.list_page(
            context, base.tenant_id(), limit=limit,
            marker=params.get('marker'))
        return views.list_view(rows, members, links.base_url(),
                               base.tenant_id(), next_marker, limit,
                               unavailable_regions=unavailable)

    @pecan.expose('json')
    def get_one(self, cluster_id):
        """One cluster with its members, their regions and addresses."""
        context = base.context()
        policy.authorize(context, 'cluster:show', _target())
        base.no_query()
        cluster, members = domain.show(context, base.tenant_id(),
                                       cluster_id)
        return {'cluster': views.cluster_view(cluster, members,
                                              links.base_url())}

    @pecan.expose(content_type=JSON)
    def post(self, cluster_id=None):
        """Create a cluster (``/clusters``), members in the regions they
        name (202); on ``/clusters/{id}``, an action as on ``/action``."""
        if cluster_id is not None:
            return _act(cluster_id)
        context = base.context()
        policy.authorize(context, 'cluster:create', _target())
        request = base.body(schemas.CREATE)['cluster']
        extra_values = None
        standby_domain.check_create(request)
        if request.get('standby_region'):
            request = standby_domain.with_standbys(request)
            extra_values = standby_domain.create_values(request)
        cluster, members, password = domain.create(
            context, base.tenant_id(), request,
            pecan.request.taskmanager_api, extra_values=extra_values)
        pecan.response.status = 202
        # Serialised here, as one exposed method also answers actions.
        return jsonutils.dumps({'cluster': views.cluster_view(
            cluster, members, links.base_url(), password=password)})

    @pecan.expose(content_type=JSON)
    def delete(self, cluster_id):
        """Delete a cluster and every member (202); then 404."""
        context = base.context()
        policy.authorize(context, 'cluster:delete', _target())
        domain.delete(context, base.tenant_id(), cluster_id,
                      pecan.request.taskmanager_api)
        pecan.response.status = 202
        return ''
