"""Neutron v2.0 of one region: networks, subnets, ports, security groups
and their rules, floating IPs.

Every network of the local cloud is a loopback range, so that the address
Neutron gives a port is one a guest process can really bind to:

* the management network (``trove-mgmt``, owned by the service project)
  has the region's hypervisor range as its subnet, 127.11.0.0/16 for the
  first region and 127.12.0.0/16 for the second: a server plugged into it
  is bound to its management port's fixed IP;
* tenant networks have ranges of their own (the seeded ``private`` of the
  demo project 127.21+i.0.0/16, ``alt-private`` of alt_demo
  127.31+i.0.0/16, networks created through the API the next free
  127.N.0.0/16 from 127.50);
* the external network ``public`` (``router:external``) hands out floating
  IPs from 127.41+i.0.0/16.

Addresses are handed out from a random start in each subnet's pools and
skip any address something on this machine already listens on, because
several local clouds (a developer's, test runs) share the loopback range.

Security group rules are stored and shown as Neutron does; the emulator
does not filter traffic with them (see doc/networking.rst).
"""

import ipaddress
import random
import re
import urllib.parse
import uuid

from trove_mr_localcloud import hypervisor
from trove_mr_localcloud import keystone
from trove_mr_localcloud import neutron_security as security
from trove_mr_localcloud import wsgi

NeutronError = security.NeutronError
error_response = security.error_response

MGMT_NETWORK = 'trove-mgmt'
EXTERNAL_NETWORK = 'public'
# (network name, owning project, second octet of its /16 for region 0)
SEEDED_NETWORKS = ((MGMT_NETWORK, 'service', 11),
                   ('private', 'demo', 21),
                   ('alt-private', 'alt_demo', 31),
                   (EXTERNAL_NETWORK, 'admin', 41))
FIRST_CREATED_OCTET = 50

# collection -> (singular, NeutronError type of a missing one)
COLLECTIONS = {
    'networks': ('network', 'NetworkNotFound'),
    'subnets': ('subnet', 'SubnetNotFound'),
    'ports': ('port', 'PortNotFound'),
    'security-groups': ('security_group', 'SecurityGroupNotFound'),
    'security-group-rules': ('security_group_rule',
                             'SecurityGroupRuleNotFound'),
    'floatingips': ('floatingip', 'FloatingIPNotFound'),
}
_KEYS = {name: name.replace('-', '_') for name in COLLECTIONS}


