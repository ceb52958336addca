"""Instance sub-resources of upstream Trove that Redis has no use for.

python-troveclient offers ``database db ...``, ``database user ...`` and
``database ssl ...`` for every datastore. Redis has no named databases or
users to manage this way (its one password is the instance's: ``root
enable``), and TLS needs a key manager this deployment does not offer. So
each answers, for the tenant's own instance, a 400 naming the operation
and the datastore (as upstream does for an operation a datastore lacks),
and 404 for anyone else's: never a 404 that reads like a missing route.
"""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import instances as domain
from trove_mr.common import exceptions
from trove_mr.common import policy

WHY = {
    'databases': 'Redis has no named databases to create or list; use '
                 'its numbered databases (SELECT) through the instance '
                 'itself',
    'users': 'Redis here has one password per instance; change it with '
             "'root enable'",
    'ssl': 'TLS for Redis is not offered by this deployment',
}


class NotForRedis(rest.RestController):
    """Every method on ``/instances/{id}/<what>[/...]``: a clear 400."""

    def __init__(self, what):
        self.what = what

    def _refuse(self, instance_id):
        context = base.context()
        policy.authorize(context, 'instance:show',
                         {'project_id': base.tenant_id()})
        row = domain.show(context, base.tenant_id(), instance_id)
        manager = row.datastore_version.manager
        raise exceptions.BadRequest(
            "The '%s' operation is not supported for the '%s' datastore: "
            '%s.' % (self.what, manager, WHY[self.what]))

    @pecan.expose('json')
    def get_all(self, instance_id):
        self._refuse(instance_id)

    @pecan.expose('json')
    def get_one(self, instance_id, *_remainder):
        self._refuse(instance_id)

    @pecan.expose('json')
    def post(self, instance_id, *_remainder):
        self._refuse(instance_id)

    @pecan.expose('json')
    def put(self, instance_id, *_remainder):
        self._refuse(instance_id)

    @pecan.expose('json')
    def delete(self, instance_id, *_remainder):
        self._refuse(instance_id)
