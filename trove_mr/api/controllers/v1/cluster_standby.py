"""The standby-region actions of ``POST /clusters/{id}[/action]``.

``{"add_standby": {"region": R}}`` and ``{"rebuild_lost": {"region":
R}}`` (202 with the cluster and its new standby members),
``{"switchover": {}}``, ``{"failover": {"region": R}}`` and
``{"failover_policy": {"automatic": true|false}}`` (202, no body). Each
is checked with ``cluster:action`` first (by the caller), then with its
own rule.
"""

from oslo_serialization import jsonutils

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import cluster_standby as domain
from trove_mr.api.views import clusters as views
from trove_mr.api.views import links
from trove_mr.common import policy

ACTIONS = ('add_standby', 'switchover', 'failover', 'failover_policy',
           'rebuild_lost')


def act(context, cluster_id, action, taskmanager_api):
    """Serve one of ``ACTIONS``; the answer's body."""
    target = {'project_id': base.tenant_id()}
    if 'add_standby' in action:
        policy.authorize(context, 'cluster:add_standby', target)
        cluster, new_members = domain.add_standby(
            context, base.tenant_id(), cluster_id,
            action['add_standby']['region'], taskmanager_api)
        return jsonutils.dumps({'cluster': views.cluster_view(
            cluster, new_members, links.base_url())})
    if 'rebuild_lost' in action:
        policy.authorize(context, 'cluster:rebuild_lost', target)
        cluster, new_members = domain.rebuild_lost(
            context, base.tenant_id(), cluster_id,
            action['rebuild_lost']['region'], taskmanager_api)
        return jsonutils.dumps({'cluster': views.cluster_view(
            cluster, new_members, links.base_url())})
    if 'switchover' in action:
        policy.authorize(context, 'cluster:switchover', target)
        domain.switchover(context, base.tenant_id(), cluster_id,
                          taskmanager_api)
        return ''
    if 'failover_policy' in action:
        policy.authorize(context, 'cluster:failover_policy', target)
        domain.set_failover_policy(
            context, base.tenant_id(), cluster_id,
            action['failover_policy']['automatic'])
        return ''
    policy.authorize(context, 'cluster:failover', target)
    domain.failover(context, base.tenant_id(), cluster_id,
                    action['failover']['region'], taskmanager_api)
    return ''
