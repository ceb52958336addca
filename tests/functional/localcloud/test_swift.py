"""The local cloud's Swift service driven by the real python-swiftclient
over HTTP, served by a threaded stdlib WSGI server."""

import hashlib
import json
import os
import random
import socketserver
import threading
from wsgiref import simple_server

import pytest
from swiftclient import client as swift_client
from swiftclient import exceptions as swift_exc
from swiftclient import service as swift_service

from trove_mr_localcloud import swift

TOKENS = {
    'tok-alice': 'alice',
    'tok-bob': 'bob',
    'tok-admin': ('admin-project', True),
}
MB = 1024 * 1024


class _ThreadingWSGIServer(socketserver.ThreadingMixIn,
                           simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class SwiftServer:
    """A SwiftApp on a free loopback port; ``restart`` keeps the store."""

    def __init__(self, store_dir):
        self.store_dir = store_dir
        self._server = None
        self._thread = None

    def start(self):
        self.app = swift.SwiftApp(self.store_dir, TOKENS.get)
        self._server = simple_server.make_server(
            '127.0.0.1', 0, self.app, server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.05},
                                        daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def restart(self):
        self.stop()
        self.start()

    def url(self, project='alice'):
        return 'http://127.0.0.1:%d/v1/AUTH_%s' % (self.port, project)

    def connection(self, token='tok-alice', project='alice'):
        return swift_client.Connection(preauthurl=self.url(project),
                                       preauthtoken=token, retries=0)

    def service(self, **options):
        opts = {'os_storage_url': self.url(), 'os_auth_token': 'tok-alice'}
        opts.update(options)
        return swift_service.SwiftService(options=opts)


@pytest.fixture
def server(tmp_path):
    srv = SwiftServer(str(tmp_path / 'swift'))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope='module')
def big_file(tmp_path_factory):
    """100 MB of pseudo-random bytes on disk and their md5."""
    path = tmp_path_factory.mktemp('big') / 'big.bin'
    rng = random.Random(42)
    md5 = hashlib.md5()
    with open(path, 'wb') as f:
        for _ in range(100):
            block = rng.randbytes(MB)
            md5.update(block)
            f.write(block)
    yield str(path), md5.hexdigest()
    os.unlink(path)


def _streamed_md5(conn, container, name):
    headers, body = conn.get_object(container, name, resp_chunk_size=MB)
    md5 = hashlib.md5()
    size = 0
    for chunk in body:
        md5.update(chunk)
        size += len(chunk)
    return headers, md5.hexdigest(), size


def _upload(server, path, name, **options):
    with server.service() as svc:
        results = list(svc.upload('backups', [
            swift_service.SwiftUploadObject(path, object_name=name)],
            options=dict(segment_size=10 * MB, **options)))
    failed = [r for r in results if not r['success']]
    assert not failed, failed
    return results


def test_objects_round_trip_with_metadata(server):
    conn = server.connection()
    conn.put_container('c1', headers={'X-Container-Meta-Color': 'blue'})
    etag = conn.put_object('c1', 'a.txt', b'hello', content_type='text/x',
                           headers={'X-Object-Meta-Owner': 'alice'})
    assert etag == hashlib.md5(b'hello').hexdigest()

    headers, body = conn.get_object('c1', 'a.txt')
    assert body == b'hello'
    assert headers['content-type'] == 'text/x'
    assert headers['x-object-meta-owner'] == 'alice'
    assert headers['etag'] == etag
    assert headers['x-trans-id'].startswith('tx')
    assert 'last-modified' in headers

    conn.post_object('c1', 'a.txt', headers={'X-Object-Meta-New': '1'})
    headers = conn.head_object('c1', 'a.txt')
    assert headers['x-object-meta-new'] == '1'
    assert 'x-object-meta-owner' not in headers

    cheaders = conn.head_container('c1')
    assert cheaders['x-container-meta-color'] == 'blue'
    assert cheaders['x-container-object-count'] == '1'
    assert cheaders['x-container-bytes-used'] == '5'
    aheaders = conn.head_account()
    assert aheaders['x-account-container-count'] == '1'
    assert aheaders['x-account-object-count'] == '1'
    assert aheaders['x-account-bytes-used'] == '5'

    conn.delete_object('c1', 'a.txt')
    with pytest.raises(swift_exc.ClientException) as err:
        conn.get_object('c1', 'a.txt')
    assert err.value.http_status == 404


def test_container_delete_refused_while_not_empty(server):
    conn = server.connection()
    conn.put_container('full')
    conn.put_object('full', 'x', b'1')
    with pytest.raises(swift_exc.ClientException) as err:
        conn.delete_container('full')
    assert err.value.http_status == 409
    conn.delete_object('full', 'x')
    conn.delete_container('full')
    assert conn.get_account()[1] == []


def test_listing_honours_prefix_delimiter_marker_and_limit(server):
    conn = server.connection()
    conn.put_container('list')
    for name in ('a/1', 'a/2', 'b/1', 'c', 'd'):
        conn.put_object('list', name, name.encode())

    _, objs = conn.get_container('list', delimiter='/')
    assert [o.get('subdir', o.get('name')) for o in objs] == \
        ['a/', 'b/', 'c', 'd']
    _, objs = conn.get_container('list', prefix='a/')
    assert [o['name'] for o in objs] == ['a/1', 'a/2']
    assert objs[0]['bytes'] == 3
    assert objs[0]['hash'] == hashlib.md5(b'a/1').hexdigest()
    _, objs = conn.get_container('list', marker='b/1', limit=1)
    assert [o['name'] for o in objs] == ['c']
    _, objs = conn.get_container('list', marker='a/', delimiter='/')
    assert [o.get('subdir', o.get('name')) for o in objs] == \
        ['b/', 'c', 'd']
    _, objs = conn.get_container('list', end_marker='b')
    assert [o['name'] for o in objs] == ['a/1', 'a/2']
    _, conts = conn.get_account()
    assert conts[0]['name'] == 'list' and conts[0]['count'] == 5


