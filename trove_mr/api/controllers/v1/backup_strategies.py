"""``/v1.0/{tenant_id}/backup_strategies``: where a project's backups go
by default (python-troveclient's ``backup_strategies``).

Each method: policy, validated input, one domain call, a view.
"""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import backup_strategies as domain
from trove_mr.api.schemas import backups as schemas
from trove_mr.common import policy

JSON = 'application/json'


def _project(rule, params=None):
    """The project acted on (the URL's, or an admin's ``project_id``),
    once the policy allows it."""
    project_id = (params or {}).get('project_id') or base.tenant_id()
    policy.authorize(base.context(), rule, {'project_id': project_id})
    return project_id


def _view(strategy):
    return {'project_id': strategy['project_id'],
            'instance_id': strategy['instance_id'],
            'backend': strategy['backend'],
            'swift_container': strategy['swift_container']}


class BackupStrategiesController(rest.RestController):
    """Create, list and delete backup strategies."""

    @pecan.expose('json')
    def get_all(self):
        """The strategies of a project (``?project_id=``, admin only for
        another one), optionally of one instance (``?instance_id=``)."""
        params = base.query(schemas.STRATEGY_QUERY)
        project_id = _project('backup_strategy:index', params)
        found = domain.list_strategies(base.context(), project_id,
                                       params.get('instance_id'))
        return {'backup_strategies': [_view(s) for s in found]}

    @pecan.expose('json')
    def post(self):
        """Set the project's (or an instance's) default container."""
        project_id = _project('backup_strategy:create')
        request = base.body(schemas.STRATEGY_CREATE)['backup_strategy']
        strategy = domain.create(base.context(), project_id,
                                 request.get('instance_id'),
                                 request['swift_container'])
        pecan.response.status = 202
        return {'backup_strategy': _view(strategy)}

    @pecan.expose(content_type=JSON)
    def delete(self):
        """Delete the project's (or an instance's) strategy (202)."""
        params = base.query(schemas.STRATEGY_QUERY)
        project_id = _project('backup_strategy:delete', params)
        domain.delete(base.context(), project_id, params.get('instance_id'))
        pecan.response.status = 202
        return ''
