"""trove-mr-guestagent: the agent inside each database server.

One process (see trove_mr.guestagent.service): it imports only what a
guest uses, so no database layer, no TaskFlow and no OpenStack client but
swiftclient, which is loaded on the first backup, restore or log publish.
"""

import sys

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import rpc
from trove_mr.common import service
from trove_mr.guestagent import service as guest_service

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def main():
    """Entry point of ``trove-mr-guestagent``."""
    service.prepare_service(sys.argv)
    if not CONF.guest.instance_id:
        LOG.error('[guest] instance_id is not set; cannot choose a topic.')
        sys.exit(2)
    if rpc.secure_enabled() and not CONF.instance_rpc_encr_key:
        LOG.error('Secure RPC is on but instance_rpc_encr_key is not set.')
        sys.exit(2)
    sys.exit(guest_service.create_service().run())


if __name__ == '__main__':
    main()
