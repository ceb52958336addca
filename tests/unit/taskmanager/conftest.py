"""Fixtures of the taskmanager unit tests: a migrated DB and a fake cloud.

The fakes stand at the client boundary (novaclient / cinderclient
managers and the guest agent API); the database is a real, migrated
SQLite file.
"""

import itertools
import uuid

import pytest
from cinderclient import exceptions as cinder_exc
from novaclient import exceptions as nova_exc

from tests.unit import fake_neutron
from tests.unit.db.conftest import ctx  # noqa: F401
from tests.unit.db.conftest import db_urls  # noqa: F401
from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import regions
from trove_mr.common import rpc
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import guest as guest_tasks
from trove_mr.guestagent import rpcapi as guest_rpcapi

CONF = cfg.CONF


class Resource:
    def __init__(self, **fields):
        self.__dict__.update(fields)


class FakeServers:
    def __init__(self, cloud):
        self.cloud = cloud
        self.items = {}
        self.list_limits = []
        self.fail_create = False
        self.status_after_create = 'ACTIVE'
        self.list_calls = 0
        self.created_kwargs = []

    def create(self, name, image, flavor, **kwargs):
        if self.fail_create:
            raise nova_exc.BadRequest(400, 'injected: no valid host')
        server = Resource(id=str(uuid.uuid4()), name=name,
                          status=self.status_after_create,
                          metadata=kwargs.get('meta'), fault=None,
                          addresses={'trove-mgmt': [
                              {'addr': '127.11.0.%d' % (len(self.items) + 2),
                               'OS-EXT-IPS:type': 'fixed'}]})
        self.created_kwargs.append(dict(kwargs, image=image, flavor=flavor))
        for bdm in kwargs.get('block_device_mapping_v2') or []:
            self.cloud.volumes.items[bdm['uuid']].status = 'in-use'
        self.items[server.id] = server
        return server

    def get(self, server_id):
        try:
            return self.items[server_id]
        except KeyError:
            raise nova_exc.NotFound(404, 'no server %s' % server_id) \
                from None

    def list(self, detailed=True, search_opts=None, limit=None):
        self.list_calls += 1
        # Without limit=-1 novaclient reads one page only.
        self.list_limits.append(limit)
        pattern = (search_opts or {}).get('name', '').strip('^$')
        return [s for s in self.items.values() if s.name.startswith(pattern)]

    def delete(self, server_id):
        self.get(server_id)
        del self.items[server_id]
        for volume in self.cloud.volumes.items.values():
            volume.status = 'available'


class FakeVolumes:
    def __init__(self):
        self.items = {}
        self.create_status = 'available'
        self.actions = []
        # What os-failover_replication answers (None: it works).
        self.failover_error = None

    def create(self, size, name=None, volume_type=None, metadata=None):
        volume = Resource(id=str(uuid.uuid4()), size=size, name=name,
                          volume_type=volume_type, metadata=metadata,
                          status=self.create_status)
        volume._info = {'replication_status': 'disabled',
                        'replication_last_sync_at': None,
                        'os-vol-host-attr:host': 'fake@lvm#primary'}
        self.items[volume.id] = volume
        return volume

    def _action(self, action, volume_id, info=None):
        """Cinder's replication actions (the first copy is immediate)."""
        self.actions.append((action, volume_id, info))
        volume = self.get(volume_id)
        if action == 'os-enable_replication':
            volume._info.update(replication_status='enabled',
                                replication_last_sync_at='2026-01-01T00:00:'
                                                         '00.000000')
        elif action == 'os-disable_replication':
            volume._info['replication_status'] = 'disabled'
        elif action == 'os-failover_replication':
            if self.failover_error is not None:
                raise self.failover_error
            volume._info.update({'replication_status': 'failed-over',
                                 'os-vol-host-attr:host':
                                 'fake@lvm-replica#replica'})
        return None, {}

    def get(self, volume_id):
        try:
            return self.items[volume_id]
        except KeyError:
            raise cinder_exc.NotFound(404, 'no volume %s' % volume_id) \
                from None

    def list(self, search_opts=None):
        name = (search_opts or {}).get('name')
        return [v for v in self.items.values() if v.name == name]

    def delete(self, volume_id):
        if self.get(volume_id).status == 'in-use':
            raise cinder_exc.BadRequest(400, 'volume in use')
        del self.items[volume_id]


