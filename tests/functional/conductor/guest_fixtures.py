"""A guest and its conductor as real processes, on a migrated SQLite DB.

``guest_world`` gives a real ``trove-mr-conductor`` on a temporary SQLite
database built by ``trove-mr-manage db sync`` (once per run, then
copied), one instance row with its encrypted RPC key, and a way to start
the real ``trove-mr-guestagent`` the way the local cloud does: a server
root holding the configuration the taskmanager writes,
``TROVE_MR_SERVER_ADDRESS`` in 127.98.0.0/16 and ``TROVE_MR_VOLUMES``
pointing at a temporary volume. Every process (agents, the redis-server
they start, the conductor) is ended at teardown.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import time
import uuid

import pytest

from tests.functional import rpc_fixtures
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import crypto
from trove_mr.conductor import rpcapi as conductor_rpcapi
from trove_mr.db import engines
from trove_mr.db.main import api as db_api
from trove_mr.guestagent import rpcapi as guest_rpcapi

CONF = cfg.CONF
DB_KEY = uuid.uuid4().hex
CONTROL_KEY = uuid.uuid4().hex
EXPIRY = 3


def random_guest_address():
    return '127.98.%d.%d' % (random.randint(1, 254), random.randint(1, 254))


def guest_conf_text(exchange, instance_id, key, tenant_id):
    """The agent configuration the taskmanager injects."""
    return '\n'.join([
        '[DEFAULT]',
        'transport_url = %s' % rpc_fixtures.TRANSPORT_URL,
        'control_exchange = %s' % exchange,
        'enable_secure_rpc_messaging = true',
        'instance_rpc_encr_key = %s' % key,
        'region_name = RegionOne',
        'agent_heartbeat_interval = 1',
        '[guest]',
        'instance_id = %s' % instance_id,
        'tenant_id = %s' % tenant_id,
        'datastore_manager = redis',
        'datastore_version = 7.0',
        '[redis]',
        'redis_port = 6379',
        'redis_server_bin = %s' % (shutil.which('redis-server') or
                                   'redis-server'),
        ''])


class Agent:
    """One ``trove-mr-guestagent`` process, in a process group of its own.

    The redis-server it starts joins that group, as on a local-cloud
    server, so killing the group ends both.
    """

    def __init__(self, root, env, log_path):
        self.log_path = log_path
        self._log = open(log_path, 'ab')
        self.proc = subprocess.Popen(
            [os.path.join(rpc_fixtures.BIN_DIR, 'trove-mr-guestagent'),
             '--config-dir', os.path.join(root, 'etc', 'trove-mr')],
            cwd=root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.pgid = self.proc.pid

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def terminate(self, timeout=15):
        """SIGTERM the agent only (not its group); its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill_group(self):
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._log.close()


