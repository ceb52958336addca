"""Nova's rebuild in the local cloud, through novaclient: same server,
address and volume, a new root from the new image, the guest started
again with that image's version."""

import base64
import os
import time

import pytest
from cinderclient import client as cinder_client
from glanceclient import client as glance_client
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc


def _image_id(sess, region, name):
    glance = glance_client.Client('2', session=sess, region_name=region)
    (image,) = list(glance.images.list(filters={'name': name}))
    return image['id']


def _read_env(root, timeout=10.0):
    path = os.path.join(root, 'guest.env')
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if 'TROVE_MR_IMAGE_VERSION' in text:
                return dict(line.split('=', 1) for line in
                            text.splitlines() if '=' in line)
        time.sleep(0.05)
    raise AssertionError('guest did not write its environment')


def _wait_active(nova, server_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    seen = set()
    while time.monotonic() < deadline:
        server = nova.servers.get(server_id)
        seen.add(server.status)
        if server.status in ('ACTIVE', 'ERROR'):
            return server, seen
        time.sleep(0.02)
    raise AssertionError('server %s not ACTIVE: %s' % (server_id, seen))


def _conf(version):
    text = ('#cloud-config\nwrite_files:\n- path: /etc/trove-mr/guest.conf\n'
            '  content: datastore_version = %s\n' % version)
    return text


def test_rebuild_keeps_server_address_and_volume_and_boots_new_image(
        cloud, trove_session):
    nova = nova_client.Client('2.57', session=trove_session,
                              region_name='RegionTwo')
    cinder = cinder_client.Client('3.0', session=trove_session,
                                  region_name='RegionTwo')
    old_image = _image_id(trove_session, 'RegionTwo', 'trove-mr-redis')
    new_image = _image_id(trove_session, 'RegionTwo', 'trove-mr-redis-7.2')
    volume = cinder.volumes.create(1, name='keep-me')
    volume_dir = os.path.join(cloud.state_dir, 'volumes', volume.id)
    server = nova.servers.create(
        'rebuild-me', old_image, '7', nics='auto', userdata=_conf('7.0'),
        config_drive=True, block_device_mapping_v2=[{
            'source_type': 'volume', 'destination_type': 'volume',
            'uuid': volume.id, 'boot_index': None}])
    server, _ = _wait_active(nova, server.id)
    root = os.path.join(cloud.state_dir, 'servers', server.id, 'root')
    assert _read_env(root)['TROVE_MR_IMAGE_VERSION'] == '7.0'
    with open(os.path.join(volume_dir, 'data'), 'w') as f:
        f.write('kept')
    with open(os.path.join(root, 'scratch'), 'w') as f:
        f.write('root disk')
    address = server.addresses

    with pytest.raises(nova_exc.BadRequest):
        nova.servers.rebuild(server.id, 'no-such-image')
    nova.servers.rebuild(server.id, new_image, userdata=_conf('7.2'))
    with pytest.raises(nova_exc.Conflict):
        nova.servers.rebuild(server.id, new_image)
    rebuilt, seen = _wait_active(nova, server.id)

    assert 'REBUILD' in seen
    assert rebuilt.status == 'ACTIVE'
    assert rebuilt.image['id'] == new_image
    assert rebuilt.addresses == address
    assert [v.id for v in nova.volumes.get_server_volumes(server.id)] == [
        volume.id]
    env = _read_env(root)
    assert env['TROVE_MR_IMAGE_VERSION'] == '7.2'
    assert env['TROVE_MR_IMAGE_ID'] == new_image
    assert not os.path.exists(os.path.join(root, 'scratch'))
    with open(os.path.join(root, 'etc/trove-mr/guest.conf')) as f:
        assert f.read().strip() == 'datastore_version = 7.2'
    with open(os.path.join(volume_dir, 'data')) as f:
        assert f.read() == 'kept'

    # Without user data the server keeps what it had.
    os.remove(os.path.join(root, 'guest.env'))
    nova.servers.rebuild(server.id, old_image)
    _wait_active(nova, server.id)
    assert _read_env(root)['TROVE_MR_IMAGE_VERSION'] == '7.0'
    with open(os.path.join(root, 'etc/trove-mr/guest.conf')) as f:
        assert f.read().strip() == 'datastore_version = 7.2'
    nova.servers.delete(server.id)


def test_rebuild_user_data_needs_microversion_2_57(cloud, trove_session):
    old = nova_client.Client('2.37', session=trove_session,
                             region_name='RegionOne')
    image = _image_id(trove_session, 'RegionOne', 'trove-mr-redis')
    server = old.servers.create('old-client', image, '1', nics='auto')
    _wait_active(old, server.id)
    resp, _body = old.client.post(
        '/servers/%s/action' % server.id,
        body={'rebuild': {'imageRef': image, 'user_data': base64.b64encode(
            b'#cloud-config\n').decode()}}, raise_exc=False)
    assert resp.status_code == 400
    old.servers.delete(server.id)