class FakeVolumeTypes:
    """Cinder's volume types: the default and a replication-capable
    ``replicated`` one."""

    def __init__(self):
        self.items = [
            Resource(id='t-default', name='__DEFAULT__',
                     _info={'extra_specs': {}}),
            Resource(id='t-replicated', name='replicated',
                     _info={'extra_specs': {
                         'replication_capable': '<is> True'}})]

    def list(self):
        return list(self.items)


class FakeRegionCloud:
    """Nova's servers and Cinder's volumes of one region."""

    def __init__(self):
        self.volume_types = FakeVolumeTypes()
        self.volumes = FakeVolumes()
        self.servers = FakeServers(self)
        self.network = fake_neutron.FakeNeutron()


class FakeGuest:
    """The guest agent API; ``behaviour`` says how the guest reacts."""

    calls = []
    behaviour = 'runs'

    def __init__(self, context, instance_id, key=None, version_cap=None):
        self.context = context
        self.instance_id = instance_id
        self.key = key

    def _report(self, status):
        import time
        db_api.instance_status_update(self.context, self.instance_id,
                                      status, time.time() + 0.001)

    def ping(self, timeout=None):
        # The flows ping with short timeouts, never the agent default.
        assert timeout is not None and timeout <= 2
        return {'service': 'guestagent', 'instance_id': self.instance_id}

    def get_status(self, timeout=None):
        return {'status': 'failed' if FakeGuest.behaviour == 'fails'
                else 'running', 'volume_used': 0.0}

    def prepare(self, config):
        FakeGuest.calls.append(('prepare', self.instance_id, self.key,
                                config))
        if FakeGuest.behaviour == 'runs':
            self._report(states.SERVICE_RUNNING)
        elif FakeGuest.behaviour == 'fails':
            self._report(states.SERVICE_FAILED)

    def restart(self):
        FakeGuest.calls.append(('restart', self.instance_id, self.key))
        if FakeGuest.behaviour == 'runs':
            self._report(states.SERVICE_RUNNING)

    def stop(self, timeout=None):
        FakeGuest.calls.append(('stop', self.instance_id, self.key))


@pytest.fixture
def cloud(monkeypatch, db_urls):  # noqa: F811
    """Fake clouds of RegionOne and RegionTwo, placement always OK."""
    regions_ = {'RegionOne': FakeRegionCloud(),
                'RegionTwo': FakeRegionCloud()}
    monkeypatch.setattr(clients, 'create_nova_client',
                        lambda context, region_name=None:
                        regions_[region_name])
    monkeypatch.setattr(clients, 'create_cinder_client',
                        lambda context, region_name=None:
                        regions_[region_name])
    monkeypatch.setattr(clients, 'create_network_client',
                        lambda context, region_name=None:
                        regions_[region_name].network)

    def check_placement(context, version, flavor_ref, target_region,
                        target_version=None):
        return regions.Placement(target_region, 'image-1',
                                 version['image_name'], 'sum', 'flavor-1',
                                 flavor_ref)
    monkeypatch.setattr(regions, 'check_placement', check_placement)
    FakeGuest.calls = []
    FakeGuest.behaviour = 'runs'
    monkeypatch.setattr(guest_rpcapi, 'GuestAgentAPI', FakeGuest)
    monkeypatch.setattr(guest_tasks, 'STATUS_POLL_INTERVAL', 0.01)
    rpc.register_bus_options()
    CONF.set_override('server_poll_interval', 1)
    CONF.set_override('transport_url', 'rabbit://u:p@127.0.0.1:5672/v')
    yield regions_
    CONF.clear_override('server_poll_interval')
    CONF.clear_override('transport_url')


_names = itertools.count()


@pytest.fixture
def make_instance(ctx):  # noqa: F811
    """A factory of BUILDING instance rows of the redis 7.0 datastore."""
    db_api.datastore_update(ctx, 'redis')
    version = db_api.datastore_version_create(ctx, 'redis', {
        'name': '7.0', 'manager': 'redis', 'image_name': 'trove-mr-redis',
        'default': True})

    def make(region_name='RegionOne', **values):
        row = dict(name='db-%d' % next(_names), tenant_id=ctx.project_id,
                   region_name=region_name, flavor_id='small',
                   volume_size=1, datastore_version_id=version.id,
                   task_status=states.TASK_BUILDING)
        row.update(values)
        return db_api.instance_create(ctx, row)
    return make


def placement_for(region_name):
    return {'region_name': region_name, 'image_id': 'image-1',
            'image_name': 'trove-mr-redis', 'flavor_id': 'flavor-1',
            'flavor_name': 'small'}
