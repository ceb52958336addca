"""The local cloud: Keystone plus, per region, Nova, Cinder, Glance, Swift.

Keystone and the admin API (faults, info) listen on the main port; every
region has a listener of its own (main port + 1 + region index unless
given), serving ``/compute/<region>/v2.1``, ``/volume/<region>/v3``,
``/image/<region>`` and ``/object/<region>/v1``. Closing a region's
listener is what makes that region really unreachable.
"""

import logging
import os
import random
import time
import uuid

import webob

from trove_mr_localcloud import admin
from trove_mr_localcloud import catalog
from trove_mr_localcloud import cinder
from trove_mr_localcloud import glance
from trove_mr_localcloud import hypervisor
from trove_mr_localcloud import keystone
from trove_mr_localcloud import neutron
from trove_mr_localcloud import nova
from trove_mr_localcloud import replication
from trove_mr_localcloud import seed
from trove_mr_localcloud import store
from trove_mr_localcloud import wsgi

# Host numbers of a region's /16 (address_for spreads them over it).
ADDRESS_SPAN = 254 * 250

LOG = logging.getLogger(__name__)

NETWORKS = ('private', 'trove-mgmt')


def _swift_app(store_dir, validate):
    """The Swift WSGI app, or a 503 answer while it is unavailable."""
    try:
        from trove_mr_localcloud.swift import SwiftApp
    except ImportError:
        LOG.warning('object storage is not available')

        def unavailable(environ, start_response):
            start_response('503 Service Unavailable',
                           [('Content-Type', 'text/plain')])
            return [b'Object storage is not available.\n']
        return unavailable
    os.makedirs(store_dir, exist_ok=True)
    return SwiftApp(store_dir, validate)


class Region:
    """One region: its services, its state and its faults."""

    SERVICES = ('compute', 'volume', 'image', 'object', 'network')

    def __init__(self, cloud, name, index, port):
        self.cloud = cloud
        self.name = name
        self.index = index
        self.state_dir = cloud.state_dir
        self.store = cloud.store
        self.keystone = cloud.keystone
        self.hypervisor = cloud.hypervisor
        self.host_name = 'localcloud-%s' % name.lower()
        # Compute hosts of the region, all on this machine: servers are
        # built on the first; a cold migration moves one to another.
        self.hosts = (self.host_name, self.host_name + '-2')
        with self.store.transaction():
            self.data = self.store.region(name)
            # A random start in the region's /16: several local clouds
            # (a developer's ./run.sh, test runs) share the loopback range.
            self.data.setdefault('next_address',
                                 random.randrange(0, ADDRESS_SPAN))
        self.faults = admin.no_faults()
        self.networks = {
            str(uuid.uuid5(uuid.NAMESPACE_DNS, '%s:net:%s' % (name, n))): n
            for n in NETWORKS}
        self.default_network = NETWORKS[0]
        self.nova = nova.Nova(self)
        self.cinder = cinder.Cinder(self)
        self.replicator = replication.Replicator(
            self, cloud.replication_interval)
        self.glance = glance.Glance(self)
        self.neutron = neutron.Neutron(self)
        swift_dir = os.path.join(self.state_dir, 'swift',
                                 'shared' if cloud.shared_swift else name)
        self.swift = _swift_app(swift_dir, cloud.swift_token)
        self.listener = wsgi.Listener(cloud.host, port, self.app)

    @property
    def base_url(self):
        return 'http://%s:%d' % (self.cloud.host, self.listener.port)

    def endpoint(self, service):
        """Root URL of one of this region's services."""
        return '%s/%s/%s' % (self.base_url, service, self.name)

    def network_name(self, net_id):
        """Name of a seeded network by id (an unknown id is its own name)."""
        network = self.neutron.network(net_id)
        if network is not None:
            return network['name']
        return self.networks.get(net_id, net_id)

    def allocate_address(self):
        """A loopback address never given to a server of this region.

        Addresses something on this machine already listens on (a guest of
        another local cloud) are skipped.
        """
        busy = hypervisor.listening_addresses()
        while True:
            self.data['next_address'] = \
                (self.data['next_address'] + 1) % ADDRESS_SPAN
            address = hypervisor.address_for(self.index,
                                             self.data['next_address'])
            if address not in busy:
                return address

    def take_fault(self, kind):
        """Consume one injected creation failure of ``kind`` if any."""
        if self.faults[kind] > 0:
            self.faults[kind] -= 1
            return True
        return False

    @staticmethod
    def hypervisor_user_text(user_data):
        return hypervisor.decode_user_data(user_data)

    def recover(self):
        """After a restart: builds that were cut short failed."""
        with self.store.transaction():
            for server in self.data['servers'].values():
                if server['status'] in ('BUILD', 'REBOOT', 'RESIZE',
                                        'REVERT_RESIZE', 'REBUILD') and \
                        not self.hypervisor.is_running(server):
                    server['status'] = 'ERROR'
                    server['fault'] = {
                        'code': 500, 'created': nova.now_iso(),
                        'message': 'The compute service restarted during '
                                   'the build.'}

    def app(self, environ, start_response):
        """WSGI entry of the region's listener."""
        wsgi.dechunk(environ)
        delay = self.faults['latency_ms']
        if delay:
            time.sleep(delay / 1000.0)
        path = environ.get('PATH_INFO', '')
        for service in self.SERVICES:
            prefix = '/%s/%s' % (service, self.name)
            if path != prefix and not path.startswith(prefix + '/'):
                continue
            if service == 'object':
                environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + \
                    prefix
                environ['PATH_INFO'] = path[len(prefix):]
                return self.swift(environ, start_response)
            handler = {'compute': self.nova, 'volume': self.cinder,
                       'image': self.glance,
                       'network': self.neutron}[service]
            style = 'glance' if service == 'image' else 'nova'
            return _serve(handler, webob.Request(environ),
                          path[len(prefix):], style)(environ, start_response)
        return wsgi.error_response(wsgi.HTTPError(404, 'Not Found'))(
            environ, start_response)


