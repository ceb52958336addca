"""Redis nodes of a cluster reached over the network, not through their
guests: how a standby region's cell promotes the standbys when the
cluster's owning cell (whose bus the guests talk to) is down.

The same promotion and wait as the guests run (``guestagent/datastore/
redis``), on a client connected to the node's address with the
cluster's password.
"""

import redis

from trove_mr.guestagent.datastore.redis import cluster as redis_cluster
from trove_mr.guestagent.datastore.redis import standby as redis_standby

CONNECT_TIMEOUT = 3
COMMAND_TIMEOUT = 10


class RemoteNode:
    """One node at ``address`` (``[ip, port]``), as the guest's code
    sees its local one (``address``, ``port``, ``client()``)."""

    def __init__(self, address, password, timeout=COMMAND_TIMEOUT):
        self.address = address[0]
        self.port = int(address[1])
        self.password = password
        self.timeout = timeout
        self._client = None

    def client(self):
        if self._client is None:
            self._client = redis.Redis(
                host=self.address, port=self.port, password=self.password,
                decode_responses=True,
                socket_connect_timeout=min(CONNECT_TIMEOUT, self.timeout),
                socket_timeout=self.timeout)
        return self._client

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None

    def answers(self):
        """Whether the node answers a PING (with the password)."""
        try:
            return bool(self.client().ping())
        except (redis.RedisError, OSError):
            return False

    def promote(self, timeout=60):
        """CLUSTER FAILOVER TAKEOVER unless already a master; its
        ``replication_state`` after."""
        return redis_standby.promote(self, takeover=True, timeout=timeout)

    def wait_cluster_ok(self, timeout=60):
        """Until this node sees ``cluster_state:ok``; its CLUSTER INFO."""
        return redis_cluster.RedisClusterNode(self).cluster_complete(
            timeout=timeout)
