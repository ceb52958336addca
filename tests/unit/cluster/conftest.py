"""Fixtures of the cluster unit tests: the API app of tests/unit/api
with a taskmanager fake that records cluster casts, and fake guests."""

import pytest

from tests.unit.api.conftest import FakeTaskManagerAPI
from tests.unit.api.conftest import api  # noqa: F401 - fixture
from tests.unit.api.conftest import cloud  # noqa: F401 - fixture
from tests.unit.api.conftest import databases  # noqa: F401 - fixture
from trove_mr.api import hooks
from trove_mr.cluster import strategy


class FakeClusterTaskManagerAPI(FakeTaskManagerAPI):
    """Records instance and cluster casts."""

    def create_cluster(self, context, *args, **kwargs):
        self._record('create_cluster', context, *args, **kwargs)

    def grow_cluster(self, context, *args, **kwargs):
        self._record('grow_cluster', context, *args, **kwargs)

    def shrink_cluster(self, context, *args, **kwargs):
        self._record('shrink_cluster', context, *args, **kwargs)

    def delete_cluster(self, context, *args, **kwargs):
        self._record('delete_cluster', context, *args, **kwargs)


@pytest.fixture
def taskmanager(monkeypatch):
    fake = FakeClusterTaskManagerAPI()
    monkeypatch.setattr(hooks.RPCHook, '_taskmanager_api', fake)
    return fake


class FakeGuest:
    """The cluster calls of one member's guest, recorded."""

    def __init__(self, instance_id, guests):
        self.instance_id = instance_id
        self.guests = guests

    def _record(self, name, *args):
        self.guests.calls.append((self.instance_id, name) + args)

    def get_node_ip(self):
        self._record('get_node_ip')
        return ['127.9.0.%d' % self.guests.index(self.instance_id), 6379]

    def get_node_id_for_removal(self):
        self._record('get_node_id_for_removal')
        return self.guests.node_ids.get(self.instance_id,
                                        'node-' + self.instance_id)

    def cluster_meet(self, ip, port):
        self._record('cluster_meet', ip, port)

    def cluster_addslots(self, first, last):
        self._record('cluster_addslots', first, last)

    def cluster_replicate(self, ip, port):
        self._record('cluster_replicate', ip, port)

    def cluster_complete(self):
        self._record('cluster_complete')
        return {'cluster_state': 'ok'}

    def remove_nodes(self, node_ids):
        self._record('remove_nodes', tuple(node_ids))
        return list(node_ids)


class FakeGuests:
    """Stands for RedisGuestAgentStrategy: hands out FakeGuest clients."""

    def __init__(self):
        self.calls = []
        self.node_ids = {}
        self._order = []

    def index(self, instance_id):
        if instance_id not in self._order:
            self._order.append(instance_id)
        return self._order.index(instance_id) + 1

    def guest_client(self, context, instance_id, key=None):
        return FakeGuest(instance_id, self)


@pytest.fixture
def guests(monkeypatch):
    fake = FakeGuests()
    real = strategy.guestagent_strategy
    monkeypatch.setattr(
        strategy, 'guestagent_strategy',
        lambda manager: fake if manager == 'redis' else real(manager))
    return fake
