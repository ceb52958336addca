"""A whole trove-mr system on one machine: the embedded defaults.

Starts the local cloud (two regions by default), a private RabbitMQ
virtual host, SQLite databases built with ``trove-mr-manage db sync``, the
Redis datastore registration, and the real ``trove-mr-api``,
``trove-mr-taskmanager`` and ``trove-mr-conductor`` processes, configured
through a generated ``trove-mr.conf``. ``./run.sh`` and the functional
tests both use it::

    env = DevEnv('/tmp/x')
    env.start()
    trove = env.trove('demo')            # python-troveclient
    ...
    env.stop()

Every process runs in its own process group; ``stop()`` ends them all,
with the guests the local cloud started.

With ``cells=True`` every region is a control cell of its own (the cells
seed): its own SQLite database, RabbitMQ virtual host, API, taskmanager
and conductor, all registered as region mappings in one shared API
database, each API published as that region's ``database`` endpoint and
listing globally. Services of the first region keep their plain names
(``api``); the others' are ``api-RegionTwo`` and so on.
"""

import configparser
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import requests
from keystoneauth1 import exceptions as ks_exc

from trove_mr.localcloud import fixture as cloud_fixture

DATASTORE = 'redis'
DATASTORE_VERSION = '7.0'
IMAGE_NAME = 'trove-mr-redis'
SERVICES = ('api', 'taskmanager', 'conductor')
RABBIT = 'guest:guest@127.0.0.1:5672'


