"""Glance images across regions, and state kept across an emulator restart.
"""

import hashlib
import io
import time

import pytest
import swiftclient
from cinderclient import client as cinder_client
from glanceclient import client as glance_client
from novaclient import client as nova_client

from tests.fixtures import localcloud


def _image(sess, region):
    glance = glance_client.Client('2', session=sess, region_name=region)
    images = list(glance.images.list(filters={
        'name': 'trove-mr-redis', 'tag': ['trove', 'redis']}))
    assert len(images) == 1
    return images[0]


@pytest.fixture(scope='module')
def differing_cloud(request):
    """A cloud with a different image and flavor in RegionTwo, one shared
    object store and a database endpoint."""
    local = localcloud.LocalCloudProcess(
        guest_command='sleep 600', extra_args=[
            '--image-checksum-differs', 'RegionTwo',
            '--flavor-differs', 'RegionTwo', '--shared-swift',
            '--database-url', 'http://127.0.0.1:8779/v1.0/%(tenant_id)s'])
    request.addfinalizer(local.stop)
    return local.start()


def test_seeded_image_checksums_match_across_regions(trove_session):
    one = _image(trove_session, 'RegionOne')
    two = _image(trove_session, 'RegionTwo')
    assert one.checksum == two.checksum
    assert one.os_hash_value == two.os_hash_value
    assert one.os_hash_algo == 'sha512'
    assert one.id != two.id


def test_seeded_image_and_flavor_differ_when_asked(differing_cloud):
    sess = differing_cloud.session('trove')
    assert _image(sess, 'RegionOne').checksum != \
        _image(sess, 'RegionTwo').checksum
    ram = {region: nova_client.Client('2.37', session=sess,
                                      region_name=region).flavors.find(
        name='m1.redis').ram for region in ('RegionOne', 'RegionTwo')}
    assert ram['RegionOne'] != ram['RegionTwo']


def test_uploaded_image_checksum_is_computed_from_its_data(trove_session):
    glance = glance_client.Client('2', session=trove_session,
                                  region_name='RegionOne')
    image = glance.images.create(name='upload', disk_format='raw',
                                 container_format='bare')
    assert image.status == 'queued'
    data = b'redis' * 1000
    glance.images.upload(image.id, io.BytesIO(data))
    stored = glance.images.get(image.id)
    assert stored.status == 'active'
    assert stored.size == len(data)
    assert stored.checksum == hashlib.md5(data).hexdigest()
    assert b''.join(glance.images.data(image.id)) == data
    glance.images.delete(image.id)


def test_state_survives_restart_and_dead_guests_show_shutoff(tmp_path):
    local = localcloud.LocalCloudProcess(state_dir=str(tmp_path),
                                         guest_command='sleep 600')
    try:
        local.start()
        sess = local.session('trove')
        nova = nova_client.Client('2.37', session=sess,
                                  region_name='RegionTwo')
        cinder = cinder_client.Client('3.0', session=sess,
                                      region_name='RegionTwo')
        volume = cinder.volumes.create(1, name='kept')
        server = nova.servers.create('kept', None, '1', nics='auto')
        deadline = time.monotonic() + 5
        while nova.servers.get(server.id).status == 'BUILD' and \
                time.monotonic() < deadline:
            time.sleep(0.02)
        assert nova.servers.get(server.id).status == 'ACTIVE'
        token = sess.get_token()

        # A stop also stops the guests, as a host reboot would.
        local.stop(remove_state=False)
        local.start()

        assert sess.get_token() == token  # the old token is still valid
        kept = nova.servers.get(server.id)
        assert kept.status == 'SHUTOFF'
        assert cinder.volumes.get(volume.id).name == 'kept'
        kept.reboot()
        assert nova.servers.get(server.id).status == 'ACTIVE'
    finally:
        local.stop(remove_state=False)


def test_shared_object_store_and_database_endpoint(differing_cloud):
    sess = differing_cloud.session('demo')
    one = swiftclient.Connection(session=sess,
                                 os_options={'region_name': 'RegionOne'})
    two = swiftclient.Connection(session=sess,
                                 os_options={'region_name': 'RegionTwo'})
    one.put_container('shared')
    one.put_object('shared', 'o', b'same')
    assert two.get_object('shared', 'o')[1] == b'same'
    url = sess.get_endpoint(service_type='database', region_name='RegionTwo',
                            interface='public')
    assert url == 'http://127.0.0.1:8779/v1.0/' + sess.get_project_id()


def test_glanceclient_reads_an_unknown_image_as_not_found(cloud):
    from glanceclient import client as glance_client
    from glanceclient import exc as glance_exc
    glance = glance_client.Client('2', session=cloud.session('trove'),
                                  region_name='RegionOne')
    with pytest.raises(glance_exc.HTTPNotFound) as err:
        glance.images.get('no-such-image')
    assert 'no-such-image' in str(err.value)
