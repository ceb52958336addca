"""``/mgmt/{instances/{id},clusters/{id}}/replication`` and
``/mgmt/replication_targets``: volume replication, for admins only.

Every call needs the admin role (policy ``mgmt:volume_replication``); a
project member gets 403. Tenants never see replication: it is sold as a
volume type (doc/volume-replication.rst).
"""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import volume_replication as domain
from trove_mr.api.schemas import volume_replication as schemas
from trove_mr.api.views import volume_replication as views
from trove_mr.common import exceptions
from trove_mr.common import policy

RULE = 'mgmt:volume_replication'


def _authorize():
    context = base.context()
    try:
        policy.authorize(context, RULE, {'project_id': base.tenant_id()})
    except exceptions.Forbidden:
        # The rule's name would tell a tenant what the call is about.
        raise exceptions.Forbidden(
            'Only administrators may make this call.') from None
    return context


class InstanceReplicationController(rest.RestController):
    """``/mgmt/instances/{id}/replication``."""

    @pecan.expose('json')
    def get_all(self, instance_id):
        """The replication state and last copy of the instance's volume.
        """
        context = _authorize()
        base.no_query()
        return views.instance_view(domain.show(context, instance_id))

    @pecan.expose('json')
    def post(self, instance_id):
        """``enable`` / ``disable`` (200, the state after) or
        ``failover`` (202, a job)."""
        context = _authorize()
        action = base.body(schemas.INSTANCE_ACTION)
        if 'failover' in action:
            domain.failover(context, instance_id,
                            action['failover'].get('secondary'),
                            pecan.request.taskmanager_api)
            pecan.response.status = 202
            return views.failover_view([instance_id], instance_id)
        return views.instance_view(
            domain.set_enabled(context, instance_id, 'enable' in action))


class ClusterReplicationController(rest.RestController):
    """``/mgmt/clusters/{id}/replication``: every member."""

    @pecan.expose('json')
    def get_all(self, cluster_id):
        """The replication state of every member's volume."""
        context = _authorize()
        base.no_query()
        return views.cluster_view(domain.cluster_show(context, cluster_id))

    @pecan.expose('json')
    def post(self, cluster_id):
        """``enable`` / ``disable`` every member (200) or ``failover``
        them one at a time (202, a job)."""
        context = _authorize()
        action = base.body(schemas.CLUSTER_ACTION)
        if 'failover' in action:
            order = domain.cluster_failover(context, cluster_id,
                                            pecan.request.taskmanager_api)
            pecan.response.status = 202
            return views.failover_view(order, cluster_id, 'cluster')
        return views.cluster_view(domain.cluster_set_enabled(
            context, cluster_id, 'enable' in action))


class ReplicationTargetsController(rest.RestController):
    """``/mgmt/replication_targets?region=R``: a region's backends."""

    @pecan.expose('json')
    def get_all(self):
        """The volume backends of a region and their targets."""
        context = _authorize()
        region = base.query(schemas.TARGETS_QUERY)['region']
        return views.targets_view(region,
                                  domain.region_targets(context, region))
