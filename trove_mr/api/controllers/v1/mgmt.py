"""``/v1.0/{tenant_id}/mgmt/``: operator (admin) calls."""

import oslo_messaging as messaging
import pecan

from trove_mr.api.controllers.v1 import mgmt_admin
from trove_mr.api.controllers.v1 import mgmt_replication
from trove_mr.common import exceptions
from trove_mr.common import policy


class MgmtController:
    """Management calls; every one needs the admin role."""

    instances = mgmt_admin.MgmtInstancesController()
    clusters = mgmt_admin.MgmtClustersController()
    quotas = mgmt_admin.QuotasController()
    replication_targets = mgmt_replication.ReplicationTargetsController()

    @pecan.expose(generic=True, template='json')
    def ping(self):
        pecan.response.headers['Allow'] = 'GET'
        pecan.abort(405, 'Only GET is allowed on mgmt/ping.')

    @ping.when(method='GET', template='json')
    def ping_get(self):
        """Ping a taskmanager, which pings a conductor; both answers.

        Proves the API -> taskmanager -> conductor path over RPC.
        """
        context = pecan.request.context
        policy.authorize(context, 'mgmt:ping')
        try:
            answers = pecan.request.taskmanager_api.ping_conductor(context)
        except (messaging.MessagingTimeout,
                messaging.MessageDeliveryFailure) as exc:
            raise exceptions.ServiceUnavailable(
                'No taskmanager or conductor answered in time.') from exc
        return {'ping': answers}
