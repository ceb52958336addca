"""Nova's resize actions and Cinder's extend in the local cloud, through
novaclient and cinderclient."""

import os
import time

import pytest
from cinderclient import client as cinder_client
from cinderclient import exceptions as cinder_exc
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc


def _nova(sess, region='RegionOne'):
    return nova_client.Client('2.37', session=sess, region_name=region)


def _wait(nova, server_id, wanted, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        server = nova.servers.get(server_id)
        if server.status == wanted:
            return server
        assert time.monotonic() < deadline, server.status
        time.sleep(0.05)


def _guest_memory(cloud, server_id, timeout=10.0):
    """The RAM the guest process was started with (its environment)."""
    path = os.path.join(cloud.state_dir, 'servers', server_id, 'root',
                        'guest.env')
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                env = dict(line.split('=', 1)
                           for line in f.read().splitlines() if '=' in line)
            if 'TROVE_MR_VOLUMES' in env:
                return env.get('TROVE_MR_SERVER_MEMORY_MB')
        time.sleep(0.05)
    raise AssertionError('guest did not write its environment')


def _forget_guest_env(cloud, server_id):
    path = os.path.join(cloud.state_dir, 'servers', server_id, 'root',
                        'guest.env')
    os.unlink(path)
    return path


@pytest.fixture
def server(cloud, trove_session):
    nova = _nova(trove_session)
    created = nova.servers.create('resizable', None, '1', nics='auto')
    server = _wait(nova, created.id, 'ACTIVE')
    yield server
    nova.servers.delete(server.id)


def test_resize_reboots_into_the_new_flavor_and_confirm_keeps_it(
        cloud, trove_session, server):
    nova = _nova(trove_session)
    assert _guest_memory(cloud, server.id) == '512'
    _forget_guest_env(cloud, server.id)
    nova.servers.resize(server.id, '7')
    assert nova.servers.get(server.id).status in ('RESIZE',
                                                  'VERIFY_RESIZE')
    resized = _wait(nova, server.id, 'VERIFY_RESIZE')
    assert resized.flavor['id'] == '7'
    assert getattr(resized, 'OS-EXT-STS:vm_state') == 'resized'
    # The guest process started again and sees the new flavor's RAM.
    assert _guest_memory(cloud, server.id) == '1024'
    with pytest.raises(nova_exc.Conflict):
        nova.servers.resize(server.id, '2')
    nova.servers.confirm_resize(server.id)
    confirmed = nova.servers.get(server.id)
    assert (confirmed.status, confirmed.flavor['id']) == ('ACTIVE', '7')
    with pytest.raises(nova_exc.Conflict):
        nova.servers.confirm_resize(server.id)


def test_revert_resize_boots_the_old_flavor_again(
        cloud, trove_session, server):
    nova = _nova(trove_session)
    _guest_memory(cloud, server.id)
    nova.servers.resize(server.id, '7')
    _wait(nova, server.id, 'VERIFY_RESIZE')
    _forget_guest_env(cloud, server.id)
    nova.servers.revert_resize(server.id)
    reverted = _wait(nova, server.id, 'ACTIVE')
    assert reverted.flavor['id'] == '1'
    assert _guest_memory(cloud, server.id) == '512'


def test_resize_to_the_same_or_an_unknown_flavor_is_refused(
        trove_session, server):
    nova = _nova(trove_session)
    with pytest.raises(nova_exc.BadRequest, match='must change flavor'):
        nova.servers.resize(server.id, '1')
    with pytest.raises(nova_exc.NotFound):
        nova.servers.resize(server.id, '999')
    assert nova.servers.get(server.id).status == 'ACTIVE'


def test_an_injected_resize_failure_leaves_the_old_flavor(
        cloud, trove_session, server):
    nova = _nova(trove_session)
    cloud.set_fault('RegionOne', fail_next_resizes=1)
    nova.servers.resize(server.id, '7')
    deadline = time.monotonic() + 15
    while nova.servers.get(server.id).status == 'RESIZE':
        assert time.monotonic() < deadline
        time.sleep(0.05)
    failed = nova.servers.get(server.id)
    assert (failed.status, failed.flavor['id']) == ('ACTIVE', '1')
    assert 'Injected fault' in failed.fault['message']


def test_extend_grows_an_attached_volume_only_from_3_42(
        cloud, trove_session):
    old = cinder_client.Client('3.0', session=trove_session,
                               region_name='RegionOne')
    new = cinder_client.Client('3.42', session=trove_session,
                               region_name='RegionOne')
    volume = old.volumes.create(1, name='grows')
    old.volumes.extend(volume.id, 2)
    assert old.volumes.get(volume.id).size == 2
    with pytest.raises(cinder_exc.BadRequest, match='greater than'):
        old.volumes.extend(volume.id, 2)
    nova = _nova(trove_session)
    server = _wait(nova, nova.servers.create(
        'with-volume', None, '1', nics='auto', block_device_mapping_v2=[{
            'source_type': 'volume', 'destination_type': 'volume',
            'uuid': volume.id, 'boot_index': None}]).id, 'ACTIVE')
    try:
        with pytest.raises(cinder_exc.BadRequest, match='in-use'):
            old.volumes.extend(volume.id, 3)
        new.volumes.extend(volume.id, 3)
        extended = new.volumes.get(volume.id)
        assert (extended.size, extended.status) == (3, 'in-use')
    finally:
        nova.servers.delete(server.id)
        old.volumes.delete(volume.id)


def test_cold_migration_moves_to_the_other_host_and_revert_moves_back(
        cloud, trove_session, server):
    host = 'OS-EXT-SRV-ATTR:host'
    nova = nova_client.Client('2.56', session=trove_session,
                              region_name='RegionOne')
    first = getattr(nova.servers.get(server.id), host)
    assert first == 'localcloud-regionone'
    with pytest.raises(nova_exc.BadRequest, match='could not be found'):
        nova.servers.migrate(server.id, host='no-such-host')
    with pytest.raises(nova_exc.BadRequest, match='same one'):
        nova.servers.migrate(server.id, host=first)
    assert nova.servers.get(server.id).status == 'ACTIVE'

    nova.servers.migrate(server.id)
    moved = _wait(nova, server.id, 'VERIFY_RESIZE')
    assert getattr(moved, host) == 'localcloud-regionone-2'
    assert _nova(trove_session).servers.get(server.id).flavor['id'] == \
        server.flavor['id']
    nova.servers.revert_resize(server.id)
    back = _wait(nova, server.id, 'ACTIVE')
    assert getattr(back, host) == first

    nova.servers.migrate(server.id, host='localcloud-regionone-2')
    _wait(nova, server.id, 'VERIFY_RESIZE')
    nova.servers.confirm_resize(server.id)
    assert getattr(nova.servers.get(server.id), host) == \
        'localcloud-regionone-2'
