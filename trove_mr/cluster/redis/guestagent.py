"""Guest agent side of Redis clusters: the client of the seed's calls.

The calls themselves (``get_node_ip``, ``get_node_id_for_removal``,
``remove_nodes``, ``cluster_meet``, ``cluster_addslots``,
``cluster_complete`` and ``cluster_replicate``) are methods of
:class:`trove_mr.guestagent.rpcapi.GuestAgentAPI` since version 1.2; this
strategy hands out that client for a member, sealed under its own key.
"""

from trove_mr.db.main import api as db_api
from trove_mr.guestagent import rpcapi as guest_rpcapi


class RedisGuestAgentStrategy:
    """Makes guest clients for the members of Redis clusters."""

    guest_client_class = guest_rpcapi.GuestAgentAPI

    def guest_client(self, context, instance_id, key=None):
        """The guest agent API of member ``instance_id``.

        ``context`` must target the member's cell; its RPC key is read
        (and decrypted) from that cell's database unless given.
        """
        if key is None:
            key = db_api.instance_rpc_key_get(context, instance_id)
        return self.guest_client_class(context, instance_id, key=key)
