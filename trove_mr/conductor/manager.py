"""Server side of the conductor RPC API (see rpcapi.py for versions).

The conductor is the only writer of what guests report. The DB API it
records through ignores messages older than the last one applied, so that
casts arriving out of order never roll a status back.
"""

import oslo_messaging as messaging
from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import context as trove_context

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def _db_function(name):
    """``trove_mr.db.api.<name>``, or None (logged) if not available."""
    try:
        from trove_mr.db import api as db_api
    except ImportError as exc:
        LOG.error('The database API is not available (%s); cannot %s.',
                  exc, name)
        return None
    function = getattr(db_api, name, None)
    if function is None:
        LOG.error('The database API has no %s(); the message is dropped.',
                  name)
    return function


def instance_rpc_key(instance_id):
    """The RPC key of ``instance_id`` from the database, or None.

    Installed as the conductor's instance key source, so that messages a
    guest seals under its own key can be opened.
    """
    lookup = _db_function('instance_rpc_key_get')
    if lookup is None:
        return None
    return lookup(trove_context.get_admin_context(), instance_id)


class ConductorManager:
    """Endpoint of ``trove-mr-conductor``."""

    target = messaging.Target(version='1.0')

    def __init__(self, host=None):
        self.host = host or CONF.host

    def ping(self, context):
        """Answer a liveness check with this service's name and host."""
        return {'service': 'conductor', 'host': self.host}

    def heartbeat(self, context, instance_id, payload, sent):
        """Record a guest's status unless an newer one was recorded.

        :param payload: {'service_status': <status>, 'volume_used': GB}
        :param sent: when the guest sent it, seconds since the epoch.
        """
        update = _db_function('instance_status_update')
        if update is None:
            return
        update(context, instance_id, payload.get('service_status'), sent,
               volume_used=payload.get('volume_used'))

    def update_backup(self, context, instance_id, backup_id, sent,
                      **values):
        """Record a guest's report on a backup (state, size, checksum...)."""
        update = _db_function('backup_update_from_guest')
        if update is None:
            return
        update(context, instance_id, backup_id, sent, **values)
