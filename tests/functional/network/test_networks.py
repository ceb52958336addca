"""Networks and access end to end: python-troveclient and raw HTTP against
the running system, checked in RegionTwo's Neutron (openstacksdk), with a
real guest and redis-server behind the tenant port."""

import json
import os
import subprocess
import sys
import time
import uuid

import openstack
import pytest
import redis

from tests.functional.api import helpers
from tests.functional.cluster import helpers as cluster_helpers
from trove_mr_localcloud import cinder

REGION = 'RegionTwo'


def _neutron(system, user='trove', region=REGION):
    return openstack.connection.Connection(
        session=system.session(user), region_name=region).network


def _tag(instance_id):
    return 'trove-mr-%s' % instance_id


def _left(neutron, instance_id):
    """What the instance still has in the region's Neutron."""
    return {
        'ports': list(neutron.ports(description=_tag(instance_id))),
        'groups': list(neutron.security_groups(name=_tag(instance_id))),
        'ips': list(neutron.ips(description=_tag(instance_id)))}


def _ingress(neutron, group_id):
    return sorted((r.port_range_min, r.remote_ip_prefix) for r in
                  neutron.security_group_rules(security_group_id=group_id,
                                               direction='ingress')
                  if r.remote_ip_prefix)


def _wait(check, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError('timed out waiting for %s' % what)


def _redis_answers(address, password):
    client = redis.Redis(host=address, port=6379, password=password,
                         socket_timeout=5)
    try:
        key = 'k-%s' % uuid.uuid4().hex
        client.set(key, 'v')
        return client.get(key) == b'v'
    finally:
        client.close()


@pytest.fixture(scope='module')
def networks(system):
    """demo's and alt_demo's networks of both regions, by (user, region)."""
    found = {}
    for user in ('demo', 'alt_demo'):
        for region in ('RegionOne', REGION):
            name = 'private' if user == 'demo' else 'alt-private'
            found[user, region] = _neutron(system, user, region).find_network(
                name, ignore_missing=False)
    return found


def test_nics_and_access_in_region_two_and_nothing_left_after_delete(
        system, networks):
    trove = system.trove('demo')
    neutron = _neutron(system)
    tenant_net = networks['demo', REGION]
    created = trove.instances.create(
        'net-two', '7', volume={'size': 1}, region_name=REGION,
        nics=[{'net-id': tenant_net.id}],
        access={'is_public': True, 'allowed_cidrs': ['192.0.2.0/24']})
    session = system.session('demo')
    instance_url = helpers.url(system, session, '/instances/' + created.id)
    view = helpers.wait_status(session, instance_url, 'ACTIVE')

    left = _left(neutron, created.id)
    ports = {p.name: p for p in left['ports']}
    assert set(ports) == {_tag(created.id) + '-nic0',
                          _tag(created.id) + '-mgmt'}
    nic, mgmt = ports[_tag(created.id) + '-nic0'], \
        ports[_tag(created.id) + '-mgmt']
    server, = helpers.named(helpers.service_nova(system, REGION)
                            .servers.list(), created.id)
    assert nic.device_id == server.id and mgmt.device_id == server.id
    assert nic.network_id == tenant_net.id
    nic_ip = nic.fixed_ips[0]['ip_address']
    mgmt_ip = mgmt.fixed_ips[0]['ip_address']
    assert nic_ip.startswith('127.22.') and mgmt_ip.startswith('127.12.')
    group, = left['groups']
    assert nic.security_group_ids == [group.id]
    assert _ingress(neutron, group.id) == [(6379, '192.0.2.0/24'),
                                           (16379, '192.0.2.0/24')]
    fip, = left['ips']
    assert fip.port_id == nic.id and fip.fixed_ip_address == nic_ip

    # Tenants see the tenant and floating addresses, never management's.
    assert nic_ip in view['ip'] and fip.floating_ip_address in view['ip']
    assert mgmt_ip not in view['ip']
    # Admins see it in /mgmt.
    admin = system.session('admin')
    shown = helpers.request(admin, 'GET', helpers.url(
        system, admin, '/mgmt/instances/' + created.id)).json()['instance']
    assert mgmt_ip in shown['ip'] and nic_ip in shown['ip']
    # The datastore listens on the tenant port's address.
    assert _redis_answers(nic_ip, created.password)

    trove.instances.update(created.id, allowed_cidrs=['198.51.100.0/24'])
    _wait(lambda: _ingress(neutron, group.id) == [
        (6379, '198.51.100.0/24'), (16379, '198.51.100.0/24')],
        'the new allowed_cidrs')
    assert len(_left(neutron, created.id)['ips']) == 1
    assert trove.instances.get(created.id).access == {
        'is_public': True, 'allowed_cidrs': ['198.51.100.0/24']}
    trove.instances.update(created.id, is_public=False)
    _wait(lambda: not _left(neutron, created.id)['ips'],
          'the floating IP to go')
    _wait(lambda: fip.floating_ip_address not in trove.instances.get(
        created.id).ip, 'the floating IP to leave the view')
    assert nic_ip in trove.instances.get(created.id).ip

    trove.instances.delete(created.id)
    helpers.wait_gone(session, instance_url, timeout=90)
    assert _left(neutron, created.id) == {'ports': [], 'groups': [],
                                          'ips': []}
    assert neutron.get_network(tenant_net.id).id == tenant_net.id


def test_tempest_create_body_builds_active(system, networks):
    """What upstream's tempest plugin sends: nics, access.is_public and a
    volume type."""
    trove = system.trove('demo')
    version = trove.datastore_versions.list('redis')[0].name
    session = system.session('demo')
    answer = helpers.request(
        session, 'POST', helpers.url(system, session, '/instances'),
        {'instance': {
            'name': 'tempest-like', 'flavorRef': '7',
            'datastore': {'type': 'redis', 'version': version},
            'volume': {'size': 1, 'type': cinder.DEFAULT_TYPE},
            'nics': [{'network_id': networks['demo', 'RegionOne'].id}],
            'access': {'is_public': True}}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['instance']
    instance_url = helpers.url(system, session, '/instances/' +
                               created['id'])
    view = helpers.wait_status(session, instance_url, 'ACTIVE')
    neutron = _neutron(system, region='RegionOne')
    left = _left(neutron, created['id'])
    fip, = left['ips']
    assert fip.floating_ip_address in view['ip']
    group, = left['groups']
    # allowed_cidrs not given: the tenant network only.
    assert _ingress(neutron, group.id) == [(6379, '127.21.0.0/16'),
                                           (16379, '127.21.0.0/16')]
    assert helpers.request(session, 'DELETE', instance_url).status_code \
        == 202
    helpers.wait_gone(session, instance_url, timeout=90)
    assert _left(neutron, created['id']) == {'ports': [], 'groups': [],
                                             'ips': []}


@pytest.mark.parametrize('case', ['unknown', 'another-project',
                                  'wrong-region'])
def test_bad_network_is_a_400_naming_the_field_and_nothing_is_left(
        system, networks, case):
    net_id = {'unknown': str(uuid.uuid4()),
              'another-project': networks['alt_demo', REGION].id,
              'wrong-region': networks['demo', 'RegionOne'].id}[case]
    neutron = _neutron(system)
    ports_before = len(list(neutron.ports()))
    groups_before = len(list(neutron.security_groups()))
    session = system.session('demo')
    name = 'bad-net-%s' % case
    answer = helpers.request(
        session, 'POST', helpers.url(system, session, '/instances'),
        {'instance': {'name': name, 'flavorRef': '7', 'volume': {'size': 1},
                      'region_name': REGION, 'nics': [{'net-id': net_id}],
                      'access': {'is_public': True}}})
    assert answer.status_code == 400, answer.text
    message = answer.json()['badRequest']['message']
    assert "'instance.nics[0].net-id'" in message and net_id in message
    if case == 'wrong-region':
        assert 'RegionOne' in message and REGION in message
    if case == 'another-project':
        assert 'another project' in message
    assert name not in [i.name for i in system.trove('demo')
                        .instances.list()]
    assert len(list(neutron.ports())) == ports_before
    assert len(list(neutron.security_groups())) == groups_before


def _openstack(system, *args):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    done = subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database', 'instance'] + list(args),
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_command_line_creates_with_a_nic_and_changes_access(
        system, networks):
    net = networks['demo', REGION]
    created = json.loads(_openstack(
        system, 'create', 'cli-net', '--flavor', '7', '--size', '1',
        '--region', REGION, '--nic', 'net-id=%s' % net.id, '--is-public',
        '--allowed-cidr', '203.0.113.0/24', '-f', 'json'))
    session = system.session('demo')
    instance_url = helpers.url(system, session, '/instances/' +
                               created['id'])
    helpers.wait_status(session, instance_url, 'ACTIVE')
    neutron = _neutron(system)
    left = _left(neutron, created['id'])
    group, = left['groups']
    assert len(left['ips']) == 1
    assert _ingress(neutron, group.id) == [(6379, '203.0.113.0/24'),
                                           (16379, '203.0.113.0/24')]
    _openstack(system, 'update', created['id'], '--is-private')
    _wait(lambda: not _left(neutron, created['id'])['ips'],
          'the floating IP to go')
    _openstack(system, 'delete', created['id'])
    helpers.wait_gone(session, instance_url, timeout=90)
    assert _left(neutron, created['id']) == {'ports': [], 'groups': [],
                                             'ips': []}


def test_cluster_members_get_their_regions_networks(system, networks):
    session = system.session('demo')
    url = cluster_helpers.clusters_url(system, session)

    def member(region, net_region=None):
        return {'flavorRef': '7', 'volume': {'size': 1}, 'region': region,
                'nics': [{'net-id': networks['demo',
                                             net_region or region].id}]}

    # A member naming another region's network: 400 naming both.
    answer = helpers.request(session, 'POST', url, {'cluster': {
        'name': 'bad-nets', 'instances': [
            member('RegionOne'), member(REGION, 'RegionOne')]}})
    assert answer.status_code == 400, answer.text
    message = answer.json()['badRequest']['message']
    assert "'cluster.instances[1].nics[0].net-id'" in message
    assert 'RegionOne' in message and REGION in message

    answer = helpers.request(session, 'POST', url, {'cluster': {
        'name': 'nets', 'instances': [member('RegionOne'), member(REGION),
                                      member(REGION)]}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    cluster_url = cluster_helpers.clusters_url(system, session,
                                               '/' + created['id'])
    view = cluster_helpers.wait_ready(session, cluster_url)
    for m in view['instances']:
        neutron = _neutron(system, region=m['region'])
        nic, = [p for p in _left(neutron, m['id'])['ports']
                if p.name.endswith('-nic0')]
        assert nic.network_id == networks['demo', m['region']].id
        assert nic.fixed_ips[0]['ip_address'] in m['ip']
    info = cluster_helpers.cluster_info(view['instances'][0]['ip'][0],
                                        created['password'])
    assert info['cluster_state'] == 'ok'
    assert helpers.request(session, 'DELETE', cluster_url).status_code \
        == 202
    cluster_helpers.wait_gone(session, cluster_url)
    for m in view['instances']:
        assert _left(_neutron(system, region=m['region']), m['id']) == {
            'ports': [], 'groups': [], 'ips': []}


def test_a_replica_gets_the_nics_and_access_it_asks_for(system, networks):
    """``--replica-of`` with ``--nic`` and access: the replica has a port
    on the tenant network of its own region (RegionTwo, the master is in
    RegionOne), the group opens the allowed CIDRs, and it serves reads
    there; a network of the wrong region is a 400 with nothing made."""
    trove = system.trove('demo')
    session = system.session('demo')
    master = trove.instances.create('net-master', '7', volume={'size': 1},
                                    region_name='RegionOne')
    master_url = helpers.url(system, session, '/instances/' + master.id)
    helpers.wait_status(session, master_url, 'ACTIVE')
    wrong = helpers.request(session, 'POST', helpers.url(
        system, session, '/instances'), {'instance': {
            'name': 'net-replica-bad', 'replica_of': master.id,
            'region_name': REGION,
            'nics': [{'net-id': networks['demo', 'RegionOne'].id}]}})
    assert wrong.status_code == 400, wrong.text
    assert "'instance.nics[0].net-id'" in wrong.json()['badRequest'][
        'message']
    assert not [i for i in trove.instances.list()
                if i.name == 'net-replica-bad']

    tenant_net = networks['demo', REGION]
    replica = trove.instances.create(
        'net-replica', '7', replica_of=master.id, region_name=REGION,
        nics=[{'net-id': tenant_net.id}],
        access={'allowed_cidrs': ['192.0.2.0/24']})
    replica_url = helpers.url(system, session, '/instances/' + replica.id)
    view = helpers.wait_status(session, replica_url, 'ACTIVE')
    neutron = _neutron(system)
    ports = {p.name: p for p in _left(neutron, replica.id)['ports']}
    assert set(ports) == {_tag(replica.id) + '-nic0',
                          _tag(replica.id) + '-mgmt'}
    nic = ports[_tag(replica.id) + '-nic0']
    assert nic.network_id == tenant_net.id
    nic_ip = nic.fixed_ips[0]['ip_address']
    assert nic_ip in view['ip']
    group, = _left(neutron, replica.id)['groups']
    assert _ingress(neutron, group.id) == [(6379, '192.0.2.0/24'),
                                           (16379, '192.0.2.0/24')]
    assert trove.instances.get(replica.id).access == {
        'is_public': False, 'allowed_cidrs': ['192.0.2.0/24']}
    # The replica serves on its tenant port (read-only: a PING and the
    # replication role).
    client = redis.Redis(host=nic_ip, port=6379, password=replica.password,
                         socket_timeout=5)
    try:
        assert client.ping()
        assert client.info('replication')['role'] == 'slave'
    finally:
        client.close()

    trove.instances.delete(replica.id)
    helpers.wait_gone(session, replica_url, timeout=90)
    assert _left(neutron, replica.id) == {'ports': [], 'groups': [],
                                          'ips': []}
    trove.instances.delete(master.id)
    helpers.wait_gone(session, master_url, timeout=90)
