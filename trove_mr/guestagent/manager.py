"""Server side of the guest agent RPC API (see api.py for versions).

The datastore work itself lives in ``trove_mr.guestagent.datastore``; this
manager is the RPC surface that dispatches to it.
"""

import oslo_messaging as messaging
from oslo_log import log as logging

from trove_mr.common import cfg

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


class GuestManager:
    """Endpoint of ``trove-mr-guestagent`` on ``guestagent.<id>``."""

    target = messaging.Target(version='1.0')

    def __init__(self, instance_id=None):
        self.instance_id = instance_id or CONF.guest.instance_id

    def ping(self, context):
        """Answer a liveness check with this guest's instance id."""
        return {'service': 'guestagent', 'instance_id': self.instance_id,
                'host': CONF.host}
