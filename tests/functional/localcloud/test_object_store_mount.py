"""Swift mounted in the local cloud, reached through the Keystone catalog.
"""

import hashlib
import os

import pytest
import swiftclient
from swiftclient import service as swift_service

SIZE = 100 * 1024 * 1024
SEGMENT = 16 * 1024 * 1024


@pytest.fixture(scope='module')
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp('big') / 'dump.rdb'
    digest = hashlib.md5()
    block = os.urandom(1024 * 1024)
    with open(path, 'wb') as f:
        for i in range(SIZE // len(block)):
            chunk = block[:-1] + bytes([i % 256])
            digest.update(chunk)
            f.write(chunk)
    return str(path), digest.hexdigest()


def test_regions_have_separate_object_stores(cloud):
    sess = cloud.session('demo')
    one = swiftclient.Connection(session=sess,
                                 os_options={'region_name': 'RegionOne'})
    two = swiftclient.Connection(session=sess,
                                 os_options={'region_name': 'RegionTwo'})
    one.put_container('backups')
    etag = one.put_object('backups', 'a', b'payload')
    assert etag == hashlib.md5(b'payload').hexdigest()
    assert one.get_object('backups', 'a')[1] == b'payload'
    with pytest.raises(swiftclient.ClientException) as err:
        two.head_container('backups')
    assert err.value.http_status == 404


def test_segmented_100mb_object_reads_back_identical(cloud, big_file,
                                                     tmp_path):
    path, md5 = big_file
    sess = cloud.session('demo')
    url = sess.get_endpoint(service_type='object-store',
                            region_name='RegionTwo', interface='public')
    options = {'os_auth_token': sess.get_token(), 'os_storage_url': url,
               'segment_size': SEGMENT}
    with swift_service.SwiftService(options=options) as service:
        results = list(service.upload('big', [swift_service.SwiftUploadObject(
            path, object_name='dump.rdb')]))
        assert all(r['success'] for r in results), results
        out = str(tmp_path / 'copy.rdb')
        results = list(service.download('big', ['dump.rdb'], options={
            'out_file': out}))
        assert all(r['success'] for r in results), results
    digest = hashlib.md5()
    with open(out, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    assert os.path.getsize(out) == SIZE
    assert digest.hexdigest() == md5
    conn = swiftclient.Connection(preauthurl=url,
                                  preauthtoken=sess.get_token())
    segments = conn.get_container('big_segments')[1]
    assert len(segments) == SIZE // SEGMENT + 1
