"""``/instances/{id}/root``, ``/clusters/{id}/root``,
``/instances/{id}/log`` and ``/instances/{id}/configuration``: root (the
Redis password), the guest logs and the configuration before any group.

Each method: policy, validated input, one domain call, a view.
"""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import logs as logs_domain
from trove_mr.api.domain import root as root_domain
from trove_mr.api.schemas import root_logs as schemas
from trove_mr.api.views import root_logs as views
from trove_mr.common import policy

# python-troveclient sends 'Accept: application/json' for answers
# without a body too.
JSON = 'application/json'


def _target():
    return {'project_id': base.tenant_id()}


def _optional_body(schema):
    """The JSON body, or {} when the client sent none."""
    if not (pecan.request.body or b'').strip():
        return {}
    return base.body(schema)


class _RootController(rest.RestController):
    """Root of one kind of resource (``RESOURCE``, policy ``PREFIX``)."""

    RESOURCE = None
    PREFIX = None

    @pecan.expose('json')
    def get_all(self, resource_id):
        """``{"rootEnabled": bool}``."""
        context = base.context()
        policy.authorize(context, self.PREFIX + ':extension:root:index',
                         _target())
        base.no_query()
        return views.root_enabled_view(root_domain.is_enabled(
            context, base.tenant_id(), self.RESOURCE, resource_id))

    @pecan.expose('json')
    def post(self, resource_id):
        """Set a new password; ``{"user": {"name", "password"}}`` (200).
        """
        context = base.context()
        policy.authorize(context, self.PREFIX + ':extension:root:create',
                         _target())
        body = _optional_body(schemas.ROOT_ENABLE)
        password = root_domain.enable(
            context, base.tenant_id(), self.RESOURCE, resource_id,
            pecan.request.taskmanager_api, password=body.get('password'))
        pecan.response.status = 200
        return views.root_created_view(password)

    @pecan.expose(content_type=JSON)
    def delete(self, resource_id):
        """Replace the password by one only the control plane knows (204).
        """
        context = base.context()
        policy.authorize(context, self.PREFIX + ':extension:root:delete',
                         _target())
        root_domain.disable(context, base.tenant_id(), self.RESOURCE,
                            resource_id, pecan.request.taskmanager_api)
        pecan.response.status = 204
        return ''


class InstanceRootController(_RootController):
    """``/instances/{id}/root``."""

    RESOURCE = root_domain.INSTANCE
    PREFIX = 'instance'


class ClusterRootController(_RootController):
    """``/clusters/{id}/root``."""

    RESOURCE = root_domain.CLUSTER
    PREFIX = 'cluster'


class InstanceLogController(rest.RestController):
    """``/instances/{id}/log``: list the logs, act on one."""

    @pecan.expose('json')
    def get_all(self, instance_id):
        """``{"logs": [...]}``."""
        context = base.context()
        policy.authorize(context, 'instance:guest_log_list', _target())
        base.no_query()
        return views.log_list_view(logs_domain.list_logs(
            context, base.tenant_id(), instance_id))

    @pecan.expose('json')
    def post(self, instance_id):
        """Show, enable, disable, publish or discard a log (200)."""
        context = base.context()
        policy.authorize(context, 'instance:guest_log_action', _target())
        body = base.body(schemas.LOG_ACTION)
        log = logs_domain.log_action(context, base.tenant_id(), instance_id,
                                     body)
        pecan.response.status = 200
        return {'log': views.log_view(log)}


class InstanceConfigurationController(rest.RestController):
    """``/instances/{id}/configuration``: the defaults before any group."""

    @pecan.expose('json')
    def get_all(self, instance_id):
        """``{"instance": {"configuration": {parameter: value}}}``."""
        context = base.context()
        policy.authorize(context, 'instance:configuration', _target())
        base.no_query()
        return {'instance': {'configuration': logs_domain.
                             configuration_defaults(context, base.tenant_id(),
                                                    instance_id)}}
