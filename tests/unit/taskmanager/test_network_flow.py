"""Ports, security group and floating IP of an instance (flows/network)
against an in-memory Neutron: built once however often a task runs,
changed by an access update, all gone after the delete."""

import pytest

from tests.unit import fake_neutron
from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.flows import network

CONF = cfg.CONF


@pytest.fixture
def neutron(monkeypatch):
    fake = fake_neutron.FakeNeutron()
    monkeypatch.setattr(clients, 'create_network_client',
                        lambda context, region_name=None: fake)
    fake.mgmt = fake.add_network('trove-mgmt', 'service', '127.11.0.0/16')
    fake.tenant = fake.add_network('private', 'p1', '127.21.0.0/16')
    fake.public = fake.add_network('public', 'admin', '127.41.0.0/16',
                                   external=True)
    CONF.set_override('management_networks', ['other-region-net',
                                              fake.mgmt.id])
    yield fake
    CONF.clear_override('management_networks')


def _rules(neutron):
    return sorted((r.port_range_min, r.remote_ip_prefix)
                  for r in neutron.rules_.values())


def test_build_is_idempotent_and_applies_access(neutron):
    spec = {'nics': [{'network_id': neutron.tenant.id}],
            'access': {'is_public': True,
                       'allowed_cidrs': ['192.0.2.0/24']}}
    first = network.build_ports(None, 'RegionOne', 'i1', spec)
    again = network.build_ports(None, 'RegionOne', 'i1', spec)
    assert first == again and len(first) == 2
    nic, mgmt = (neutron.ports_[p] for p in first)
    assert mgmt.network_id == neutron.mgmt.id
    assert nic.network_id == neutron.tenant.id
    (group,) = neutron.groups_.values()
    assert group.name == 'trove-mr-i1'
    assert nic.security_group_ids == [group.id]
    assert group.id not in mgmt.security_group_ids
    assert _rules(neutron) == [(6379, '192.0.2.0/24'),
                               (16379, '192.0.2.0/24')]
    (fip,) = neutron.ips_.values()
    assert fip.port_id == nic.id


def test_default_cidrs_are_the_tenant_networks(neutron):
    network.build_ports(None, 'RegionOne', 'i2', {
        'nics': [{'network_id': neutron.tenant.id}], 'access': None})
    assert _rules(neutron) == [(6379, '127.21.0.0/16'),
                               (16379, '127.21.0.0/16')]
    assert neutron.ips_ == {}


def test_access_update_changes_only_what_it_names(neutron):
    network.build_ports(None, 'RegionOne', 'i3', {
        'nics': [{'network_id': neutron.tenant.id}],
        'access': {'is_public': True}})
    network.apply_access(None, 'RegionOne', 'i3',
                         {'allowed_cidrs': ['10.0.0.0/8']}, partial=True)
    assert _rules(neutron) == [(6379, '10.0.0.0/8'), (16379, '10.0.0.0/8')]
    assert len(neutron.ips_) == 1
    network.apply_access(None, 'RegionOne', 'i3', {'is_public': False},
                         partial=True)
    assert neutron.ips_ == {}
    assert len(neutron.rules_) == 2


def test_remove_leaves_nothing_but_the_tenants_own_port(neutron):
    own = neutron.create_port(neutron.tenant.id, name='mine',
                              project_id='p1')
    network.build_ports(None, 'RegionOne', 'i4', {
        'nics': [{'port_id': own.id}], 'access': {'is_public': True}})
    assert len(own.security_group_ids) == 1
    network.remove_networking(None, 'RegionOne', 'i4')
    network.remove_networking(None, 'RegionOne', 'i4')
    assert list(neutron.ports_) == [own.id]
    assert own.security_group_ids == []
    assert neutron.groups_ == {} and neutron.ips_ == {}
    assert neutron.rules_ == {}


def test_without_networks_nothing_is_asked(neutron, monkeypatch):
    CONF.set_override('management_networks', [])
    monkeypatch.setattr(clients, 'create_network_client', None)
    assert network.build_ports(None, 'RegionOne', 'i5', None) == []


def test_recorded_addresses_follow_the_floating_ip():
    recorded = [{'address': '127.22.0.5', 'type': 'fixed',
                 'network': 'private'},
                {'address': '127.12.0.9', 'type': 'fixed',
                 'network': 'trove-mgmt', 'management': True},
                {'address': '127.42.0.1', 'type': 'floating',
                 'network': 'private'}]
    assert network.with_floating_ip(recorded, None) == recorded[:2]
    assert network.with_floating_ip(recorded, '127.42.0.7')[-1] == {
        'address': '127.42.0.7', 'type': 'floating', 'network': 'private'}
    assert network.with_floating_ip(None, None) == []
