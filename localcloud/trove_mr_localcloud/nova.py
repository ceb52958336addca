"""Nova 2.1 of one region: flavors, servers, keypairs, volume attachments.

Servers are built by the region's hypervisor in a background thread, as
nova-compute does: the create call answers 202 with the server in BUILD and
the server turns ACTIVE once its guest process has started (ERROR with a
fault if it cannot start or a fault was injected).
"""

import datetime
import logging
import os
import re
import threading
import urllib.parse
import uuid

from trove_mr_localcloud import keypairs
from trove_mr_localcloud import microversion
from trove_mr_localcloud import wsgi

LOG = logging.getLogger(__name__)

# The network a server booted without networks is plugged into.
NEUTRON_MGMT = 'trove-mgmt'

MIN_VERSION = '2.1'
MAX_VERSION = '2.96'
_LEGACY = 'X-OpenStack-Nova-API-Version'
POWER_RUNNING, POWER_SHUTDOWN = 1, 4
# Nova's [api] max_limit: the most servers one list answer holds.
MAX_LIMIT = 1000


def now_iso():
    """Nova's timestamp format."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def _order(server):
    """Nova's default sort key: created_at, then the instance's id (an
    integer growing with each create; ``created_seq`` here)."""
    return server['created'], server['created_seq']


def _ref_id(ref):
    """An id from an id or a link (imageRef may be a URL)."""
    return str(ref).rstrip('/').rsplit('/', 1)[-1] if ref else ref


class Nova:
    """The compute API of one region."""

    def __init__(self, region):
        self.region = region
        self.router = self._routes()

    @property
    def data(self):
        return self.region.data

    def url(self, *parts):
        return '/'.join((self.region.endpoint('compute'),) + parts)

    # -- WSGI ---------------------------------------------------------------

    def __call__(self, req, path):
        """Serve ``path`` (below /compute/<region>) for ``req``."""
        if path in ('', '/'):
            return wsgi.json_response({'versions': [self._version_doc()]})
        if not path.startswith('/v2.1'):
            raise wsgi.HTTPError(404, 'Unknown API version.')
        path = path[len('/v2.1'):]
        if path in ('', '/'):
            return wsgi.json_response({'version': self._version_doc()})
        req.environ['localcloud.token'] = self.region.keystone.authorize(req)
        version = microversion.requested(req, 'compute', _LEGACY,
                                         MIN_VERSION, MAX_VERSION)
        req.environ['localcloud.version'] = version
        path = re.sub(r'^/[0-9a-f]{32}(?=/|$)', '', path)
        resp = self.router.dispatch(req, path)
        resp.headers.update(microversion.headers('compute', version, _LEGACY))
        return resp

    def _version_doc(self):
        return {'id': 'v2.1', 'status': 'CURRENT', 'version': MAX_VERSION,
                'min_version': MIN_VERSION, 'updated': '2013-07-23T11:33:21Z',
                'links': [{'rel': 'self', 'href': self.url('v2.1') + '/'}]}

    def _routes(self):
        r = wsgi.Router(style='nova')
        r.add('GET', r'/flavors', self._list_flavors)
        r.add('GET', r'/flavors/detail', self._list_flavors_detail)
        r.add('GET', r'/flavors/(?P<fid>[^/]+)', self._show_flavor)
        r.add('GET', r'/flavors/(?P<fid>[^/]+)/os-extra_specs',
              lambda req, fid: wsgi.json_response({'extra_specs': {}}))
        r.add('GET', r'/servers', self._list_servers)
        r.add('POST', r'/servers', self._create_server)
        r.add('GET', r'/servers/detail', self._list_servers_detail)
        r.add('GET', r'/servers/(?P<sid>[^/]+)', self._show_server)
        r.add('DELETE', r'/servers/(?P<sid>[^/]+)', self._delete_server)
        r.add('POST', r'/servers/(?P<sid>[^/]+)/action', self._action)
        r.add('GET', r'/servers/(?P<sid>[^/]+)/os-volume_attachments',
              self._list_attachments)
        r.add('POST', r'/servers/(?P<sid>[^/]+)/os-volume_attachments',
              self._attach)
        r.add('GET', r'/servers/(?P<sid>[^/]+)/os-volume_attachments/'
                     r'(?P<vid>[^/]+)', self._show_attachment)
        r.add('DELETE', r'/servers/(?P<sid>[^/]+)/os-volume_attachments/'
                        r'(?P<vid>[^/]+)', self._detach)
        keypairs.add_routes(r, self)
        r.add('GET', r'/os-availability-zone', lambda req: wsgi.json_response(
            {'availabilityZoneInfo': [{'zoneName': 'nova', 'hosts': None,
                                       'zoneState': {'available': True}}]}))
        r.add('GET', r'/limits', self._limits)
        r.add('GET', r'/os-services', self._services)
        return r

    # -- flavors -------------------------------------------------------------

    def _flavor(self, fid):
        flavor = self.data['flavors'].get(fid)
        if flavor is None:
            for candidate in self.data['flavors'].values():
                if candidate['name'] == fid:
                    return candidate
            raise wsgi.HTTPError(404, 'Flavor %s could not be found.' % fid)
        return flavor

    def _flavor_links(self, fid):
        return [{'rel': 'self', 'href': self.url('v2.1', 'flavors', fid)},
                {'rel': 'bookmark', 'href': self.url('flavors', fid)}]

    def flavor_view(self, flavor, version, detail=True):
        view = {'id': flavor['id'], 'name': flavor['name'],
                'links': self._flavor_links(flavor['id'])}
        if version >= (2, 55):
            view['description'] = None
        if detail:
            view.update({'ram': flavor['ram'], 'vcpus': flavor['vcpus'],
                         'disk': flavor['disk'], 'swap': '',
                         'OS-FLV-EXT-DATA:ephemeral': 0,
                         'OS-FLV-DISABLED:disabled': False,
                         'rxtx_factor': 1.0,
                         'os-flavor-access:is_public': True})
            if version >= (2, 61):
                view['extra_specs'] = {}
        return view

    def _sorted_flavors(self):
        return sorted(self.data['flavors'].values(),
                      key=lambda f: (f['ram'], f['id']))

    def _list_flavors(self, req):
        version = req.environ['localcloud.version']
        return wsgi.json_response({'flavors': [
            self.flavor_view(f, version, detail=False)
            for f in self._sorted_flavors()]})

    def _list_flavors_detail(self, req):
        version = req.environ['localcloud.version']
        return wsgi.json_response({'flavors': [
            self.flavor_view(f, version) for f in self._sorted_flavors()]})

    def _show_flavor(self, req, fid):
        return wsgi.json_response({'flavor': self.flavor_view(
            self._flavor(fid), req.environ['localcloud.version'])})

    # -- servers: views ------------------------------------------------------

    def _refresh_power(self, server):
        """Notice guests that died while the server was ACTIVE."""
        if server['status'] == 'ACTIVE' and \
                not self.region.hypervisor.is_running(server):
            with self.region.store.transaction():
                server['status'] = 'SHUTOFF'
                server['updated'] = now_iso()

    def server_view(self, server, version, token):
        self._refresh_power(server)
        addresses = {}
        if server.get('ports'):
            addresses = self._port_addresses(server)
        elif server.get('address'):
            for network in server['networks']:
                addresses[network] = [{
                    'version': 4, 'addr': server['address'],
                    'OS-EXT-IPS:type': 'fixed',
                    'OS-EXT-IPS-MAC:mac_addr': server['mac']}]
        flavor = self.data['flavors'].get(server['flavor_id'])
        if version >= (2, 47) and flavor:
            flavor_view = {'original_name': flavor['name'],
                           'ram': flavor['ram'], 'vcpus': flavor['vcpus'],
                           'disk': flavor['disk'], 'ephemeral': 0,
                           'swap': 0, 'extra_specs': {}}
        else:
            flavor_view = {'id': server['flavor_id'],
                           'links': self._flavor_links(server['flavor_id'])}
        status = server['status']
        view = {
            'id': server['id'], 'name': server['name'], 'status': status,
            'tenant_id': server['project_id'], 'user_id': server['user_id'],
            'metadata': server['metadata'], 'hostId': server['host_id'],
            'image': {'id': server['image_id'], 'links': [{
                'rel': 'bookmark',
                'href': self.url('images', server['image_id'])}]},
            'flavor': flavor_view, 'created': server['created'],
            'updated': server['updated'], 'addresses': addresses,
            'accessIPv4': '', 'accessIPv6': '',
            'links': [{'rel': 'self',
                       'href': self.url('v2.1', 'servers', server['id'])},
                      {'rel': 'bookmark',
                       'href': self.url('servers', server['id'])}],
            'key_name': server['key_name'],
            'config_drive': 'True' if server['config_drive'] else '',
            'progress': 100 if status == 'ACTIVE' else 0,
            'OS-DCF:diskConfig': 'MANUAL',
            'OS-EXT-AZ:availability_zone': server['availability_zone'],
            'OS-EXT-STS:vm_state': {
                'ACTIVE': 'active', 'BUILD': 'building', 'ERROR': 'error',
                'SHUTOFF': 'stopped', 'REBOOT': 'active',
                'RESIZE': 'active', 'VERIFY_RESIZE': 'resized',
                'REVERT_RESIZE': 'resized', 'REBUILD': 'active'}[status],
            'OS-EXT-STS:task_state': {
                'BUILD': 'spawning', 'REBOOT': 'rebooting',
                'RESIZE': 'resize_migrating',
                'REVERT_RESIZE': 'resize_reverting',
                'REBUILD': 'rebuild_spawning'}.get(status),
            'OS-EXT-STS:power_state': POWER_RUNNING
            if status in ('ACTIVE', 'REBOOT', 'VERIFY_RESIZE')
            else POWER_SHUTDOWN,
            'OS-SRV-USG:launched_at': server.get('launched_at'),
            'OS-SRV-USG:terminated_at': None,
            'security_groups': [{'name': name}
                                for name in server['security_groups']],
            'os-extended-volumes:volumes_attached': [
                {'id': vid, 'delete_on_termination': False}
                for vid in server['volumes']],
        }
        if version >= (2, 9):
            view['locked'] = False
        if version >= (2, 19):
            view['description'] = None
        if version >= (2, 26):
            view['tags'] = []
        if 'admin' in token.roles:
            host = server.get('host') or self.region.host_name
            view.update({'OS-EXT-SRV-ATTR:host': host,
                         'OS-EXT-SRV-ATTR:hypervisor_hostname': host,
                         'OS-EXT-SRV-ATTR:instance_name':
                             'instance-' + server['id'][:8]})
        if server.get('fault'):
            view['fault'] = server['fault']
        return view

    def _visible(self, token, req=None):
        all_tenants = req is not None and 'admin' in token.roles and \
            req.GET.get('all_tenants') not in (None, '0', 'false', 'False')
        return [s for s in sorted(self.data['servers'].values(),
                                  key=_order, reverse=True)
                if all_tenants or s['project_id'] == token.project_id]

    def _filtered(self, req, token):
        servers = self._visible(token, req)
        name = req.GET.get('name')
        status = req.GET.get('status')
        if name:
            servers = [s for s in servers if re.search(name, s['name'])]
        if status:
            servers = [s for s in servers if s['status'] == status.upper()]
        return servers

    def get_server(self, token, sid):
        """The server record visible to the token, else 404."""
        server = self.data['servers'].get(sid)
        if server is None or (server['project_id'] != token.project_id
                              and 'admin' not in token.roles):
            raise wsgi.HTTPError(404, 'Instance %s could not be found.' % sid)
        return server

    def _page(self, req, servers):
        """One page of ``servers`` as Nova pages: ``limit`` (at most
        MAX_LIMIT) after the ``marker`` server, and the next page's link
        while more remain."""
        limit = MAX_LIMIT
        if 'limit' in req.GET:
            text = req.GET.getall('limit')[-1]
            if not re.fullmatch(r'[0-9]+', text):
                raise wsgi.HTTPError(
                    400, "Invalid input for query parameters limit. Value: "
                         "%s. '%s' does not match '^[0-9]*$'" % (text, text))
            limit = min(int(text), MAX_LIMIT)
        marker = req.GET.get('marker')
        if marker:
            # As Nova, any server is a marker (not only a listed one): the
            # page starts after its place in the order.
            found = self.data['servers'].get(marker)
            if found is None:
                raise wsgi.HTTPError(400, 'marker [%s] not found' % marker)
            servers = [s for s in servers if _order(s) < _order(found)]
        page = servers[:limit]
        links = []
        if page and len(servers) > len(page):
            query = [(k, v) for k, v in req.GET.items()
                     if k not in ('limit', 'marker')]
            query += [('limit', str(limit)), ('marker', page[-1]['id'])]
            links.append({'rel': 'next', 'href': '%s?%s' % (
                req.path_url, urllib.parse.urlencode(query))})
        return page, links

    def _list_servers(self, req):
        token = req.environ['localcloud.token']
        page, links = self._page(req, self._filtered(req, token))
        body = {'servers': [
            {'id': s['id'], 'name': s['name'],
             'links': [{'rel': 'self',
                        'href': self.url('v2.1', 'servers', s['id'])}]}
            for s in page]}
        if links:
            body['servers_links'] = links
        return wsgi.json_response(body)

    def _list_servers_detail(self, req):
        token = req.environ['localcloud.token']
        version = req.environ['localcloud.version']
        page, links = self._page(req, self._filtered(req, token))
        body = {'servers': [self.server_view(s, version, token)
                            for s in page]}
        if links:
            body['servers_links'] = links
        return wsgi.json_response(body)

    def _show_server(self, req, sid):
        token = req.environ['localcloud.token']
        return wsgi.json_response({'server': self.server_view(
            self.get_server(token, sid),
            req.environ['localcloud.version'], token)})

    # -- servers: create ------------------------------------------------------

    def _networks(self, token, networks):
        """What to plug the server into: [('port', id) or ('net', id)].

        No networks (or ``auto``) is the region's management network, the
        one network of the local cloud every project's server may use;
        ``none`` is none (the server still gets a loopback address).
        """
        neutron = self.region.neutron
        if networks in (None, 'auto'):
            mgmt = neutron.network_by_name(NEUTRON_MGMT)
            return [('net', mgmt['id'])] if mgmt else []
        if networks == 'none':
            return []
        if not isinstance(networks, list):
            raise wsgi.HTTPError(400, 'Invalid networks: %r.' % networks)
        nics = []
        for nic in networks:
            if not isinstance(nic, dict):
                raise wsgi.HTTPError(400, 'Invalid networks: %r.' % nic)
            if nic.get('port'):
                port = neutron.port(nic['port'])
                if port is None or not (
                        'admin' in token.roles or
                        port['project_id'] == token.project_id):
                    raise wsgi.HTTPError(400, 'Port id %s could not be '
                                              'found.' % nic['port'])
                if port['device_id']:
                    raise wsgi.HTTPError(409, 'Port %s is still in use.'
                                         % port['id'])
                nics.append(('port', port['id']))
            elif nic.get('uuid'):
                network = neutron.network(nic['uuid'])
                if network is None or not neutron.may_use(token, network):
                    raise wsgi.HTTPError(400, 'Network %s could not be '
                                              'found.' % nic['uuid'])
                nics.append(('net', network['id']))
            else:
                raise wsgi.HTTPError(400, 'A network needs a uuid or port.')
        return nics

    def _plug(self, server, nics):
        """Ports of the server (made on the networks asked for); the
        first port's fixed IP is the address its guest is bound to."""
        neutron = self.region.neutron
        for kind, ref in nics:
            if kind == 'port':
                port = neutron.port(ref)
                neutron.plug(port, server['id'])
            else:
                port = neutron.create_port(server['project_id'], ref,
                                           server['id'])
                server['created_ports'].append(port['id'])
            server['ports'].append(port['id'])
            server['networks'].append(
                neutron.network(port['network_id'])['name'])
            if server['address'] is None and port['fixed_ips']:
                server['address'] = port['fixed_ips'][0]['ip_address']
                server['mac'] = port['mac_address']

    def _port_addresses(self, server):
        neutron = self.region.neutron
        addresses = {}
        for port_id in server['ports']:
            port = neutron.port(port_id)
            if port is None:
                continue
            name = neutron.network(port['network_id'])['name']
            entries = addresses.setdefault(name, [])
            for kind, addr in [('fixed', ip['ip_address'])
                               for ip in port['fixed_ips']] + \
                    [('floating', a)
                     for a in neutron.floating_ips_of(port_id)]:
                entries.append({'version': 4, 'addr': addr,
                                'OS-EXT-IPS:type': kind,
                                'OS-EXT-IPS-MAC:mac_addr':
                                    port['mac_address']})
        return addresses

    def _boot_volumes(self, bdms):
        volume_ids = []
        for bdm in bdms or []:
            if bdm.get('source_type') != 'volume':
                continue
            vid = bdm.get('uuid')
            volume = self.data['volumes'].get(vid)
            if volume is None:
                raise wsgi.HTTPError(400, 'Block Device Mapping is Invalid: '
                                          'failed to get volume %s.' % vid)
            if volume['status'] != 'available':
                raise wsgi.HTTPError(400, 'Invalid volume: volume %s status '
                                          'must be available.' % vid)
            volume_ids.append(vid)
        return volume_ids

    def _create_server(self, req):
        token = req.environ['localcloud.token']
        body = wsgi.json_body(req).get('server')
        if not isinstance(body, dict) or not body.get('name'):
            raise wsgi.HTTPError(400, "Invalid input: 'name' is required.")
        if req.environ['localcloud.version'] >= (2, 37) and \
                'networks' not in body:
            raise wsgi.HTTPError(400, "Invalid input: 'networks' is a "
                                      "required property.")
        image_id = _ref_id(body.get('imageRef'))
        if image_id and image_id not in self.data['images']:
            raise wsgi.HTTPError(400, 'Image %s could not be found.'
                                 % image_id)
        flavor = self._flavor(_ref_id(body.get('flavorRef')))
        nics = self._networks(token, body.get('networks'))
        key_name = body.get('key_name')
        if key_name and keypairs.find(self, token, key_name) is None:
            raise wsgi.HTTPError(400, 'Invalid key_name provided.')
        sid = str(uuid.uuid4())
        stamp = now_iso()
        with self.region.store.transaction():
            volume_ids = self._boot_volumes(
                body.get('block_device_mapping_v2'))
            self.data['next_host'] += 1
            seq = self.data['next_host']
            server = {
                'id': sid, 'name': body['name'], 'status': 'BUILD',
                'project_id': token.project_id, 'user_id': token.user_id,
                'metadata': body.get('metadata') or {},
                'host_id': uuid.uuid5(uuid.NAMESPACE_DNS,
                                      token.project_id).hex * 2,
                'image_id': image_id or '', 'flavor_id': flavor['id'],
                'created': stamp, 'updated': stamp, 'created_seq': seq,
                'networks': [], 'ports': [], 'created_ports': [],
                'key_name': key_name,
                'config_drive': bool(body.get('config_drive')),
                'availability_zone': body.get('availability_zone') or 'nova',
                'security_groups': [g.get('name') for g in
                                    body.get('security_groups') or []
                                    ] or ['default'],
                'volumes': [], 'address': None, 'pid': None,
                'mac': 'fa:16:3e:%02x:%02x:%02x' % (
                    (seq >> 16) & 255, (seq >> 8) & 255, seq & 255),
                'fault': None}
            self._plug(server, nics)
            self.data['servers'][sid] = server
            fail = self.region.take_fault('fail_next_servers')
            for vid in volume_ids:
                self.region.cinder.attach(vid, sid)
        user_text = self.region.hypervisor_user_text(body.get('user_data'))
        threading.Thread(target=self._spawn, args=(server, user_text, fail),
                         name='spawn-' + sid[:8], daemon=True).start()
        return wsgi.json_response({'server': {
            'id': sid, 'OS-DCF:diskConfig': 'MANUAL',
            'security_groups': [{'name': n}
                                for n in server['security_groups']],
            'links': [{'rel': 'self', 'href': self.url('v2.1', 'servers',
                                                        sid)}],
            'adminPass': uuid.uuid4().hex[:12]}}, 202)

    def _fail(self, server, message, code=500):
        with self.region.store.transaction():
            server['status'] = 'ERROR'
            server['updated'] = now_iso()
            server['fault'] = {'code': code, 'message': message,
                               'created': now_iso()}

    def _spawn(self, server, user_text, injected_failure):
        """Build the server: address, root, cloud-init files, guest."""
        if injected_failure:
            self._fail(server, 'Injected fault: server creation in %s '
                               'failed.' % self.region.name)
            return
        try:
            with self.region.store.transaction():
                if not server.get('address'):
                    server['address'] = self.region.allocate_address()
            self.region.hypervisor.prepare(server, user_text)
            self._boot(server)
        except Exception as exc:  # the fault must be reported, not raised
            LOG.exception('building server %s failed', server['id'])
            self._fail(server, 'Build of instance %s aborted: %s'
                       % (server['id'], exc))

    def _boot(self, server, status='ACTIVE', fault=None):
        """Expose volumes, start the guest and mark the server ACTIVE
        (or ``status``), with ``fault`` (None: no fault) in the same
        change. The guest is told its flavor's RAM as a real server's
        kernel would see it."""
        hv = self.region.hypervisor
        volumes = self.region.cinder.exposed(server)
        hv.expose_volumes(server['id'], volumes)
        flavor = self.data['flavors'].get(server['flavor_id']) or {}
        pid = hv.start(server, volumes, memory_mb=flavor.get('ram'),
                       image_version=self.image_version(server))
        with self.region.store.transaction():
            server.update(pid=pid, status=status, updated=now_iso(),
                          fault=fault)
            server.setdefault('launched_at', now_iso())

    # -- servers: delete and actions ------------------------------------------

    def _delete_server(self, req, sid):
        server = self.get_server(req.environ['localcloud.token'], sid)
        self.delete(server)
        return wsgi.json_response(None, 204)

    def delete(self, server):
        """Stop the guest, detach volumes and forget the server."""
        self.region.hypervisor.stop(server)
        with self.region.store.transaction():
            for vid in list(server['volumes']):
                self.region.cinder.detach(vid, server['id'])
            for port_id in server.get('ports') or []:
                self.region.neutron.unplug(
                    port_id, port_id in server.get('created_ports', ()))
            self.data['servers'].pop(server['id'], None)
        self.region.hypervisor.remove(server['id'])

    def _restart(self, server):
        self.region.hypervisor.stop(server)
        try:
            self._boot(server)
        except OSError as exc:
            self._fail(server, 'Failed to start the guest: %s' % exc)

    def _action(self, req, sid):
        token = req.environ['localcloud.token']
        server = self.get_server(token, sid)
        body = wsgi.json_body(req)
        if 'reboot' in body or 'os-start' in body:
            if server['status'] == 'BUILD':
                raise wsgi.HTTPError(409, 'Cannot reboot a server in BUILD.')
            with self.region.store.transaction():
                server['status'] = 'REBOOT'
            self._restart(server)
            return wsgi.json_response(None, 202)
        if 'rebuild' in body:
            return self._rebuild(req, server, body['rebuild'])
        if 'os-stop' in body:
            self.region.hypervisor.stop(server)
            with self.region.store.transaction():
                server.update(status='SHUTOFF', updated=now_iso())
            return wsgi.json_response(None, 202)
        if 'resize' in body:
            return self._resize(server, body['resize'] or {})
        if 'migrate' in body:
            return self._cold_migrate(req, server, body['migrate'] or {})
        if 'confirmResize' in body:
            return self._confirm_resize(server)
        if 'revertResize' in body:
            return self._revert_resize(server)
        if 'os-getConsoleOutput' in body:
            path = os.path.join(self.region.hypervisor.server_dir(sid),
                                'console.log')
            output = ''
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    output = f.read()
            return wsgi.json_response({'output': output})
        raise wsgi.HTTPError(400, 'Unsupported server action: %s.'
                             % ', '.join(body))

    # -- servers: resize ----------------------------------------------------

    def _resize(self, server, spec):
        """Nova's cold resize: the server stops, boots again with the new
        flavor and waits in VERIFY_RESIZE for a confirm or a revert."""
        flavor_ref = _ref_id(spec.get('flavorRef'))
        if not flavor_ref:
            raise wsgi.HTTPError(400, "Invalid input: 'flavorRef' is a "
                                      "required property.")
        flavor = self._flavor(flavor_ref)
        with self.region.store.transaction():
            if server['status'] not in ('ACTIVE', 'SHUTOFF'):
                raise wsgi.HTTPError(
                    409, "Cannot 'resize' instance %s while it is in "
                         "vm_state %s" % (server['id'],
                                          server['status'].lower()))
            if flavor['id'] == server['flavor_id']:
                raise wsgi.HTTPError(400, 'When resizing, instances must '
                                          'change flavor!')
            if flavor['disk'] and flavor['disk'] < self.data['flavors'].get(
                    server['flavor_id'], {}).get('disk', 0):
                raise wsgi.HTTPError(400, 'Resize error: Unable to resize '
                                          'disk down.')
            server.update(status='RESIZE', old_flavor_id=server['flavor_id'],
                          updated=now_iso())
            fail = self.region.take_fault('fail_next_resizes')
        threading.Thread(target=self._migrate, name='resize-' +
                         server['id'][:8], daemon=True,
                         args=(server, flavor['id'], 'VERIFY_RESIZE',
                               fail)).start()
        return wsgi.json_response(None, 202)

    def _cold_migrate(self, req, server, spec):
        """Nova's cold migration: the server stops, boots again on
        another compute host (the one named, from microversion 2.56) and
        waits in VERIFY_RESIZE for a confirm or a revert."""
        if 'admin' not in req.environ['localcloud.token'].roles:
            raise wsgi.HTTPError(403, 'Policy does not allow '
                                      'os_compute_api:os-migrate-server:'
                                      'migrate to be performed.')
        wanted = spec.get('host')
        if wanted is not None and req.environ['localcloud.version'] < (
                2, 56):
            raise wsgi.HTTPError(400, "Invalid input: additional "
                                      "properties are not allowed ('host' "
                                      "was unexpected).")
        with self.region.store.transaction():
            if server['status'] not in ('ACTIVE', 'SHUTOFF'):
                raise wsgi.HTTPError(
                    409, "Cannot 'migrate' instance %s while it is in "
                         "vm_state %s" % (server['id'],
                                          server['status'].lower()))
            current = server.get('host') or self.region.host_name
            if wanted is not None and wanted not in self.region.hosts:
                raise wsgi.HTTPError(400, 'Compute host %s could not be '
                                          'found.' % wanted)
            if wanted == current:
                raise wsgi.HTTPError(400, 'The target host can\'t be the '
                                          'same one.')
            target = wanted or next(h for h in self.region.hosts
                                    if h != current)
            server.update(status='RESIZE', old_flavor_id=server['flavor_id'],
                          old_host=current, host=target, updated=now_iso())
        threading.Thread(target=self._migrate, name='migrate-' +
                         server['id'][:8], daemon=True,
                         args=(server, server['flavor_id'],
                               'VERIFY_RESIZE')).start()
        return wsgi.json_response(None, 202)

    def _migrate(self, server, flavor_id, status, injected_failure=False):
        """Stop the server and boot it again with ``flavor_id``."""
        self.region.hypervisor.stop(server)
        fault = None
        if injected_failure:
            # As Nova after a failed migration: back on the old flavor,
            # ACTIVE, with the fault recorded (seen with the status: a
            # reader of ACTIVE finds the fault).
            with self.region.store.transaction():
                server['flavor_id'] = server.pop('old_flavor_id',
                                                 server['flavor_id'])
            status = 'ACTIVE'
            fault = {'code': 500, 'created': now_iso(),
                     'message': 'Injected fault: resize in %s failed.'
                                % self.region.name}
        else:
            with self.region.store.transaction():
                server['flavor_id'] = flavor_id
        try:
            self._boot(server, status=status, fault=fault)
        except OSError as exc:
            self._fail(server, 'Failed to start the guest: %s' % exc)

    def _confirm_resize(self, server):
        with self.region.store.transaction():
            if server['status'] != 'VERIFY_RESIZE':
                raise wsgi.HTTPError(
                    409, "Cannot 'confirmResize' instance %s while it is "
                         "in vm_state %s" % (server['id'],
                                             server['status'].lower()))
            server.pop('old_flavor_id', None)
            server.pop('old_host', None)
            server.update(status='ACTIVE', updated=now_iso())
        return wsgi.json_response(None, 204)

    def _revert_resize(self, server):
        with self.region.store.transaction():
            if server['status'] != 'VERIFY_RESIZE':
                raise wsgi.HTTPError(
                    409, "Cannot 'revertResize' instance %s while it is "
                         "in vm_state %s" % (server['id'],
                                             server['status'].lower()))
            old = server.pop('old_flavor_id', server['flavor_id'])
            server['host'] = server.pop('old_host', server.get('host'))
            server.update(status='REVERT_RESIZE', updated=now_iso())
        threading.Thread(target=self._migrate, name='revert-' +
                         server['id'][:8], daemon=True,
                         args=(server, old, 'ACTIVE')).start()
        return wsgi.json_response(None, 202)

    # -- volume attachments ---------------------------------------------------

    def _attachment_view(self, server, vid):
        volume = self.data['volumes'].get(vid, {})
        return {'id': vid, 'volumeId': vid, 'serverId': server['id'],
                'device': volume.get('device')}

    def _list_attachments(self, req, sid):
        server = self.get_server(req.environ['localcloud.token'], sid)
        return wsgi.json_response({'volumeAttachments': [
            self._attachment_view(server, vid) for vid in server['volumes']]})

    def _show_attachment(self, req, sid, vid):
        server = self.get_server(req.environ['localcloud.token'], sid)
        if vid not in server['volumes']:
            raise wsgi.HTTPError(404, 'Volume %s is not attached to %s.'
                                 % (vid, sid))
        return wsgi.json_response(
            {'volumeAttachment': self._attachment_view(server, vid)})

    def _attach(self, req, sid):
        server = self.get_server(req.environ['localcloud.token'], sid)
        spec = wsgi.json_body(req).get('volumeAttachment') or {}
        vid = spec.get('volumeId')
        with self.region.store.transaction():
            volume = self.data['volumes'].get(vid)
            if volume is None:
                raise wsgi.HTTPError(404, 'Volume %s could not be found.'
                                     % vid)
            if volume['status'] != 'available':
                raise wsgi.HTTPError(400, 'Invalid volume: volume %s status '
                                          'must be available.' % vid)
            self.region.cinder.attach(vid, sid, spec.get('device'))
        self._refresh_exposed(server)
        return wsgi.json_response(
            {'volumeAttachment': self._attachment_view(server, vid)})

    def _detach(self, req, sid, vid):
        server = self.get_server(req.environ['localcloud.token'], sid)
        if vid not in server['volumes']:
            raise wsgi.HTTPError(404, 'Volume %s is not attached to %s.'
                                 % (vid, sid))
        with self.region.store.transaction():
            self.region.cinder.detach(vid, sid)
        self._refresh_exposed(server)
        return wsgi.json_response(None, 202)

    def _refresh_exposed(self, server):
        if os.path.isdir(self.region.hypervisor.root_of(server['id'])):
            self.region.hypervisor.expose_volumes(
                server['id'], self.region.cinder.exposed(server))

    def _services(self, req):
        """The region's compute services, one a host (admin only), with
        Nova's ``binary`` and ``host`` filters."""
        if 'admin' not in req.environ['localcloud.token'].roles:
            raise wsgi.HTTPError(403, 'Policy does not allow '
                                      'os_compute_api:os-services:list to '
                                      'be performed.')
        services = [{'id': index + 1, 'binary': 'nova-compute',
                     'host': host, 'zone': 'nova', 'status': 'enabled',
                     'state': 'up', 'updated_at': now_iso(),
                     'disabled_reason': None, 'forced_down': False}
                    for index, host in enumerate(self.region.hosts)]
        for key in ('binary', 'host'):
            if req.GET.get(key):
                services = [s for s in services if s[key] == req.GET[key]]
        return wsgi.json_response({'services': services})

    def _limits(self, req):
        return wsgi.json_response({'limits': {'rate': [], 'absolute': {
            'maxTotalInstances': 100, 'maxTotalCores': 200,
            'maxTotalRAMSize': 512000, 'maxTotalKeypairs': 100,
            'totalInstancesUsed': len(self._visible(
                req.environ['localcloud.token']))}}})

    # -- rebuild ----------------------------------------------------------

    def image_version(self, server):
        """What the server's image runs (its version property), or None."""
        image = self.data['images'].get(server.get('image_id') or '')
        return ((image or {}).get('properties') or {}).get(
            'trove_mr_datastore_version')

    def _rebuild(self, req, server, spec):
        """``{"rebuild": {"imageRef", "user_data"?}}``: as Nova, the same
        server (id, address, attached volumes) boots again from a new
        root disk made from the image; user data (since 2.57) replaces
        the server's, else the server keeps what it had."""
        version = req.environ['localcloud.version']
        if not isinstance(spec, dict) or not spec.get('imageRef'):
            raise wsgi.HTTPError(400, "Invalid input for field/attribute "
                                      "rebuild: 'imageRef' is a required "
                                      "property.")
        if 'user_data' in spec and version < (2, 57):
            raise wsgi.HTTPError(400, "Invalid input for field/attribute "
                                      "rebuild. Additional properties are "
                                      "not allowed ('user_data' was "
                                      "unexpected)")
        image_id = _ref_id(spec['imageRef'])
        if image_id not in self.data['images']:
            raise wsgi.HTTPError(400, 'Image %s could not be found.'
                                 % image_id)
        with self.region.store.transaction():
            if server['status'] not in ('ACTIVE', 'SHUTOFF', 'ERROR'):
                raise wsgi.HTTPError(
                    409, "Cannot 'rebuild' instance %s while it is in "
                         "vm_state %s" % (server['id'], server['status']))
            server.update(status='REBUILD', image_id=image_id,
                          updated=now_iso(), fault=None)
        if 'user_data' in spec:
            user_text = self.region.hypervisor_user_text(spec['user_data'])
        else:
            user_text = self.region.hypervisor.saved_user_text(server['id'])
        threading.Thread(target=self._respawn, args=(server, user_text),
                         name='rebuild-' + server['id'][:8],
                         daemon=True).start()
        token = req.environ['localcloud.token']
        view = self.server_view(server, version, token)
        view['adminPass'] = uuid.uuid4().hex[:12]
        return wsgi.json_response({'server': view}, 202)

    def _respawn(self, server, user_text):
        """Stop the guest, replace the root disk, boot the guest again."""
        hv = self.region.hypervisor
        try:
            hv.stop(server)
            hv.wipe_root(server['id'])
            hv.prepare(server, user_text)
            self._boot(server)
        except Exception as exc:  # the fault must be reported, not raised
            LOG.exception('rebuilding server %s failed', server['id'])
            self._fail(server, 'Rebuild of instance %s failed: %s'
                       % (server['id'], exc))
