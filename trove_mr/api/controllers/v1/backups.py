"""``/v1.0/{tenant_id}/backups``: a project's backups in Swift.

Each method: policy, validated input, one domain call, a view.
"""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import backups as domain
from trove_mr.api.schemas import backups as schemas
from trove_mr.api.views import backups as views
from trove_mr.api.views import links
from trove_mr.common import policy

JSON = 'application/json'


def _target():
    return {'project_id': base.tenant_id()}


def list_backups(rule, instance_id=None):
    """One page of backups (all, or of ``instance_id``), with next link."""
    context = base.context()
    policy.authorize(context, rule, _target())
    params = base.query(schemas.LIST_QUERY)
    limit = int(params['limit']) if params.get('limit') else None
    instance_id = instance_id or params.get('instance_id')
    rows, next_marker, limit, versions, unavailable = domain.list_page(
        context, base.tenant_id(), limit=limit, marker=params.get('marker'),
        instance_id=instance_id)
    return views.list_view(rows, links.base_url(), pecan.request.path,
                           next_marker, limit, versions=versions,
                           unavailable_regions=unavailable)


class BackupsController(rest.RestController):
    """Create, list, show and delete backups."""

    @pecan.expose('json')
    def get_all(self):
        """One page of the project's backups."""
        return list_backups('backup:index')

    @pecan.expose('json')
    def get_one(self, backup_id):
        """One backup."""
        context = base.context()
        policy.authorize(context, 'backup:show', _target())
        row, versions = domain.show(context, base.tenant_id(), backup_id)
        return {'backup': views.backup_view(row, versions)}

    @pecan.expose('json')
    def post(self):
        """Back an instance up (202, status NEW)."""
        context = base.context()
        policy.authorize(context, 'backup:create', _target())
        request = base.body(schemas.CREATE)['backup']
        row = domain.create(context, base.tenant_id(), request,
                            pecan.request.taskmanager_api)
        pecan.response.status = 202
        return {'backup': views.backup_view(
            row, domain.view_versions(context, row))}

    @pecan.expose(content_type=JSON)
    def delete(self, backup_id):
        """Delete a backup and its objects (202)."""
        context = base.context()
        policy.authorize(context, 'backup:delete', _target())
        domain.delete(context, base.tenant_id(), backup_id,
                      pecan.request.taskmanager_api)
        pecan.response.status = 202
        return ''


class InstanceBackupsController(rest.RestController):
    """``/instances/{id}/backups``: the backups of one instance."""

    @pecan.expose('json')
    def get_all(self, instance_id):
        """One page of the instance's backups."""
        return list_backups('instance:backups', instance_id=instance_id)