class GuestWorld:
    """The conductor, the DB, one instance row, and its agents."""

    def __init__(self, tmp_path, exchange, start_service, template_db):
        self.tmp = tmp_path
        self.exchange = exchange
        self.instance_id = str(uuid.uuid4())
        self.tenant_id = 'tenant-' + uuid.uuid4().hex[:8]
        self.key = crypto.generate_key()
        self.address = random_guest_address()
        self.root = str(tmp_path / 'server-root')
        self.volume = str(tmp_path / 'volume')
        self.db_url = 'sqlite:///%s' % (tmp_path / 'trove_mr.sqlite')
        self.agents = []
        self.context = trove_context.get_admin_context()
        self.conf_file = rpc_fixtures.write_config(
            tmp_path / 'trove-mr.conf', exchange,
            DEFAULT={'enable_secure_rpc_messaging': 'true',
                     'taskmanager_rpc_encr_key': CONTROL_KEY,
                     'inst_rpc_key_encr_key': DB_KEY,
                     'agent_heartbeat_expiry': str(EXPIRY)},
            database={'connection': self.db_url},
            api_database={'connection': 'sqlite:///%s'
                          % (tmp_path / 'api.sqlite')})
        shutil.copyfile(template_db, str(tmp_path / 'trove_mr.sqlite'))
        self._create_instance()
        self.conductor = start_service('conductor', self.conf_file)
        # Casts sent before the conductor's queue exists would be lost.
        rpc_fixtures.call_until_ready(
            lambda: conductor_rpcapi.ConductorAPI().ping(self.context),
            self.conductor)
        self._write_guest_files()

    def _create_instance(self):
        datastore = db_api.datastore_create(self.context, {'name': 'redis'})
        version = db_api.datastore_version_create(
            self.context, datastore.id,
            {'name': '7.0', 'manager': 'redis', 'image_name': 'img',
             'active': True, 'default': True})
        db_api.instance_create(self.context, {
            'id': self.instance_id, 'name': 'guest-test',
            'tenant_id': self.tenant_id, 'region_name': 'RegionOne',
            'datastore_version_id': version.id, 'volume_size': 1,
            'task_status': 'NONE',
            'encrypted_rpc_key': crypto.encrypt(
                DB_KEY, self.key, self.instance_id.encode(),
                purpose='instance-key')})

    def _write_guest_files(self):
        etc = os.path.join(self.root, 'etc', 'trove-mr')
        os.makedirs(etc)
        os.makedirs(self.volume)
        with open(os.path.join(etc, 'trove-mr-guestagent.conf'), 'w') as f:
            f.write(guest_conf_text(self.exchange, self.instance_id,
                                    self.key, self.tenant_id))

    def start_agent(self):
        env = dict(os.environ)
        env.update({
            'TROVE_MR_SERVER_ADDRESS': self.address,
            'TROVE_MR_VOLUMES': json.dumps([{
                'id': 'vol-1', 'path': self.volume, 'device': '/dev/vdb'}]),
        })
        agent = Agent(self.root, env, str(self.tmp / (
            'agent-%d.log' % len(self.agents))))
        self.agents.append(agent)
        return agent

    def guest_rpcapi(self, key=None):
        return guest_rpcapi.GuestAgentAPI(self.context, self.instance_id,
                                       key=key or self.key)

    def status(self):
        return db_api.instance_status_get(self.context, self.instance_id)

    def wait_status(self, expected, timeout=20, after=None):
        """Wait for ``expected`` in the DB, sent after ``after`` if set."""
        def check():
            row = self.status()
            assert row.status == expected, (row.status, expected)
            if after is not None:
                assert row.heartbeat_at > after
            return row
        return rpc_fixtures.wait_until(check, timeout=timeout,
                                       service=self.conductor)

    @property
    def redis_pidfile(self):
        return os.path.join(self.volume, 'redis-conf', 'redis.pid')

    def redis_pid(self):
        with open(self.redis_pidfile) as f:
            return int(f.read())

    def cleanup(self):
        for agent in self.agents:
            agent.kill_group()
        # A redis-server outliving every agent group would be a leak.
        try:
            os.kill(self.redis_pid(), signal.SIGKILL)
        except (OSError, ValueError):
            pass


@pytest.fixture(scope='session')
def synced_region_db(tmp_path_factory):
    """A region database built once by ``trove-mr-manage db sync``."""
    tmp = tmp_path_factory.mktemp('synced-db')
    path = str(tmp / 'trove_mr.sqlite')
    conf = tmp / 'manage.conf'
    conf.write_text('[database]\nconnection = sqlite:///%s\n'
                    '[api_database]\nconnection = sqlite:///%s\n'
                    % (path, tmp / 'api.sqlite'))
    subprocess.run(
        [os.path.join(rpc_fixtures.BIN_DIR, 'trove-mr-manage'),
         '--config-file', str(conf), 'db', 'sync'],
        check=True, capture_output=True, timeout=120)
    return path


@pytest.fixture
def guest_world(tmp_path, exchange, rpc_conf, start_service,
                synced_region_db):
    """A GuestWorld; every process it started is ended at teardown."""
    for name, value in (('inst_rpc_key_encr_key', DB_KEY),
                        ('taskmanager_rpc_encr_key', CONTROL_KEY),
                        ('enable_secure_rpc_messaging', True)):
        CONF.set_override(name, value)
    CONF.set_override('connection', 'sqlite:///%s'
                      % (tmp_path / 'trove_mr.sqlite'), group='database')
    world = None
    try:
        world = GuestWorld(tmp_path, exchange, start_service,
                           synced_region_db)
        yield world
    finally:
        if world is not None:
            world.cleanup()
        engines.dispose_all()
        CONF.clear_override('connection', group='database')
        for name in ('inst_rpc_key_encr_key', 'taskmanager_rpc_encr_key',
                     'enable_secure_rpc_messaging'):
            CONF.clear_override(name)


def wait_for(check, timeout=20, interval=0.1):
    """Retry ``check()`` until it returns a true value; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('condition not met in %ss' % timeout)
        time.sleep(interval)
