"""``nics`` and ``access`` through the instance and cluster API: each
network id checked in the region the instance (member) is built in."""

import pytest
from keystoneauth1 import exceptions as ks_exc

from tests.unit import fake_neutron
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from trove_mr.common import clients

BASE = '/v1.0/p1/instances'


@pytest.fixture
def neutrons(monkeypatch, cloud):
    """A fake Neutron per region with a network of p1 in each, another
    project's network and a shared one in RegionOne."""
    found = {name: fake_neutron.FakeNeutron()
             for name in ('RegionOne', 'RegionTwo', 'RegionThree')}
    monkeypatch.setattr(clients, 'create_network_client',
                        lambda context, region_name=None: found[region_name])
    nets = {
        'mine': found['RegionOne'].add_network('mine', 'p1', '10.1.0.0/24'),
        'mine2': found['RegionTwo'].add_network('mine2', 'p1',
                                                '10.2.0.0/24'),
        'theirs': found['RegionOne'].add_network('theirs', 'p2',
                                                 '10.3.0.0/24'),
        'shared': found['RegionOne'].add_network('shared', 'admin',
                                                 '10.4.0.0/24', shared=True),
    }
    return nets


def _bad(api, taskmanager, body, path=BASE):
    answer = call(api, path, 'POST', body)
    assert answer.status_int == 400, answer.text
    assert taskmanager.casts == []
    assert call(api, BASE).json['instances'] == []
    return answer.json['badRequest']['message']


def test_nics_and_access_reach_the_taskmanager(api, taskmanager, neutrons):
    answer = call(api, BASE, 'POST', create_body(
        nics=[{'net-id': neutrons['mine'].id},
              {'network_id': neutrons['shared'].id}],
        access={'is_public': True, 'allowed_cidrs': ['10.0.0.1/8']}))
    assert answer.status_int == 202, answer.text
    (name, _, args, _), = taskmanager.casts
    placement = args[1]
    assert placement['network'] == {
        'nics': [{'network_id': neutrons['mine'].id, 'fixed_ip': None},
                 {'network_id': neutrons['shared'].id, 'fixed_ip': None}],
        'access': {'is_public': True, 'allowed_cidrs': ['10.0.0.0/8']}}


def test_unknown_network_is_a_400_naming_the_field(api, taskmanager,
                                                   neutrons):
    message = _bad(api, taskmanager, create_body(nics=[{'net-id': 'nope'}]))
    assert "'instance.nics[0].net-id'" in message
    assert 'does not exist in region RegionOne' in message


def test_another_projects_network_is_a_400(api, taskmanager, neutrons):
    message = _bad(api, taskmanager, create_body(
        nics=[{'net-id': neutrons['theirs'].id}]))
    assert "'instance.nics[0].net-id'" in message
    assert 'belongs to another project' in message


def test_another_regions_network_is_a_400_naming_both(api, taskmanager,
                                                     neutrons):
    message = _bad(api, taskmanager, create_body(
        nics=[{'net-id': neutrons['mine2'].id}]))
    assert "'instance.nics[0].net-id'" in message
    assert 'RegionTwo' in message and 'RegionOne' in message


def test_bad_cidr_is_a_400_naming_it(api, taskmanager, neutrons):
    message = _bad(api, taskmanager, create_body(
        access={'allowed_cidrs': ['10.0.0.0/8', 'nonsense']}))
    assert "'instance.access.allowed_cidrs.1'" in message


def test_nic_without_network_or_port_is_a_400(api, taskmanager, neutrons):
    message = _bad(api, taskmanager, create_body(nics=[{}]))
    assert "'instance.nics[0]'" in message


def test_access_update_is_a_job(api, taskmanager, neutrons):
    recorded = []
    taskmanager.update_access = lambda context, *args: recorded.append(
        args)
    answer = call(api, BASE, 'POST', create_body())
    instance_id = answer.json['instance']['id']
    answer = call(api, '%s/%s' % (BASE, instance_id), 'PUT',
                  {'instance': {'access': {'allowed_cidrs':
                                           ['192.0.2.7/24']}}})
    assert answer.status_int == 202, answer.text
    # The whole stored access is applied.
    assert recorded == [(instance_id, {'is_public': False,
                                       'allowed_cidrs': ['192.0.2.0/24']})]
    answer = call(api, '%s/%s' % (BASE, instance_id), 'PATCH',
                  {'instance': {'access': {'allowed_cidrs': ['x']}}})
    assert answer.status_int == 400
    assert len(recorded) == 1


def test_cluster_member_network_of_another_region_is_a_400(
        api, taskmanager, neutrons):
    body = {'cluster': {'name': 'c', 'instances': [
        {'flavorRef': '7', 'volume': {'size': 1},
         'nics': [{'net-id': neutrons['mine'].id}]},
        {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionTwo',
         'nics': [{'net-id': neutrons['mine'].id}]}]}}
    answer = call(api, '/v1.0/p1/clusters', 'POST', body)
    assert answer.status_int == 400, answer.text
    message = answer.json['badRequest']['message']
    assert "'cluster.instances[1].nics[0].net-id'" in message
    assert 'RegionOne' in message and 'RegionTwo' in message
    assert taskmanager.casts == []


def test_the_command_lines_nic_keys_are_accepted(api, taskmanager,
                                                 neutrons):
    subnet_id = neutrons['mine'].subnet_ids[0]
    answer = call(api, BASE, 'POST', create_body(
        nics=[{'subnet_id': subnet_id, 'ip_address': '10.1.0.9'}]))
    assert answer.status_int == 202, answer.text
    (_, _, args, _), = taskmanager.casts
    assert args[1]['network']['nics'] == [
        {'network_id': neutrons['mine'].id, 'subnet_id': subnet_id,
         'fixed_ip': '10.1.0.9'}]


def test_cluster_members_carry_their_own_nics(api, taskmanager, neutrons):
    taskmanager.create_cluster = lambda context, *args, **kwargs: \
        taskmanager._record('create_cluster', context, *args, **kwargs)
    body = {'cluster': {'name': 'c', 'instances': [
        {'flavorRef': '7', 'volume': {'size': 1},
         'nics': [{'net-id': neutrons['mine'].id}]},
        {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionTwo',
         'nics': [{'net-id': neutrons['mine2'].id}]},
        {'flavorRef': '7', 'volume': {'size': 1}}]}}
    answer = call(api, '/v1.0/p1/clusters', 'POST', body)
    assert answer.status_int == 202, answer.text
    (_, _, args, _), = taskmanager.casts
    nets = sorted((p['region_name'], (p.get('network') or {}).get(
        'nics', [{}])[0].get('network_id') or '') for p in args[1].values())
    assert nets == sorted([('RegionOne', neutrons['mine'].id),
                           ('RegionTwo', neutrons['mine2'].id),
                           ('RegionOne', '')])


def test_unreachable_neutron_is_a_503_naming_the_region(
        api, taskmanager, neutrons, monkeypatch):
    def down(ref):
        raise ks_exc.ConnectFailure('refused')
    monkeypatch.setattr(fake_neutron.FakeNeutron, 'get_network',
                        lambda self, ref: down(ref))
    answer = call(api, BASE, 'POST', create_body(
        nics=[{'net-id': neutrons['mine'].id}]))
    assert answer.status_int == 503, answer.text
    assert 'RegionOne' in answer.text
    assert taskmanager.casts == []
