"""``/v1.0/{tenant_id}/instances``: a project's Redis instances.

Each method: policy, validated input, one domain call, a view.
"""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import backups
from trove_mr.api.controllers.v1 import base
from trove_mr.api.controllers.v1 import root_logs
from trove_mr.api.controllers.v1 import unsupported
from trove_mr.api.domain import configurations as configurations_domain
from trove_mr.api.domain import instances as domain
from trove_mr.api.domain import mgmt as mgmt_domain
from trove_mr.api.domain import replicas as replicas_domain
from trove_mr.api.domain import resize as resize_domain
from trove_mr.api.domain import upgrade as upgrade_domain
from trove_mr.api.schemas import instances as schemas
from trove_mr.api.schemas import validation
from trove_mr.api.views import instances as views
from trove_mr.api.views import links
from trove_mr.common import policy

# Answers without a body still claim JSON: clients (python-troveclient)
# send 'Accept: application/json', which Pecan refuses (406) for the
# default text/html.
JSON = 'application/json'


def _target():
    return {'project_id': base.tenant_id()}


def _list():
    context = base.context()
    policy.authorize(context, 'instance:index', _target())
    params = base.query(schemas.LIST_QUERY)
    limit = int(params['limit']) if params.get('limit') else None
    include_clustered = validation.as_bool(
        params.get('include_clustered', 'false'))
    rows, next_marker, limit, unavailable = domain.list_page(
        context, base.tenant_id(), limit=limit, marker=params.get('marker'),
        include_clustered=include_clustered)
    extra = {'include_clustered': 'True'} if include_clustered else {}
    return views.list_view(rows, links.base_url(), base.tenant_id(),
                           next_marker, limit, extra,
                           unavailable_regions=unavailable)


def _resize(context, instance_id, resize):
    """``{"resize": {"flavorRef": ...}}`` or ``{"resize": {"volume":
    {"size": N}}}``."""
    if 'flavorRef' in resize:
        policy.authorize(context, 'instance:resize_flavor', _target())
        resize_domain.resize_flavor(context, base.tenant_id(), instance_id,
                                    resize['flavorRef'],
                                    pecan.request.taskmanager_api)
    else:
        policy.authorize(context, 'instance:resize_volume', _target())
        resize_domain.resize_volume(context, base.tenant_id(), instance_id,
                                    resize['volume']['size'],
                                    pecan.request.taskmanager_api)


class InstanceActionController(rest.RestController):
    """``/instances/{id}/action``: ``{"restart": {}}``."""

    @pecan.expose(content_type=JSON)
    def post(self, instance_id):
        """Run an action on an instance; 202 with no body."""
        context = base.context()
        policy.authorize(context, 'instance:action', _target())
        action = base.body(schemas.ACTION)
        if 'restart' in action:
            domain.restart(context, base.tenant_id(), instance_id,
                           pecan.request.taskmanager_api)
        elif 'resize' in action:
            _resize(context, instance_id, action['resize'])
        elif 'reset_status' in action:
            policy.authorize(context, 'instance:reset_status', _target())
            mgmt_domain.reset_status(context, base.tenant_id(), instance_id)
        else:
            replicas_domain.replica_action(
                context, base.tenant_id(), instance_id, next(iter(action)),
                pecan.request.taskmanager_api)
        pecan.response.status = 202
        return ''


class InstancesController(rest.RestController):
    """Create, list, show, rename, delete instances."""

    action = InstanceActionController()
    backups = backups.InstanceBackupsController()
    databases = unsupported.NotForRedis('databases')
    users = unsupported.NotForRedis('users')
    ssl = unsupported.NotForRedis('ssl')
    root = root_logs.InstanceRootController()
    log = root_logs.InstanceLogController()
    configuration = root_logs.InstanceConfigurationController()

    @pecan.expose('json')
    def get_all(self):
        """One page of the project's instances, with a next link."""
        return _list()

    @pecan.expose('json')
    def get_one(self, instance_id):
        """One instance; ``detail`` is the detailed list (same views)."""
        if instance_id == 'detail':
            return _list()
        context = base.context()
        policy.authorize(context, 'instance:show', _target())
        base.no_query()
        row, replicas = replicas_domain.show_with_replicas(
            context, base.tenant_id(), instance_id)
        return {'instance': views.instance_view(
            row, links.base_url(), replicas=replicas,
            configuration=configurations_domain.show_instance_configuration(
                context, row))}

    @pecan.expose('json')
    def post(self):
        """Create an instance in the region the body names (202)."""
        context = base.context()
        policy.authorize(context, 'instance:create', _target())
        request = base.body(schemas.CREATE)['instance']
        create = replicas_domain.create if request.get('replica_of') \
            else domain.create
        row, password = create(context, base.tenant_id(), request,
                               pecan.request.taskmanager_api)
        pecan.response.status = 202
        return {'instance': views.instance_view(row, links.base_url(),
                                                password=password)}

    def _rename(self, instance_id, schema=schemas.UPDATE):
        context = base.context()
        policy.authorize(context, 'instance:update', _target())
        update = base.body(schema)['instance']
        # First: a bad CIDR is refused before anything else changed.
        if 'access' in update:
            domain.update_access(context, base.tenant_id(), instance_id,
                                 update['access'],
                                 pecan.request.taskmanager_api)
        # An upgrade is checked next: refused, nothing else changes.
        if 'datastore_version' in update:
            policy.authorize(context, 'instance:upgrade', _target())
            upgrade_domain.upgrade_instance(
                context, base.tenant_id(), instance_id,
                update['datastore_version'], pecan.request.taskmanager_api)
        if 'replica_of' in update:
            replicas_domain.replica_action(
                context, base.tenant_id(), instance_id, 'detach_replica',
                pecan.request.taskmanager_api)
        if 'name' in update:
            domain.rename(context, base.tenant_id(), instance_id,
                          update['name'])
        self._configure(context, instance_id, update)
        pecan.response.status = 202
        return ''

    @pecan.expose(content_type=JSON)
    def patch(self, instance_id):
        """Rename an instance (202)."""
        return self._rename(instance_id)

    @pecan.expose(content_type=JSON)
    def put(self, instance_id):
        """Rename an instance; what python-troveclient's update sends.
        An empty ``instance`` detaches its configuration group, as
        python-troveclient's modify() asks."""
        return self._rename(instance_id, schemas.UPDATE_PUT)

    @pecan.expose(content_type=JSON)
    def delete(self, instance_id):
        """Delete an instance (202); it leaves lists once torn down."""
        context = base.context()
        policy.authorize(context, 'instance:delete', _target())
        domain.delete(context, base.tenant_id(), instance_id,
                      pecan.request.taskmanager_api)
        pecan.response.status = 202
        return ''

    def _configure(self, context, instance_id, update):
        """Attach (a group's id) or detach (null; nothing in a PUT) the
        instance's configuration group."""
        if 'configuration' not in update and (
                update or pecan.request.method != 'PUT'):
            return
        taskmanager_api = pecan.request.taskmanager_api
        if update.get('configuration'):
            configurations_domain.attach(
                context, base.tenant_id(), instance_id,
                update['configuration'], taskmanager_api)
        else:
            configurations_domain.detach(context, base.tenant_id(),
                                         instance_id, taskmanager_api)
