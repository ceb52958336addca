"""The guest manager's cluster calls, on a fake Redis cluster node."""

import pytest

from trove_mr.guestagent import manager as guest_manager


class FakeNode:
    def __init__(self, nodes):
        self.nodes = nodes
        self.replicated = None

    def cluster_nodes(self):
        return self.nodes.pop(0) if len(self.nodes) > 1 else self.nodes[0]

    def cluster_replicate(self, master_id, timeout=60):
        self.replicated = master_id

    def get_node_id_for_removal(self):
        return None


class FakeApp:
    def __init__(self, clustered, node):
        self.clustered = clustered
        self.cluster = node


def _manager(clustered, node):
    manager = guest_manager.GuestManager(instance_id='i-1', layout=object())
    manager.app = FakeApp(clustered, node)
    manager.phase = guest_manager.PHASE_READY
    return manager


def test_replicate_waits_for_the_master_address_to_be_known():
    handshake = [{'id': 'tmp', 'ip': '127.9.0.1', 'port': 6379,
                  'flags': ['handshake']}]
    known = [{'id': 'master-id', 'ip': '127.9.0.1', 'port': 6379,
              'flags': ['master']}]
    node = FakeNode([handshake, known])
    manager = _manager(True, node)
    assert manager.cluster_replicate(None, '127.9.0.1', 6379) == 'master-id'
    assert node.replicated == 'master-id'


def test_cluster_calls_refused_on_a_standalone_guest():
    manager = _manager(False, FakeNode([[]]))
    with pytest.raises(guest_manager.GuestError):
        manager.get_node_id_for_removal(None)
