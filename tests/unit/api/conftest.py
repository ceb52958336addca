"""Fixtures of the API unit tests: the WSGI app on migrated SQLite
databases, with fakes at the boundary (Glance, Nova, the catalog's
regions and the taskmanager RPC client)."""

import datetime
import types

import pytest
import sqlalchemy as sa
import webob
from glanceclient import exc as glance_exc
from oslo_serialization import jsonutils
from sqlalchemy import pool

from tests.unit import fake_neutron
from trove_mr.api import hooks
from trove_mr.api import wsgi
from trove_mr.api.domain import catalog
from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import context as trove_context
from trove_mr.common import policy
from trove_mr.common import regions
from trove_mr.db import cells
from trove_mr.db import engines
from trove_mr.db import migration
from trove_mr.db import rows
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api
from trove_mr.db.main import models
from trove_mr.taskmanager import rpcapi as taskmanager_rpcapi

CONF = cfg.CONF
MEMBER = {'X-Project-Id': 'p1', 'X-User-Id': 'u1', 'X-Roles': 'member'}
OTHER = {'X-Project-Id': 'p2', 'X-User-Id': 'u2', 'X-Roles': 'member'}
ADMIN = {'X-Project-Id': 'adm', 'X-User-Id': 'u0', 'X-Roles': 'admin'}
FLAVORS = {'RegionOne': [('7', 'm1.redis', 1024, 1, 5),
                         ('2', 'm1.small', 2048, 1, 20)],
           'RegionTwo': [('17', 'm1.redis', 1024, 1, 5),
                         ('12', 'm1.small', 4096, 1, 20)]}
IMAGES = {'RegionOne': {'id': 'img-1', 'name': 'trove-mr-redis',
                        'checksum': 'aaa', 'status': 'active'},
          'RegionTwo': {'id': 'img-2', 'name': 'trove-mr-redis',
                        'checksum': 'aaa', 'status': 'active'},
          'RegionThree': {'id': 'img-3', 'name': 'trove-mr-redis',
                          'checksum': 'bbb', 'status': 'active'}}
FLAVORS['RegionThree'] = FLAVORS['RegionOne']


class FakeTaskManagerAPI:
    """Records the casts the API makes."""

    def __init__(self):
        self.casts = []
        self.error = None

    def _record(self, name, context, *args, **kwargs):
        if self.error:
            raise self.error
        self.casts.append((name, context, args, kwargs))

    def create_instance(self, context, *args, **kwargs):
        self._record('create_instance', context, *args, **kwargs)

    def update_access(self, context, *args, **kwargs):
        self._record('update_access', context, *args, **kwargs)

    def delete_instance(self, context, *args, **kwargs):
        self._record('delete_instance', context, *args, **kwargs)

    def restart_instance(self, context, *args, **kwargs):
        self._record('restart_instance', context, *args, **kwargs)

    def create_backup(self, context, *args, **kwargs):
        self._record('create_backup', context, *args, **kwargs)

    def delete_backup(self, context, *args, **kwargs):
        self._record('delete_backup', context, *args, **kwargs)

    def promote_to_replica_source(self, context, *args, **kwargs):
        self._record('promote_to_replica_source', context, *args, **kwargs)

    def eject_replica_source(self, context, *args, **kwargs):
        self._record('eject_replica_source', context, *args, **kwargs)

    def detach_replica(self, context, *args, **kwargs):
        self._record('detach_replica', context, *args, **kwargs)

    def resize_flavor(self, context, *args, **kwargs):
        self._record('resize_flavor', context, *args, **kwargs)

    def resize_volume(self, context, *args, **kwargs):
        self._record('resize_volume', context, *args, **kwargs)

    def create_replicas(self, context, *args, **kwargs):
        self._record('create_replicas', context, *args, **kwargs)

    # Configuration groups (1.4).
    def apply_configuration(self, context, *args, **kwargs):
        self._record('apply_configuration', context, *args, **kwargs)

    def apply_cluster_configuration(self, context, *args, **kwargs):
        self._record('apply_cluster_configuration', context, *args,
                     **kwargs)


class FakeGlance:
    def __init__(self, region):
        self.images = self
        self.image = IMAGES.get(region)

    def get(self, ref):
        if self.image and ref == self.image['id']:
            return self.image
        raise glance_exc.HTTPNotFound(ref)

    def list(self, filters=None):
        if self.image and filters['name'] == self.image['name']:
            return [self.image]
        return []


class FakeNova:
    def __init__(self, region):
        self.flavors = self
        self.region = region
        self.calls = 0

    def list(self):
        self.calls += 1
        return [types.SimpleNamespace(id=f[0], name=f[1], ram=f[2],
                                      vcpus=f[3], disk=f[4])
                for f in FLAVORS[self.region]]

    def get(self, ref):
        from novaclient import exceptions as nova_exc
        for flavor in self.list():
            if flavor.id == str(ref):
                return flavor
        raise nova_exc.NotFound(404)


# Volume types of each region's Cinder: (id, name).
VOLUME_TYPES = {'RegionOne': [('vt-1', 'lvmdriver-1'), ('vt-2', 'fast')],
                'RegionTwo': [('vt-21', 'lvmdriver-1')],
                'RegionThree': [('vt-31', 'lvmdriver-1')]}


