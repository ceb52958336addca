"""trove-mr-conductor: records what guests report, for its cell."""

import sys

from trove_mr.common import rpc
from trove_mr.common import service
from trove_mr.conductor import manager
from trove_mr.conductor import rpcapi


def _endpoints():
    # Guests seal their messages under their own key; the conductor finds
    # it in the database by the instance id the message names.
    rpc.set_instance_key_source(manager.instance_rpc_key)
    return [manager.ConductorManager()]


def main():
    """Entry point of ``trove-mr-conductor``."""
    service.prepare_service(sys.argv)
    service.serve(service.RPCService(
        rpcapi.TOPIC, _endpoints, key_lookup=rpc.conductor_key_lookup))


if __name__ == '__main__':
    main()