def _serve(handler, req, path, style):
    try:
        return handler(req, path)
    except wsgi.HTTPError as err:
        return wsgi.error_response(err, style)
    except Exception:  # a broken request must not kill the listener
        LOG.exception('%s %s failed', req.method, req.path)
        return wsgi.error_response(wsgi.HTTPError(
            500, 'Unexpected error.'), style)


class LocalCloud:
    """The whole emulator; :meth:`start` and :meth:`stop` it."""

    def __init__(self, state_dir, regions=('RegionOne', 'RegionTwo'),
                 host='127.0.0.1', port=5000, region_ports=None,
                 password='secret', token_ttl=3600,
                 guest_command=hypervisor.DEFAULT_GUEST_COMMAND,
                 shared_swift=False, flavor_differs=(),
                 image_checksum_differs=(), database_url=None,
                 stop_guests=True,
                 replication_interval=replication.DEFAULT_INTERVAL):
        self.replication_interval = replication_interval
        self.state_dir = os.path.abspath(state_dir)
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        os.chmod(self.state_dir, 0o700)
        self.host = host
        self.password = password
        self.shared_swift = shared_swift
        self.database_url = database_url
        self.stop_guests = stop_guests
        self.store = store.Store(self.state_dir)
        self.hypervisor = hypervisor.Hypervisor(self.state_dir,
                                                guest_command)
        self.main = wsgi.Listener(host, port, self.app)
        self.keystone = keystone.Keystone(
            self.store, password, token_ttl,
            lambda project_id: catalog.build(self, project_id),
            self.identity_base)
        self.admin = admin.Admin(self)
        region_ports = region_ports or [
            port + 1 + i if port else 0 for i in range(len(regions))]
        self.regions = {}
        for index, name in enumerate(regions):
            self.regions[name] = Region(self, name, index,
                                        region_ports[index])
            seed.seed_region(self.regions[name],
                             flavor_differs=name in flavor_differs,
                             image_differs=name in image_checksum_differs)

    @property
    def identity_base(self):
        return 'http://%s:%d/identity' % (self.host, self.main.port)

    @property
    def auth_url(self):
        """Keystone v3 URL for clients."""
        return self.identity_base + '/v3'

    def swift_token(self, token_id):
        """Token check handed to Swift: (project id, is admin) or None."""
        info = self.keystone.validate(token_id)
        if info is None or info.project_id is None:
            return None
        return info.project_id, 'admin' in info.roles

    def app(self, environ, start_response):
        """WSGI entry of the main listener: Keystone and the admin API."""
        wsgi.dechunk(environ)
        req = webob.Request(environ)
        path = req.path_info
        for prefix, router, style in (
                ('/identity', self.keystone.router, 'keystone'),
                ('/localcloud', self.admin.router, 'nova')):
            if path == prefix or path.startswith(prefix + '/'):
                return _serve(router.dispatch, req,
                              path[len(prefix):], style)(
                    environ, start_response)
        return wsgi.error_response(wsgi.HTTPError(404, 'Not Found'))(
            environ, start_response)

    def start(self):
        """Open every listener and write clouds.yaml, openrc and info."""
        self.main.start()
        for region in self.regions.values():
            region.listener.start()
            region.recover()
            region.replicator.start()
        self.keystone.base_url = self.identity_base
        seed.write_client_files(self)
        LOG.info('local cloud serving %s at %s', ', '.join(self.regions),
                 self.auth_url)

    def stop(self):
        """Close every listener and, unless told not to, stop guests."""
        for region in self.regions.values():
            region.listener.stop()
            region.replicator.stop()
        self.main.stop()
        if self.stop_guests:
            self.hypervisor.stop_all()