def test_bad_etag_refused_with_422_and_nothing_stored(server):
    conn = server.connection()
    conn.put_container('c')
    with pytest.raises(swift_exc.ClientException) as err:
        conn.put_object('c', 'bad', b'payload', etag='0' * 32)
    assert err.value.http_status == 422
    _, objs = conn.get_container('c')
    assert objs == []
    assert os.listdir(os.path.join(server.store_dir, 'tmp')) == []


def test_chunked_upload_range_read_and_copy(server):
    conn = server.connection()
    conn.put_container('c')

    def pieces():
        for i in range(5):
            yield bytes([65 + i]) * 1000

    conn.put_object('c', 'chunked', pieces())
    headers, body = conn.get_object('c', 'chunked',
                                    headers={'Range': 'bytes=999-1000'})
    assert body == b'AB'
    assert headers['content-range'] == 'bytes 999-1000/5000'

    conn.copy_object('c', 'chunked', destination='/c/copied',
                     headers={'X-Object-Meta-Copied': 'yes'})
    headers, body = conn.get_object('c', 'copied')
    assert len(body) == 5000 and body.endswith(b'E' * 1000)
    assert headers['x-object-meta-copied'] == 'yes'


def test_missing_or_bad_token_is_401_and_foreign_account_403(server):
    with pytest.raises(swift_exc.ClientException) as err:
        server.connection(token='nope').head_account()
    assert err.value.http_status == 401
    with pytest.raises(swift_exc.ClientException) as err:
        server.connection(token='tok-bob', project='alice').head_account()
    assert err.value.http_status == 403
    admin = server.connection(token='tok-admin', project='alice')
    assert admin.head_account()['x-account-container-count'] == '0'


def test_data_survives_a_new_app_on_the_same_directory(server):
    conn = server.connection()
    conn.put_container('keep', headers={'X-Container-Meta-K': 'v'})
    conn.put_object('keep', 'o', b'persisted',
                    headers={'X-Object-Meta-M': 'n'})
    server.restart()
    conn = server.connection()
    headers, body = conn.get_object('keep', 'o')
    assert body == b'persisted'
    assert headers['x-object-meta-m'] == 'n'
    assert conn.head_container('keep')['x-container-meta-k'] == 'v'


def test_100mb_dlo_upload_reads_back_identical(server, big_file):
    path, md5 = big_file
    # A name that needs quoting checks the manifest's prefix is unquoted.
    name = 'dlo backup \u00e9.bin'
    _upload(server, path, name, use_slo=False)
    conn = server.connection()
    headers, got_md5, size = _streamed_md5(conn, 'backups', name)
    assert 'x-object-manifest' in headers
    assert size == 100 * MB
    assert got_md5 == md5
    _, segs = conn.get_container('backups_segments')
    assert len(segs) == 10
    expected = hashlib.md5(''.join(s['hash'] for s in segs).encode())
    assert headers['etag'] == '"%s"' % expected.hexdigest()


def test_100mb_slo_upload_reads_back_and_deletes_segments(server, big_file):
    path, md5 = big_file
    _upload(server, path, 'slo.bin', use_slo=True)
    conn = server.connection()
    headers, got_md5, size = _streamed_md5(conn, 'backups', 'slo.bin')
    assert headers['x-static-large-object'] == 'True'
    assert (size, got_md5) == (100 * MB, md5)
    headers, body = conn.get_object('backups', 'slo.bin',
                                    query_string='multipart-manifest=get')
    assert len(json.loads(body)) == 10
    assert len(conn.get_container('backups_segments')[1]) == 10

    with server.service() as svc:
        results = list(svc.delete('backups', ['slo.bin']))
    assert all(r['success'] for r in results), results
    assert conn.get_container('backups_segments')[1] == []
    assert conn.get_container('backups')[1] == []


def test_slo_manifest_with_wrong_etag_is_refused(server):
    conn = server.connection()
    conn.put_container('segs')
    conn.put_object('segs', 's1', b'abc')
    manifest = '[{"path": "/segs/s1", "etag": "%s", "size_bytes": 3}]'
    with pytest.raises(swift_exc.ClientException) as err:
        conn.put_object('segs', 'm', manifest % ('f' * 32),
                        query_string='multipart-manifest=put')
    assert err.value.http_status == 400
    conn.put_object('segs', 'm', manifest % hashlib.md5(b'abc').hexdigest(),
                    query_string='multipart-manifest=put')
    assert conn.get_object('segs', 'm')[1] == b'abc'


def test_service_download_verifies_md5_of_plain_object(server, tmp_path):
    conn = server.connection()
    conn.put_container('dl')
    conn.put_object('dl', 'dir/\u00fcber name', b'content' * 1000)
    out = tmp_path / 'out'
    with server.service() as svc:
        results = list(svc.download('dl', options={'out_directory':
                                                   str(out)}))
    assert [r['success'] for r in results] == [True]
    assert (out / 'dir' / '\u00fcber name').read_bytes() == \
        b'content' * 1000