class FakeCinder:
    def __init__(self, region):
        self.volume_types = self
        self.region = region

    def list(self):
        return [types.SimpleNamespace(id=t[0], name=t[1])
                for t in VOLUME_TYPES[self.region]]


@pytest.fixture
def cloud(monkeypatch):
    """Fake Glance and Nova of three regions; counts Nova flavor lists."""
    novas = {}

    def nova(context, region_name):
        return novas.setdefault(region_name, FakeNova(region_name))

    monkeypatch.setattr(clients, 'create_nova_client', nova)
    monkeypatch.setattr(clients, 'create_glance_client',
                        lambda context, region_name: FakeGlance(region_name))
    monkeypatch.setattr(clients, 'create_cinder_client',
                        lambda context, region_name: FakeCinder(region_name))
    monkeypatch.setattr(regions, 'known_regions',
                        lambda: ('RegionOne', 'RegionThree', 'RegionTwo'))
    # A Neutron with no network: every nics id is unknown (a 400).
    neutron = fake_neutron.FakeNeutron()
    monkeypatch.setattr(clients, 'create_network_client',
                        lambda context, region_name=None: neutron)
    catalog.reset_cache()
    yield novas
    catalog.reset_cache()


@pytest.fixture
def databases(tmp_path):
    """Migrated region and API databases with the redis 7.0 datastore."""
    urls = {}
    for line in ('region', 'api'):
        urls[line] = 'sqlite:///%s' % (tmp_path / ('%s.sqlite' % line))
        migration.upgrade(line, urls[line])
    CONF.set_override('connection', urls['region'], group='database')
    CONF.set_override('connection', urls['api'], group='api_database')
    ctx = trove_context.get_admin_context()
    # This control plane's own cell, as trove-mr-manage registers it.
    api_db.region_mapping_create(ctx, CONF.region_name, 'rabbit://h//',
                                 urls['region'])
    db_api.datastore_create(ctx, {'name': 'redis'})
    db_api.datastore_version_create(ctx, 'redis', {
        'name': '7.0', 'manager': 'redis', 'image_name': 'trove-mr-redis',
        'active': True, 'default': True})
    db_api.datastore_version_create(ctx, 'redis', {
        'name': '6.2', 'manager': 'redis', 'image_name': 'trove-mr-redis',
        'active': False})
    # A live taskmanager of the cell: the API refuses actions without.
    taskmanager_heartbeat(ctx)
    yield urls
    engines.dispose_all()
    cells.clear_cache()
    CONF.clear_override('connection', group='database')
    CONF.clear_override('connection', group='api_database')


def taskmanager_heartbeat(cctx, boot_id='unit-tests'):
    """A fresh heartbeat of a taskmanager in ``cctx``'s cell."""
    return db_api.service_heartbeat(cctx, 'tm-host',
                                    taskmanager_rpcapi.BINARY,
                                    taskmanager_rpcapi.topic_name(), boot_id)


def stale_taskmanager(cctx):
    """Make the heartbeats of ``cctx``'s cell one second too old."""
    seen = rows.now() - datetime.timedelta(
        seconds=CONF.service_down_time + 1)
    manager = engines.region_context_manager(cctx)
    with manager.writer.get_engine().begin() as conn:
        conn.execute(sa.update(models.Service.__table__)
                     .values(last_seen_up=seen))


# What an action may change: every row of these tables is compared.
_CHANGING_TABLES = ('instances', 'instance_status', 'clusters', 'backups',
                    'instance_mappings', 'cluster_mappings', 'quota_usages')


def snapshot(*urls):
    """Every row of the tables an action may change, in each database."""
    state = {}
    for url in urls:
        engine = sa.create_engine(url, poolclass=pool.NullPool)
        try:
            with engine.connect() as conn:
                present = set(sa.inspect(conn).get_table_names())
                for table in _CHANGING_TABLES:
                    if table in present:
                        state[url, table] = sorted(
                            repr(tuple(row)) for row in conn.execute(
                                sa.text('SELECT * FROM %s' % table)))
        finally:
            engine.dispose()
    return state


@pytest.fixture
def taskmanager(monkeypatch):
    fake = FakeTaskManagerAPI()
    monkeypatch.setattr(hooks.RPCHook, '_taskmanager_api', fake)
    return fake


@pytest.fixture
def api(databases, cloud, taskmanager):
    """The API's WSGI app (noauth) with the real policy engine."""
    CONF([], project='trove-mr')
    policy.reset()
    CONF.set_override('auth_strategy', 'noauth', group='api')
    CONF.set_override('public_endpoint', 'http://api.test:8779', group='api')
    try:
        yield wsgi.build_application()
    finally:
        CONF.clear_override('auth_strategy', group='api')
        CONF.clear_override('public_endpoint', group='api')
        policy.reset()


def call(app, path, method='GET', body=None, headers=None):
    """A request to the app; returns the webob response."""
    request = webob.Request.blank(path, method=method,
                                  headers=dict(headers or MEMBER))
    if body is not None:
        request.body = jsonutils.dump_as_bytes(body)
        request.content_type = 'application/json'
    return request.get_response(app)


def create_body(**overrides):
    instance = {'name': 'cache', 'flavorRef': '7', 'volume': {'size': 1}}
    instance.update(overrides)
    return {'instance': instance}