def seeded_id(region_name, network_name):
    """The id of a seeded network (the same on every start)."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS,
                          '%s:net:%s' % (region_name, network_name)))


def _cidr_of(octet):
    return '127.%d.0.0/16' % octet


class Neutron:
    """The networking API of one region."""

    def __init__(self, region):
        self.region = region
        self.router = self._routes()
        self.security = security.SecurityGroups(self)
        with region.store.transaction():
            state = region.data.setdefault('neutron', {})
            for key in _KEYS.values():
                state.setdefault(key, {})

    @property
    def state(self):
        return self.region.data['neutron']

    def url(self, *parts):
        return '/'.join((self.region.endpoint('network'),) + parts)

    # -- WSGI -----------------------------------------------------------------

    def __call__(self, req, path):
        """Serve ``path`` (below /network/<region>) for ``req``."""
        if path in ('', '/'):
            return wsgi.json_response({'versions': [self._version_doc()]})
        if not path.startswith('/v2.0'):
            return error_response(NeutronError(404, 'HTTPNotFound',
                                               'Unknown API version.'))
        path = path[len('/v2.0'):]
        if path in ('', '/'):
            return wsgi.json_response({'resources': [
                {'name': single, 'collection': _KEYS[c],
                 'links': [{'rel': 'self', 'href': self.url('v2.0', c)}]}
                for c, (single, _) in COLLECTIONS.items()]})
        try:
            token = self.region.keystone.authorize(req)
        except wsgi.HTTPError as err:
            return wsgi.error_response(err)
        req.environ['localcloud.token'] = token
        path = re.sub(r'\.json$', '', path)
        return self._dispatch(req, path)

    def _version_doc(self):
        return {'id': 'v2.0', 'status': 'CURRENT',
                'links': [{'rel': 'self', 'href': self.url('v2.0') + '/'}]}

    def _routes(self):
        routes = []
        for coll in COLLECTIONS:
            routes.append(('GET', re.compile(r'^/%s/?$' % coll),
                           self._list, coll))
            routes.append(('POST', re.compile(r'^/%s/?$' % coll),
                           self._create, coll))
            item = re.compile(r'^/%s/(?P<rid>[^/]+)/?$' % coll)
            routes.append(('GET', item, self._show, coll))
            routes.append(('PUT', item, self._update, coll))
            routes.append(('DELETE', item, self._delete, coll))
        routes.append(('GET', re.compile(r'^/extensions/?$'),
                       lambda req, coll: wsgi.json_response(
                           {'extensions': [
                               {'alias': a, 'name': a, 'description': a,
                                'links': [], 'updated': ''}
                               for a in ('security-group', 'router',
                                         'external-net', 'quotas',
                                         'standard-attr-description')]}),
                       None))
        return routes

    def _dispatch(self, req, path):
        allowed = False
        try:
            for method, regex, handler, coll in self.router:
                match = regex.match(path)
                if not match:
                    continue
                allowed = True
                if method != req.method and not (
                        method == 'GET' and req.method == 'HEAD'):
                    continue
                return handler(req, coll, **match.groupdict())
            if allowed:
                raise NeutronError(405, 'HTTPMethodNotAllowed',
                                   'Method %s not allowed.' % req.method)
            raise NeutronError(404, 'HTTPNotFound',
                               'The resource could not be found.')
        except NeutronError as err:
            return error_response(err)
        except wsgi.HTTPError as err:
            return error_response(NeutronError(err.code, err.kind,
                                               err.message))

    # -- access ---------------------------------------------------------------

    @staticmethod
    def is_admin(token):
        return 'admin' in token.roles

    def _visible(self, token, coll, item):
        if self.is_admin(token) or item.get('project_id') == \
                token.project_id:
            return True
        if coll == 'networks':
            return item.get('shared') or item.get('router:external')
        if coll == 'subnets':
            network = self.state['networks'].get(item['network_id'], {})
            return network.get('shared') or network.get('router:external')
        return False

    def get(self, token, coll, rid):
        item = self.state[_KEYS[coll]].get(rid)
        if item is None or not self._visible(token, coll, item):
            single, kind = COLLECTIONS[coll]
            raise NeutronError(404, kind, '%s %s could not be found.' % (
                single.replace('_', ' ').capitalize()
                if single != 'floatingip' else 'Floating IP', rid))
        return item

    def project_of(self, token, spec):
        wanted = spec.get('project_id') or spec.get('tenant_id')
        if wanted and wanted != token.project_id and \
                not self.is_admin(token):
            raise NeutronError(403, 'HTTPForbidden',
                               'Only admins may create resources of '
                               'another project.')
        return wanted or token.project_id

    # -- generic handlers -----------------------------------------------------

    @staticmethod
    def _matches(item, query):
        for key, values in query.items():
            if key in ('fields', 'limit', 'marker', 'sort_key', 'sort_dir',
                       'page_reverse'):
                continue
            value = item.get(key)
            if isinstance(value, bool):
                value = str(value).lower()
                values = [v.lower() for v in values]
            if key == 'fixed_ips':
                # fixed_ips=ip_address=X or subnet_id=Y
                wanted = [urllib.parse.parse_qsl(v) for v in values]
                if not any(all(any(ip.get(k) == v for ip in item[key])
                               for k, v in pairs) for pairs in wanted):
                    return False
                continue
            if isinstance(value, list):
                if not any(v in value for v in values):
                    return False
                continue
            if value is None:
                value = ''
            if str(value) not in values:
                return False
        return True

    @staticmethod
    def _fields(item, fields):
        return {k: v for k, v in item.items() if k in fields} if fields \
            else dict(item)

    def _view(self, coll, item):
        view = dict(item)
        if coll == 'security-groups':
            view['security_group_rules'] = [
                dict(r) for r in self.state['security_group_rules'].values()
                if r['security_group_id'] == item['id']]
        return view

    def _handler(self, single):
        return self.security if single.startswith('security_group') \
            else self

    def _list(self, req, coll):
        token = req.environ['localcloud.token']
        if coll == 'security-groups':
            self.security.default_group(token.project_id)
        query = {}
        for key, value in req.GET.items():
            query.setdefault(key, []).append(value)
        fields = query.get('fields')
        items = [self._fields(self._view(coll, item), fields)
                 for item in self.state[_KEYS[coll]].values()
                 if self._visible(token, coll, item) and
                 self._matches(item, query)]
        return wsgi.json_response({_KEYS[coll]: items})

    def _show(self, req, coll, rid):
        token = req.environ['localcloud.token']
        item = self.get(token, coll, rid)
        fields = req.GET.getall('fields')
        return wsgi.json_response({COLLECTIONS[coll][0]: self._fields(
            self._view(coll, item), fields)})

    def _create(self, req, coll):
        token = req.environ['localcloud.token']
        single = COLLECTIONS[coll][0]
        body = wsgi.json_body(req)
        if _KEYS[coll] in body:
            specs = body[_KEYS[coll]]
            bulk = True
        else:
            specs = [body.get(single)]
            bulk = False
        created = []
        with self.region.store.transaction():
            for spec in specs:
                if not isinstance(spec, dict):
                    raise NeutronError(400, 'HTTPBadRequest',
                                       'Resource body required.')
                item = getattr(self._handler(single), '_create_' + single)(
                    token, spec)
                created.append(self._view(coll, item))
        if bulk:
            return wsgi.json_response({_KEYS[coll]: created}, 201)
        return wsgi.json_response({single: created[0]}, 201)

    def _update(self, req, coll, rid):
        token = req.environ['localcloud.token']
        single = COLLECTIONS[coll][0]
        spec = wsgi.json_body(req).get(single)
        if not isinstance(spec, dict):
            raise NeutronError(400, 'HTTPBadRequest',
                               'Resource body required.')
        with self.region.store.transaction():
            item = self.get(token, coll, rid)
            updater = getattr(self, '_update_' + single, None)
            if updater is not None:
                updater(token, item, spec)
            for key in ('name', 'description', 'admin_state_up'):
                if key in spec:
                    item[key] = spec[key]
            item['updated_at'] = security.now_iso()
            item['revision_number'] += 1
        return wsgi.json_response({single: self._view(coll, item)})

    def _delete(self, req, coll, rid):
        token = req.environ['localcloud.token']
        single = COLLECTIONS[coll][0]
        with self.region.store.transaction():
            item = self.get(token, coll, rid)
            getattr(self._handler(single), '_delete_' + single)(token, item)
        return wsgi.json_response(None, 204)

    # -- networks and subnets -------------------------------------------------

    def _create_network(self, token, spec):
        external = bool(spec.get('router:external'))
        if (external or spec.get('shared')) and not self.is_admin(token):
            raise NeutronError(403, 'PolicyNotAuthorized',
                               'Only admins may create shared or external '
                               'networks.')
        network = security.record(self.project_of(token, spec), spec)
        network.update({'admin_state_up': spec.get('admin_state_up', True),
                        'status': 'ACTIVE', 'subnets': [],
                        'shared': bool(spec.get('shared')),
                        'router:external': external, 'mtu': 65536,
                        'port_security_enabled': True,
                        'availability_zones': ['nova'],
                        'is_default': False,
                        'provider:network_type': 'local'})
        if spec.get('id'):
            network['id'] = spec['id']
        self.state['networks'][network['id']] = network
        return network

    def _delete_network(self, token, network):
        if any(p['network_id'] == network['id']
               for p in self.state['ports'].values()):
            raise NeutronError(409, 'NetworkInUse',
                               'Unable to complete operation on network %s. '
                               'There are one or more ports still in use on '
                               'the network.' % network['id'])
        for subnet_id in network['subnets']:
            self.state['subnets'].pop(subnet_id, None)
        self.state['networks'].pop(network['id'])

    def _free_octet(self):
        used = {ipaddress.ip_network(s['cidr']).network_address.packed[1]
                for s in self.state['subnets'].values()}
        for octet in range(FIRST_CREATED_OCTET, 98):
            if octet not in used:
                return octet
        raise NeutronError(409, 'IpAddressGenerationFailure',
                           'No loopback range is left for a subnet.')

    def _create_subnet(self, token, spec):
        network = self.get(token, 'networks', spec.get('network_id'))
        if network['project_id'] != token.project_id and \
                not self.is_admin(token):
            raise NeutronError(404, 'NetworkNotFound', 'Network %s could '
                               'not be found.' % network['id'])
        cidr = spec.get('cidr') or _cidr_of(self._free_octet())
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise NeutronError(400, 'HTTPBadRequest', "Invalid input for "
                               "cidr. Reason: '%s' is not a valid IP "
                               "subnet." % cidr) from None
        hosts = (net.network_address + 1, net.broadcast_address - 1)
        gateway = spec.get('gateway_ip', str(hosts[0]))
        pools = spec.get('allocation_pools') or [
            {'start': str(hosts[0] + (1 if gateway else 0)),
             'end': str(hosts[1])}]
        for pool in pools:
            for key in ('start', 'end'):
                if ipaddress.ip_address(pool[key]) not in net:
                    raise NeutronError(
                        400, 'OutOfBoundsAllocationPool',
                        'The allocation pool %s-%s spans beyond the subnet '
                        'cidr %s.' % (pool['start'], pool['end'], net))
        subnet = security.record(network['project_id'], spec)
        subnet.update({'network_id': network['id'], 'cidr': str(net),
                       'ip_version': net.version, 'gateway_ip': gateway,
                       'allocation_pools': pools,
                       'enable_dhcp': spec.get('enable_dhcp', True),
                       'dns_nameservers': [], 'host_routes': [],
                       'subnetpool_id': None,
                       'ipv6_ra_mode': None, 'ipv6_address_mode': None,
                       # Where the next address search starts.
                       'next_host': random.randrange(0, 1 << 16)})
        if spec.get('id'):
            subnet['id'] = spec['id']
        self.state['subnets'][subnet['id']] = subnet
        network['subnets'].append(subnet['id'])
        return subnet

    def _delete_subnet(self, token, subnet):
        for port in self.state['ports'].values():
            if any(ip['subnet_id'] == subnet['id'] for ip in
                   port['fixed_ips']):
                raise NeutronError(409, 'SubnetInUse',
                                   'Unable to complete operation on subnet '
                                   '%s: one or more ports have an IP '
                                   'allocation from this subnet.'
                                   % subnet['id'])
        network = self.state['networks'].get(subnet['network_id'])
        if network and subnet['id'] in network['subnets']:
            network['subnets'].remove(subnet['id'])
        self.state['subnets'].pop(subnet['id'])

    def _used_addresses(self):
        used = set()
        for port in self.state['ports'].values():
            used.update(ip['ip_address'] for ip in port['fixed_ips'])
        used.update(f['floating_ip_address']
                    for f in self.state['floatingips'].values())
        return used

    def allocate(self, subnet, wanted=None):
        """A free address of ``subnet`` (``wanted`` when given and free)."""
        used = self._used_addresses()
        if wanted:
            if wanted in used:
                raise NeutronError(409, 'IpAddressAlreadyAllocated',
                                   'IP address %s already allocated in '
                                   'subnet %s' % (wanted, subnet['id']))
            return wanted
        busy = used | hypervisor.listening_addresses()
        for pool in subnet['allocation_pools']:
            start = int(ipaddress.ip_address(pool['start']))
            size = int(ipaddress.ip_address(pool['end'])) - start + 1
            first = subnet['next_host'] % size
            for step in range(size):
                candidate = str(ipaddress.ip_address(
                    start + (first + step) % size))
                if candidate not in busy:
                    subnet['next_host'] = first + step + 1
                    return candidate
        raise NeutronError(409, 'IpAddressGenerationFailure',
                           'No more IP addresses available on network %s.'
                           % subnet['network_id'])

    # -- ports ----------------------------------------------------------------

    def _create_port(self, token, spec):
        network = self.get(token, 'networks', spec.get('network_id'))
        project_id = self.project_of(token, spec)
        if network['project_id'] != project_id and not network['shared'] \
                and not self.is_admin(token):
            raise NeutronError(404, 'NetworkNotFound', 'Network %s could '
                               'not be found.' % network['id'])
        port = security.record(project_id, spec)
        fixed_ips = []
        for wanted in spec.get('fixed_ips') or [{}]:
            subnet_id = wanted.get('subnet_id') or next(
                iter(network['subnets']), None)
            subnet = self.state['subnets'].get(subnet_id)
            if subnet is None or subnet['network_id'] != network['id']:
                raise NeutronError(400, 'InvalidInput', 'No subnet %s on '
                                   'network %s.' % (subnet_id, network['id']))
            fixed_ips.append({'subnet_id': subnet['id'],
                              'ip_address': self.allocate(
                                  subnet, wanted.get('ip_address'))})
        owner = spec.get('device_owner') or ''
        groups = spec.get('security_groups')
        if groups is None:
            groups = [] if owner.startswith('network:') else \
                [self.security.default_group(project_id)['id']]
        for gid in groups:
            self.get(token, 'security-groups', gid)
        seq = random.randrange(1 << 24)
        port.update({
            'network_id': network['id'], 'fixed_ips': fixed_ips,
            'mac_address': 'fa:16:3e:%02x:%02x:%02x' % (
                seq >> 16, (seq >> 8) & 255, seq & 255),
            'device_id': spec.get('device_id') or '', 'device_owner': owner,
            'security_groups': list(groups),
            'admin_state_up': spec.get('admin_state_up', True),
            'status': 'ACTIVE' if spec.get('device_id') else 'DOWN',
            'binding:vnic_type': 'normal', 'allowed_address_pairs': [],
            'port_security_enabled': True, 'extra_dhcp_opts': []})
        self.state['ports'][port['id']] = port
        return port

    def _update_port(self, token, port, spec):
        if 'security_groups' in spec:
            for gid in spec['security_groups'] or []:
                self.get(token, 'security-groups', gid)
            port['security_groups'] = list(spec['security_groups'] or [])
        for key in ('device_id', 'device_owner'):
            if key in spec:
                port[key] = spec[key] or ''
        port['status'] = 'ACTIVE' if port['device_id'] else 'DOWN'

    def _delete_port(self, token, port):
        for fip in self.state['floatingips'].values():
            if fip['port_id'] == port['id']:
                fip.update(port_id=None, fixed_ip_address=None,
                           status='DOWN')
        del self.state['ports'][port['id']]

    # -- floating IPs ---------------------------------------------------------

    def _associate(self, token, fip, port_id):
        if not port_id:
            fip.update(port_id=None, fixed_ip_address=None, status='DOWN')
            return
        port = self.get(token, 'ports', port_id)
        if not port['fixed_ips']:
            raise NeutronError(400, 'BadRequest', 'Port %s has no fixed IP.'
                               % port_id)
        fip.update(port_id=port['id'], status='ACTIVE',
                   fixed_ip_address=port['fixed_ips'][0]['ip_address'])

    def _create_floatingip(self, token, spec):
        network = self.get(token, 'networks',
                            spec.get('floating_network_id'))
        if not network['router:external']:
            raise NeutronError(400, 'BadRequest', 'Network %s is not a '
                               'valid external network.' % network['id'])
        if not network['subnets']:
            raise NeutronError(400, 'BadRequest', 'Network %s has no '
                               'subnet.' % network['id'])
        fip = security.record(self.project_of(token, spec), spec)
        fip.pop('name')
        subnet = self.state['subnets'][network['subnets'][0]]
        fip.update({'floating_network_id': network['id'],
                    'floating_ip_address': self.allocate(
                        subnet, spec.get('floating_ip_address')),
                    'router_id': None, 'port_details': None,
                    'dns_domain': '', 'dns_name': '', 'qos_policy_id': None,
                    'port_forwardings': []})
        self._associate(token, fip, spec.get('port_id'))
        self.state['floatingips'][fip['id']] = fip
        return fip

    def _update_floatingip(self, token, fip, spec):
        if 'port_id' in spec:
            self._associate(token, fip, spec['port_id'])

    def _delete_floatingip(self, token, fip):
        del self.state['floatingips'][fip['id']]

    # -- what Nova uses -------------------------------------------------------

    def network(self, net_id):
        return self.state['networks'].get(net_id)

    def port(self, port_id):
        return self.state['ports'].get(port_id)

    def network_by_name(self, name):
        for network in self.state['networks'].values():
            if network['name'] == name:
                return network
        return None

    def create_port(self, project_id, network_id, device_id):
        """A port Nova makes for a server of ``project_id`` booted on a
        network (Nova checked the project may use it)."""
        return self._create_port(_ServiceToken(project_id), {
            'network_id': network_id, 'device_id': device_id,
            'device_owner': 'compute:nova', 'project_id': project_id})

    def may_use(self, token, network):
        """Whether the token's project may boot a server on ``network``.
        """
        return self.is_admin(token) or network['shared'] or \
            network['project_id'] == token.project_id

    def plug(self, port, device_id):
        port.update(device_id=device_id, device_owner='compute:nova',
                    status='ACTIVE', updated_at=security.now_iso())

    def unplug(self, port_id, created_by_nova):
        port = self.state['ports'].get(port_id)
        if port is None:
            return
        if created_by_nova:
            self._delete_port(None, port)
        else:
            port.update(device_id='', device_owner='', status='DOWN',
                        updated_at=security.now_iso())

    def floating_ips_of(self, port_id):
        return [f['floating_ip_address']
                for f in self.state['floatingips'].values()
                if f['port_id'] == port_id]

    # -- seed -----------------------------------------------------------------

    def seed(self):
        """The region's management, tenant and external networks."""
        admin = _ServiceToken(keystone.stable_id('project', 'admin'))
        with self.region.store.transaction():
            for name, project, octet in SEEDED_NETWORKS:
                net_id = seeded_id(self.region.name, name)
                if net_id in self.state['networks']:
                    continue
                project_id = keystone.stable_id('project', project)
                network = self._create_network(admin, {
                    'id': net_id, 'name': name, 'project_id': project_id,
                    'router:external': name == EXTERNAL_NETWORK})
                cidr = _cidr_of(octet + self.region.index)
                self._create_subnet(admin, {
                    'id': security.stable_id(self.region.name, 'subnet', name),
                    'name': name + '-subnet', 'network_id': network['id'],
                    'cidr': cidr})


class _ServiceToken:
    """What the emulator itself acts as: admin, for one project."""

    roles = ('admin',)

    def __init__(self, project_id):
        self.project_id = project_id