def _bin(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def free_port(host='127.0.0.1'):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def rabbitmqctl(*args):
    subprocess.run(['rabbitmqctl', '-q'] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=60)


class DevEnv:
    """The system under a state directory.

    :param regions: regions of the local cloud; the first is the control
        plane's own region.
    :param cloud_args: extra arguments of ``trove-mr-localcloud`` (e.g.
        ``['--image-checksum-differs', 'RegionThree']``).
    :param conf_overrides: {section: {option: value}} merged into the
        generated configuration.
    :param cells: one control cell per region instead of one shared cell.
    """

    def __init__(self, state_dir, regions=('RegionOne', 'RegionTwo'),
                 cloud_args=(), conf_overrides=None, vhost=None,
                 api_port=None, cloud_port=None, password='secret',
                 cells=False, api_ports=None):
        self.state_dir = os.path.abspath(state_dir)
        self.regions = list(regions)
        self.region_name = self.regions[0]
        self.cloud_args = list(cloud_args)
        self.conf_overrides = conf_overrides or {}
        self.vhost = vhost or 'trove-mr-%s' % uuid.uuid4().hex[:8]
        self.api_port = api_port or free_port()
        self.password = password
        self.cells = cells
        # The control cells: every region with cells, else the first only.
        self.cell_regions = self.regions if cells else [self.region_name]
        self.api_ports = dict(api_ports or {})
        self.api_ports[self.region_name] = self.api_port
        for region in self.cell_regions:
            self.api_ports.setdefault(region, free_port())
        # Keys every cell shares: an API casts to any cell's taskmanager.
        self._keys = {'taskmanager_rpc_encr_key': uuid.uuid4().hex,
                      'inst_rpc_key_encr_key': uuid.uuid4().hex,
                      'mapping_encr_key': uuid.uuid4().hex}
        self.cloud = cloud_fixture.LocalCloudProcess(
            regions=self.regions,
            state_dir=os.path.join(self.state_dir, 'cloud'),
            password=password, extra_args=self._cloud_args())
        if cloud_port:
            self.cloud.port = cloud_port
        self.procs = {}

    # -- paths and URLs ------------------------------------------------

    @property
    def conf_file(self):
        return os.path.join(self.state_dir, 'trove-mr.conf')

    @property
    def log_dir(self):
        return os.path.join(self.state_dir, 'log')

    @property
    def api_url(self):
        return 'http://127.0.0.1:%d' % self.api_port

    @property
    def transport_url(self):
        return self.transport_url_of(self.region_name)

    def db_url(self, name):
        return 'sqlite:///%s' % os.path.join(self.state_dir, name)

    # -- cells ---------------------------------------------------------

    def vhost_of(self, region):
        """RabbitMQ virtual host of a region's cell."""
        if region == self.region_name:
            return self.vhost
        return '%s-%s' % (self.vhost, region)

    def transport_url_of(self, region):
        """Message bus URL of a region's cell."""
        return 'rabbit://%s/%s' % (RABBIT, self.vhost_of(region))

    def db_file_of(self, region):
        """SQLite file of a region's cell database."""
        if region == self.region_name:
            return os.path.join(self.state_dir, 'trove_mr.sqlite')
        return os.path.join(self.state_dir, 'trove_mr_%s.sqlite' % region)

    def db_url_of(self, region):
        """Database URL of a region's cell."""
        return 'sqlite:///%s' % self.db_file_of(region)

    def api_url_of(self, region):
        """URL of the API serving a region (its cell's, or the only one)."""
        if region not in self.cell_regions:
            region = self.region_name
        return 'http://127.0.0.1:%d' % self.api_ports[region]

    def conf_file_of(self, region):
        """Configuration file of a region's cell services."""
        if region == self.region_name:
            return self.conf_file
        return os.path.join(self.state_dir, 'trove-mr-%s.conf' % region)

    def service_names(self):
        """(process name, service, region) of every service to run."""
        for region in self.cell_regions:
            for service in SERVICES:
                name = service if region == self.region_name else \
                    '%s-%s' % (service, region)
                yield name, service, region

    def stop_cell_database(self, region):
        """Make a region's cell database unreachable (for outage tests).

        The SQLite file is moved aside and a directory takes its place, so
        every new connection fails to open it, as with a database server
        that is down.
        """
        path = self.db_file_of(region)
        os.rename(path, path + '.stopped')
        os.mkdir(path)

    def start_cell_database(self, region):
        """Undo :meth:`stop_cell_database`."""
        path = self.db_file_of(region)
        os.rmdir(path)
        os.rename(path + '.stopped', path)

    def _cloud_args(self):
        template = 'http://127.0.0.1:%d/v1.0/%%(tenant_id)s'
        urls = [template % self.api_port]
        if self.cells:
            urls += ['%s=%s' % (region, template % self.api_ports[region])
                     for region in self.cell_regions]
        args = []
        for url in urls:
            args += ['--database-url', url]
        return args + self.cloud_args

    # -- configuration -------------------------------------------------

    def config(self, region=None):
        """The trove-mr.conf of a region's cell, as {section: {opt: value}}.

        ``region`` defaults to the first one (the only cell without
        ``cells``).
        """
        region = region or self.region_name
        auth = {
            'auth_url': self.cloud.auth_url,
            'username': 'trove', 'password': self.password,
            'project_name': 'service', 'user_domain_name': 'Default',
            'project_domain_name': 'Default',
        }
        sections = {
            'DEFAULT': {
                'region_name': region,
                'transport_url': self.transport_url_of(region),
                'log_dir': self.log_dir,
                'debug': 'true',
                'agent_heartbeat_interval': '2',
                'agent_heartbeat_expiry': '15',
                'usage_timeout': '180',
                'server_poll_interval': '1',
                'max_instances_per_tenant': '30',
                'max_accepted_volume_size': '10',
                'taskmanager_rpc_encr_key':
                    self._keys['taskmanager_rpc_encr_key'],
                'inst_rpc_key_encr_key': self._keys['inst_rpc_key_encr_key'],
            },
            'database': {'connection': self.db_url_of(region)},
            'api_database': {
                'connection': self.db_url('trove_mr_api.sqlite'),
                'mapping_encr_key': self._keys['mapping_encr_key'],
            },
            'api': {
                'bind_host': '127.0.0.1',
                'bind_port': str(self.api_ports[region]),
                'workers': '2', 'auth_strategy': 'keystone',
                'public_endpoint': self.api_url_of(region),
                'instance_list_scope': 'global' if self.cells else 'local',
            },
            'keystone_authtoken': dict(
                auth, auth_type='password', interface='public',
                www_authenticate_uri=self.cloud.auth_url,
                region_name=region,
                service_token_roles_required='true'),
            'service_credentials': dict(auth, region_name=region,
                                        interface='public'),
            'redis': {'redis_server_bin': shutil.which('redis-server')
                      or 'redis-server'},
            'oslo_concurrency': {
                'lock_path': os.path.join(self.state_dir, 'lock')},
        }
        for section, values in self.conf_overrides.items():
            sections.setdefault(section, {}).update(
                {k: str(v) for k, v in values.items()})
        return sections

    def write_config(self):
        """Write the configuration file of every cell."""
        for region in self.cell_regions:
            parser = configparser.RawConfigParser()
            for section, values in self.config(region).items():
                if section != 'DEFAULT':
                    parser.add_section(section)
                for key, value in values.items():
                    parser.set(section, key, value)
            path = self.conf_file_of(region)
            with open(path, 'w') as f:
                parser.write(f)
            os.chmod(path, 0o600)

    # -- life cycle ----------------------------------------------------

    def manage(self, *args, region=None):
        """Run ``trove-mr-manage`` on a cell's configuration."""
        conf_file = self.conf_file_of(region or self.region_name)
        return subprocess.run(
            [_bin('trove-mr-manage'), '--config-file', conf_file]
            + list(args), check=True, capture_output=True, text=True,
            timeout=120).stdout

    def _prepare_databases(self):
        for region in self.cell_regions:
            first = region == self.region_name
            # The API database is shared: the first cell migrates it.
            self.manage('db', 'sync', *(() if first else ('--region-only',)),
                        region=region)
            self.manage('datastore_update', DATASTORE, '', region=region)
            self.manage('datastore_version_update', DATASTORE,
                        DATASTORE_VERSION, DATASTORE, IMAGE_NAME,
                        '--image-tags', 'trove,redis', '--active',
                        '--default', region=region)
            self.manage('datastore_update', DATASTORE, DATASTORE_VERSION,
                        region=region)
            self.manage('region_mapping', 'create', '--name', region,
                        '--transport-url', self.transport_url_of(region),
                        '--database-connection', self.db_url_of(region))

    def start_service(self, name):
        """Start one control-plane service by process name (``api``,
        ``taskmanager``, ``conductor``; ``api-RegionTwo`` for a cell's)."""
        service, _, region = name.partition('-')
        region = region or self.region_name
        log = open(os.path.join(self.log_dir, '%s.out' % name), 'ab')
        proc = subprocess.Popen(
            [_bin('trove-mr-%s' % service), '--config-file',
             self.conf_file_of(region)],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        self.procs[name] = proc
        self._write_pids()
        return proc

    def stop_service(self, name, sig=signal.SIGTERM, timeout=15):
        proc = self.procs.pop(name, None)
        if proc is None:
            return None
        _kill_group(proc, sig, timeout)
        self._write_pids()
        return proc.returncode

    def _write_pids(self):
        pids = {name: proc.pid for name, proc in self.procs.items()}
        if self.cloud.proc is not None:
            pids['localcloud'] = self.cloud.proc.pid
        with open(os.path.join(self.state_dir, 'pids.json'), 'w') as f:
            json.dump(pids, f)

    def start(self, timeout=90):
        """Bring everything up and wait until the API answers a ping.

        If anything fails on the way, what was started is stopped again
        before the error is raised: no process outlives a failed start.
        """
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout):
        os.makedirs(self.log_dir, exist_ok=True)
        os.makedirs(self.cloud.state_dir, exist_ok=True)
        for region in self.cell_regions:
            rabbitmqctl('add_vhost', self.vhost_of(region))
            rabbitmqctl('set_permissions', '-p', self.vhost_of(region),
                        'guest', '.*', '.*', '.*')
        self.cloud.start()
        self.write_config()
        self._prepare_databases()
        for name, _, _ in self.service_names():
            self.start_service(name)
        self.wait_ready(timeout)
        self.write_client_files()
        return self

    def wait_ready(self, timeout=90):
        """Wait until every cell's API is healthy and reaches its RPC
        services."""
        deadline = time.monotonic() + timeout
        answer = None
        for region in self.cell_regions:
            answer = self._wait_api(self.api_url_of(region), deadline,
                                    timeout)
        return answer

    def _wait_api(self, api_url, deadline, timeout):
        admin = self.cloud.session('admin')
        project = admin.get_project_id()
        last = None
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(
                        'trove-mr-%s exited with %s; see %s' % (
                            name, proc.returncode, self.log_dir))
            try:
                resp = admin.get(
                    '%s/v1.0/%s/mgmt/ping' % (api_url, project),
                    raise_exc=False, timeout=10)
                if resp.status_code == 200:
                    return resp.json()
                last = '%s %s' % (resp.status_code, resp.text[:200])
            except (requests.RequestException, ks_exc.ConnectionError) as exc:
                last = exc
            time.sleep(0.3)
        raise RuntimeError('trove-mr did not become ready in %ss: %s'
                           % (timeout, last))

    def stop(self, remove=False):
        """Stop every service, the local cloud and its guests."""
        for name in list(self.procs):
            self.stop_service(name)
        self.cloud.stop(remove_state=False)
        for region in self.cell_regions:
            try:
                rabbitmqctl('delete_vhost', self.vhost_of(region))
            except (subprocess.SubprocessError, OSError):
                pass
        if remove:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    # -- clients -------------------------------------------------------

    def session(self, user='demo'):
        """keystoneauth1 Session of a seeded user (demo, alt_demo, admin)."""
        return self.cloud.session(user)

    def trove(self, user='demo', region_name=None):
        """python-troveclient v1 client of a seeded user."""
        from troveclient.v1 import client as trove_client
        return trove_client.Client(
            session=self.session(user),
            region_name=region_name or self.region_name)

    def write_client_files(self):
        """clouds.yaml with the admin, demo and alt_demo clouds."""
        src = self.cloud.clouds_yaml
        dst = os.path.join(self.state_dir, 'clouds.yaml')
        if os.path.exists(src):
            shutil.copyfile(src, dst)
        return dst


def _kill_group(proc, sig, timeout):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
