"""An in-memory stand-in for openstacksdk's network proxy (one region).

Only what trove-mr calls, with Neutron's answers: NotFound and Conflict
exceptions of openstacksdk, filters on listed attributes.
"""

import ipaddress
import itertools
import uuid

from openstack import exceptions as sdk_exc


class Resource:
    def __init__(self, **fields):
        self.__dict__.update(fields)


_hosts = itertools.count(10)


class FakeNeutron:
    def __init__(self):
        self.networks_ = {}
        self.subnets_ = {}
        self.ports_ = {}
        self.groups_ = {}
        self.rules_ = {}
        self.ips_ = {}
        self.calls = []

    # -- helpers for tests ------------------------------------------------
    def add_network(self, name, project_id, cidr, external=False,
                    shared=False):
        net = Resource(id=str(uuid.uuid4()), name=name,
                       project_id=project_id, is_router_external=external,
                       is_shared=shared, subnet_ids=[])
        subnet = Resource(id=str(uuid.uuid4()), network_id=net.id,
                          cidr=cidr)
        net.subnet_ids.append(subnet.id)
        self.networks_[net.id] = net
        self.subnets_[subnet.id] = subnet
        return net

    def _address(self, network_id):
        net = self.networks_[network_id]
        cidr = ipaddress.ip_network(self.subnets_[net.subnet_ids[0]].cidr)
        return net.subnet_ids[0], str(cidr.network_address + next(_hosts))

    @staticmethod
    def _match(item, filters):
        for key, value in filters.items():
            have = getattr(item, key, None)
            if isinstance(value, list):
                if not set(value) & set(have or []):
                    return False
            elif have != value:
                return False
        return True

    @staticmethod
    def _get(table, ref, kind):
        item = table.get(getattr(ref, 'id', ref))
        if item is None:
            raise sdk_exc.NotFoundException('%s %s not found' % (kind, ref))
        return item

    # -- networks ---------------------------------------------------------
    def get_network(self, ref):
        return self._get(self.networks_, ref, 'network')

    def find_network(self, ref, ignore_missing=True):
        if ref in self.networks_:
            return self.networks_[ref]
        for net in self.networks_.values():
            if net.name == ref:
                return net
        if not ignore_missing:
            raise sdk_exc.NotFoundException(ref)
        return None

    def networks(self, **filters):
        return [n for n in self.networks_.values()
                if self._match(n, filters)]

    def get_subnet(self, ref):
        return self._get(self.subnets_, ref, 'subnet')

    # -- ports ------------------------------------------------------------
    def ports(self, **filters):
        return [p for p in self.ports_.values() if self._match(p, filters)]

    def get_port(self, ref):
        return self._get(self.ports_, ref, 'port')

    def create_port(self, network_id, name='', description='',
                    security_group_ids=None, fixed_ips=None,
                    project_id='service', device_id=''):
        self.get_network(network_id)
        subnet_id, address = self._address(network_id)
        if fixed_ips and fixed_ips[0].get('ip_address'):
            address = fixed_ips[0]['ip_address']
        port = Resource(id=str(uuid.uuid4()), name=name,
                        description=description, network_id=network_id,
                        project_id=project_id, device_id=device_id,
                        security_group_ids=list(security_group_ids or []),
                        fixed_ips=[{'subnet_id': subnet_id,
                                    'ip_address': address}])
        self.ports_[port.id] = port
        self.calls.append(('create_port', name))
        return port

    def update_port(self, ref, security_group_ids=None):
        port = self.get_port(ref)
        if security_group_ids is not None:
            port.security_group_ids = list(security_group_ids)
        return port

    def delete_port(self, ref, ignore_missing=True):
        port = self.ports_.pop(getattr(ref, 'id', ref), None)
        if port is None and not ignore_missing:
            raise sdk_exc.NotFoundException(ref)
        for fip in self.ips_.values():
            if port is not None and fip.port_id == port.id:
                fip.port_id = None

    # -- security groups --------------------------------------------------
    def security_groups(self, **filters):
        return [g for g in self.groups_.values()
                if self._match(g, filters)]

    def find_security_group(self, ref, ignore_missing=True):
        for group in self.groups_.values():
            if ref in (group.id, group.name):
                return group
        return None

    def create_security_group(self, name, description=''):
        group = Resource(id=str(uuid.uuid4()), name=name,
                         description=description)
        self.groups_[group.id] = group
        return group

    def delete_security_group(self, ref, ignore_missing=True):
        gid = getattr(ref, 'id', ref)
        if any(gid in p.security_group_ids for p in self.ports_.values()):
            raise sdk_exc.ConflictException('group %s in use' % gid)
        self.groups_.pop(gid, None)
        for rid in [r.id for r in self.rules_.values()
                    if r.security_group_id == gid]:
            del self.rules_[rid]

    def security_group_rules(self, **filters):
        return [r for r in self.rules_.values() if self._match(r, filters)]

    def create_security_group_rule(self, security_group_id, direction,
                                   ether_type, protocol, port_range_min,
                                   port_range_max, remote_ip_prefix):
        rule = Resource(id=str(uuid.uuid4()),
                        security_group_id=security_group_id,
                        direction=direction, ether_type=ether_type,
                        protocol=protocol, port_range_min=port_range_min,
                        port_range_max=port_range_max,
                        remote_ip_prefix=remote_ip_prefix,
                        remote_group_id=None)
        for other in self.rules_.values():
            if all(getattr(other, k) == getattr(rule, k) for k in (
                    'security_group_id', 'direction', 'ether_type',
                    'port_range_min', 'remote_ip_prefix')):
                raise sdk_exc.ConflictException('rule exists')
        self.rules_[rule.id] = rule
        return rule

    def delete_security_group_rule(self, ref, ignore_missing=True):
        self.rules_.pop(getattr(ref, 'id', ref), None)

    # -- floating IPs -----------------------------------------------------
    def ips(self, **filters):
        return [f for f in self.ips_.values() if self._match(f, filters)]

    def create_ip(self, floating_network_id, port_id=None, description=''):
        _, address = self._address(floating_network_id)
        fip = Resource(id=str(uuid.uuid4()), port_id=port_id,
                       floating_network_id=floating_network_id,
                       floating_ip_address=address, description=description)
        self.ips_[fip.id] = fip
        return fip

    def update_ip(self, ref, port_id=None):
        fip = self._get(self.ips_, ref, 'floating ip')
        fip.port_id = port_id
        return fip

    def delete_ip(self, ref, ignore_missing=True):
        self.ips_.pop(getattr(ref, 'id', ref), None)
