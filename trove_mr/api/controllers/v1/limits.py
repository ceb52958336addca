"""``/v1.0/{tenant_id}/limits``: the project's absolute limits and usage.
"""

import pecan
from pecan import rest

from trove_mr.api.controllers.v1 import base
from trove_mr.api.domain import limits as domain
from trove_mr.api.views import mgmt as views
from trove_mr.common import policy


class LimitsController(rest.RestController):
    """What the project may use, and what it uses."""

    @pecan.expose('json')
    def get_all(self):
        """``{"limits": [{"verb": "ABSOLUTE", "max_instances": ...}]}``."""
        context = base.context()
        policy.authorize(context, 'limits:index',
                         {'project_id': base.tenant_id()})
        base.no_query()
        return views.limits_view(domain.usage(context, base.tenant_id()))
