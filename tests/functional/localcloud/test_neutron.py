"""Neutron of the local cloud through openstacksdk, and Nova servers
plugged into its ports."""

import time

import openstack
import pytest
from novaclient import client as nova_client
from openstack import exceptions as sdk_exc


def _net(sess, region='RegionTwo'):
    return openstack.connection.Connection(
        session=sess, region_name=region).network


def _active(nova, server_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = nova.servers.get(server_id)
        if server.status != 'BUILD':
            return server
        time.sleep(0.05)
    raise AssertionError('server stayed in BUILD')


def test_seeded_networks_per_region(cloud):
    admin = cloud.session('admin')
    for index, region in enumerate(('RegionOne', 'RegionTwo')):
        neutron = _net(admin, region)
        nets = {n.name: n for n in neutron.networks()}
        assert set(nets) >= {'trove-mgmt', 'private', 'alt-private',
                             'public'}
        assert nets['public'].is_router_external
        subnet = neutron.get_subnet(nets['trove-mgmt'].subnet_ids[0])
        # The management subnet is the hypervisor's range of the region.
        assert subnet.cidr == '127.%d.0.0/16' % (11 + index)
    one = {n.name: n.id for n in _net(admin, 'RegionOne').networks()}
    two = {n.name: n.id for n in _net(admin, 'RegionTwo').networks()}
    assert one['private'] != two['private']


def test_tenants_see_their_own_networks_only(cloud):
    demo = {n.name for n in _net(cloud.session('demo')).networks()}
    alt = {n.name for n in _net(cloud.session('alt_demo')).networks()}
    assert demo == {'private', 'public'}
    assert alt == {'alt-private', 'public'}


def test_ports_groups_floating_ips_and_a_server_on_them(cloud):
    sess = cloud.session('demo')
    neutron = _net(sess)
    net = neutron.find_network('private', ignore_missing=False)
    group = neutron.create_security_group(name='web')
    rule = neutron.create_security_group_rule(
        security_group_id=group.id, direction='ingress', protocol='tcp',
        port_range_min=6379, port_range_max=6379,
        remote_ip_prefix='10.1.2.3/8')
    assert rule.remote_ip_prefix == '10.0.0.0/8'
    with pytest.raises(sdk_exc.ConflictException):
        neutron.create_security_group_rule(
            security_group_id=group.id, direction='ingress', protocol='tcp',
            port_range_min=6379, port_range_max=6379,
            remote_ip_prefix='10.0.0.0/8')
    port = neutron.create_port(network_id=net.id, name='p',
                               security_group_ids=[group.id])
    address = port.fixed_ips[0]['ip_address']
    assert address.startswith('127.22.')
    assert port.security_group_ids == [group.id] and port.device_id == ''
    public = neutron.find_network('public', ignore_missing=False)
    fip = neutron.create_ip(floating_network_id=public.id, port_id=port.id)
    assert fip.floating_ip_address.startswith('127.42.')
    assert fip.fixed_ip_address == address

    nova = nova_client.Client('2.37', session=sess, region_name='RegionTwo')
    server = _active(nova, nova.servers.create(
        'on-port', None, '1', nics=[{'port-id': port.id}]).id)
    assert server.status == 'ACTIVE'
    kinds = {(a['addr'], a['OS-EXT-IPS:type'])
             for a in server.addresses['private']}
    assert kinds == {(address, 'fixed'), (fip.floating_ip_address,
                                          'floating')}
    port = neutron.get_port(port.id)
    assert port.device_id == server.id and port.status == 'ACTIVE'
    with pytest.raises(sdk_exc.ConflictException):
        neutron.delete_security_group(group.id)

    # A server booted on a network gets a port Nova deletes with it.
    other = _active(nova, nova.servers.create(
        'on-net', None, '1', nics=[{'net-id': net.id}]).id)
    made, = neutron.ports(device_id=other.id)
    assert made.device_owner == 'compute:nova'
    nova.servers.delete(other.id)
    nova.servers.delete(server.id)
    time.sleep(0.5)
    assert list(neutron.ports(device_id=other.id)) == []
    # A port given to Nova stays, unplugged.
    assert neutron.get_port(port.id).device_id == ''
    neutron.delete_port(port.id)
    assert neutron.get_ip(fip.id).port_id is None
    neutron.delete_ip(fip.id)
    neutron.delete_security_group(group.id)
    assert neutron.find_security_group('web', ignore_missing=True) is None


def test_other_projects_network_and_port_are_refused(cloud):
    alt = cloud.session('alt_demo')
    demo_net = _net(cloud.session('admin')).find_network(
        'private', ignore_missing=False)
    with pytest.raises(sdk_exc.NotFoundException):
        _net(alt).get_network(demo_net.id)
    nova = nova_client.Client('2.37', session=alt, region_name='RegionTwo')
    from novaclient import exceptions as nova_exc
    with pytest.raises(nova_exc.BadRequest):
        nova.servers.create('x', None, '1', nics=[{'net-id': demo_net.id}])
    with pytest.raises(nova_exc.BadRequest):
        nova.servers.create('x', None, '1', nics=[{'net-id': 'nope'}])
