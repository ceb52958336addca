"""Nova, Cinder and the hypervisor of the local cloud, via the real clients.
"""

import base64
import json
import os
import subprocess
import sys
import time

import pytest
import requests
from cinderclient import client as cinder_client
from keystoneauth1 import exceptions as ks_exc
from novaclient import client as nova_client

from trove_mr_localcloud import neutron

USER_DATA = """#cloud-config
write_files:
- path: /etc/trove-mr/guest.conf
  content: |
    [DEFAULT]
    guest_id = abc
- path: /etc/trove-mr/secret.key
  encoding: b64
  content: %s
  permissions: '0600'
""" % base64.b64encode(b'\x00key').decode()


def _nova(sess, region):
    return nova_client.Client('2.37', session=sess, region_name=region)


def _cinder(sess, region):
    return cinder_client.Client('3.0', session=sess, region_name=region)


def _wait_status(nova, server_id, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        server = nova.servers.get(server_id)
        if server.status != 'BUILD' or time.monotonic() > deadline:
            return server
        time.sleep(0.02)


def _read_env(root, timeout=5.0):
    path = os.path.join(root, 'guest.env')
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if 'TROVE_MR_VOLUMES' in text:
                return dict(line.split('=', 1) for line in
                            text.splitlines() if '=' in line)
        time.sleep(0.02)
    raise AssertionError('guest did not write its environment')


def test_server_in_region_two_runs_on_its_address_with_volume(
        cloud, trove_session):
    nova2, nova1 = _nova(trove_session, 'RegionTwo'), _nova(trove_session,
                                                            'RegionOne')
    cinder2 = _cinder(trove_session, 'RegionTwo')
    volume = cinder2.volumes.create(1, name='data')
    assert volume.status == 'available'
    volume_dir = os.path.join(cloud.state_dir, 'volumes', volume.id)
    assert os.path.isdir(volume_dir)

    server = nova2.servers.create(
        'redis-1', None, '7',
        nics=[{'net-id': neutron.seeded_id('RegionTwo', 'trove-mgmt')}],
        userdata=USER_DATA,
        config_drive=True, block_device_mapping_v2=[{
            'source_type': 'volume', 'destination_type': 'volume',
            'uuid': volume.id, 'boot_index': None}])
    server = _wait_status(nova2, server.id)
    assert server.status == 'ACTIVE'
    address = server.addresses['trove-mgmt'][0]['addr']
    assert address.startswith('127.12.')

    root = os.path.join(cloud.state_dir, 'servers', server.id, 'root')
    with open(os.path.join(root, 'etc/trove-mr/guest.conf')) as f:
        assert 'guest_id = abc' in f.read()
    secret = os.path.join(root, 'etc/trove-mr/secret.key')
    with open(secret, 'rb') as f:
        assert f.read() == b'\x00key'
    assert os.stat(secret).st_mode & 0o777 == 0o600

    env = _read_env(root)
    assert env['TROVE_MR_SERVER_ADDRESS'] == address
    assert env['TROVE_MR_SERVER_ID'] == server.id
    volumes = json.loads(env['TROVE_MR_VOLUMES'])
    assert volumes == [{'id': volume.id, 'path': volume_dir,
                        'device': '/dev/vdb'}]
    assert os.path.realpath(os.path.join(root, 'dev/vdb')) == volume_dir
    assert cinder2.volumes.get(volume.id).status == 'in-use'
    assert [v.id for v in nova2.volumes.get_server_volumes(server.id)] == \
        [volume.id]

    assert server.id in [s.id for s in nova2.servers.list()]
    assert server.id not in [s.id for s in nova1.servers.list()]

    with open(os.path.join(cloud.state_dir, 'state.json')) as f:
        pid = json.load(f)['regions']['RegionTwo']['servers'][server.id][
            'pid']
    assert os.getpgid(pid) == pid

    nova2.servers.delete(server.id)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert cinder2.volumes.get(volume.id).status == 'available'
    cinder2.volumes.delete(volume.id)
    assert not os.path.exists(volume_dir)


def test_reboot_restarts_the_guest_process(cloud, trove_session):
    nova = _nova(trove_session, 'RegionOne')
    server = _wait_status(nova, nova.servers.create(
        'r', None, '1', nics='auto').id)
    root = os.path.join(cloud.state_dir, 'servers', server.id, 'root')
    first = _read_env(root)
    os.remove(os.path.join(root, 'guest.env'))
    server.reboot()
    assert _wait_status(nova, server.id).status == 'ACTIVE'
    assert _read_env(root) == first
    server.delete()


def test_tenants_do_not_see_each_others_servers(cloud):
    demo = _nova(cloud.session('demo'), 'RegionOne')
    alt = _nova(cloud.session('alt_demo'), 'RegionOne')
    server = demo.servers.create('mine', None, '1', nics='none')
    assert server.id not in [s.id for s in alt.servers.list()]
    with pytest.raises(Exception) as err:
        alt.servers.get(server.id)
    assert getattr(err.value, 'code', None) == 404
    demo.servers.delete(server.id)


def test_injected_failures_put_server_and_volume_in_error(
        cloud, trove_session):
    cloud.set_fault('RegionOne', fail_next_servers=1, fail_next_volumes=1)
    nova = _nova(trove_session, 'RegionOne')
    cinder = _cinder(trove_session, 'RegionOne')
    failed = _wait_status(nova, nova.servers.create(
        'f', None, '1', nics='auto').id)
    assert failed.status == 'ERROR'
    assert 'Injected fault' in failed.fault['message']
    assert cinder.volumes.create(1).status == 'error'
    # Only the next N creations fail.
    ok = _wait_status(nova, nova.servers.create(
        'g', None, '1', nics='auto').id)
    assert ok.status == 'ACTIVE'
    assert cinder.volumes.create(1).status == 'available'
    for server in (failed, ok):
        nova.servers.delete(server.id)


def test_unreachable_region_refuses_connections(cloud, trove_session):
    info = cloud.info()['regions']['RegionTwo']
    url = info['endpoints']['compute'] + '/v2.1/'
    subprocess.run([sys.executable, '-m', 'trove_mr_localcloud.cmd',
                    'fault', '--url', cloud.url, '--region', 'RegionTwo',
                    '--unreachable', '--password', cloud.password],
                   check=True, capture_output=True)
    try:
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=2)
        with pytest.raises(ks_exc.ConnectFailure):
            _nova(trove_session, 'RegionTwo').flavors.list()
        assert _nova(trove_session, 'RegionOne').flavors.list()
    finally:
        cloud.clear_faults()
    assert requests.get(url, timeout=2).status_code == 200


def test_latency_fault_slows_region_requests(cloud, trove_session):
    nova = _nova(trove_session, 'RegionOne')
    nova.flavors.list()
    cloud.set_fault('RegionOne', latency_ms=300)
    try:
        start = time.monotonic()
        nova.flavors.list()
        assert time.monotonic() - start >= 0.3
    finally:
        cloud.clear_faults()


def test_openstack_cli_lists_servers_of_region_two(cloud):
    nova = _nova(cloud.session('demo'), 'RegionTwo')
    server = nova.servers.create('cli-visible', None, '1', nics='auto')
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=cloud.clouds_yaml)
    openstack = os.path.join(os.path.dirname(sys.executable), 'openstack')
    try:
        out = subprocess.run(
            [openstack, '--os-cloud', 'demo', 'server', 'list',
             '--os-region-name', 'RegionTwo', '-f', 'json'],
            env=env, check=True, capture_output=True, text=True).stdout
    finally:
        nova.servers.delete(server.id)
    assert [s['Name'] for s in json.loads(out)] == ['cli-visible']
