"""Server side of the taskmanager RPC API (see rpcapi.py for versions)."""

import oslo_messaging as messaging
from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.conductor import rpcapi as conductor_rpcapi

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


class TaskManager:
    """Endpoint of ``trove-mr-taskmanager``: runs provisioning work."""

    target = messaging.Target(version='1.0')

    def __init__(self, host=None):
        self.host = host or CONF.host
        self.conductor_api = conductor_rpcapi.ConductorAPI()

    def ping(self, context):
        """Answer a liveness check with this service's name and host."""
        return {'service': 'taskmanager', 'host': self.host}

    def ping_conductor(self, context):
        """Ping a conductor over RPC; return this and its answer.

        Proves the path api -> taskmanager -> conductor end to end.
        """
        return {'taskmanager': self.ping(context),
                'conductor': self.conductor_api.ping(context)}
