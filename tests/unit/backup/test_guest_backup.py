"""Unit tests of the guest's backup upload and verified download, with a
fake Swift connection at the boundary."""

import hashlib

import pytest

from trove_mr.common import backup_objects as backup
from trove_mr.guestagent import manager as guest_manager


class FakeSwift:
    """Objects in a dict; put_object answers the md5 it stored."""

    def __init__(self, fail_on_put=None):
        self.objects = {}
        self.manifests = {}
        self.fail_on_put = fail_on_put
        self.puts = 0
        self.headers = {}

    def put_container(self, container):
        pass

    def put_object(self, container, name, contents, content_length=None,
                   query_string=None, headers=None):
        self.puts += 1
        self.headers[(container, name)] = dict(headers or {})
        if self.fail_on_put == self.puts:
            raise RuntimeError('swift went away')
        data = contents if isinstance(contents, (bytes, str)) else \
            b''.join(iter(lambda: contents.read(65536), b''))
        if query_string == 'multipart-manifest=put':
            self.manifests[(container, name)] = data
            return 'manifest'
        self.objects[(container, name)] = data
        return hashlib.md5(data).hexdigest()

    def post_object(self, container, name, headers):
        self.headers[(container, name)] = dict(headers)

    def delete_object(self, container, name, query_string=None):
        self.objects.pop((container, name), None)
        self.manifests.pop((container, name), None)


def _file(tmp_path, size):
    path = tmp_path / 'snap.rdb'
    path.write_bytes(bytes(i % 251 for i in range(size)))
    return str(path)


def test_small_backup_is_one_object_with_whole_md5(tmp_path):
    swift = FakeSwift()
    path = _file(tmp_path, 1000)
    md5 = backup.upload(swift, path, 'c', 'b.rdb', segment_size=4096)
    with open(path, 'rb') as f:
        assert md5 == hashlib.md5(f.read()).hexdigest()
    assert list(swift.objects) == [('c', 'b.rdb')]
    # Recognisable from its URL alone (backup create --restore-from).
    assert swift.headers[('c', 'b.rdb')] == backup.backup_headers(md5, 1000)


def test_large_backup_is_segmented_with_a_manifest(tmp_path):
    swift = FakeSwift()
    path = _file(tmp_path, 10000)
    md5 = backup.upload(swift, path, 'c', 'b.rdb', segment_size=4096)
    assert swift.headers[('c', 'b.rdb')] == backup.backup_headers(md5, 10000)
    assert sorted(swift.objects) == [('c_segments', 'b.rdb/%08d' % i)
                                     for i in range(3)]
    assert ('c', 'b.rdb') in swift.manifests


def test_failed_upload_leaves_no_partial_object(tmp_path):
    swift = FakeSwift(fail_on_put=3)
    path = _file(tmp_path, 10000)
    with pytest.raises(RuntimeError):
        backup.upload(swift, path, 'c', 'b.rdb', segment_size=4096)
    assert swift.objects == {} and swift.manifests == {}


def test_split_location_keeps_account_container_and_object():
    assert backup.split_location(
        'http://127.0.0.1:8080/v1/AUTH_p/database_backups/x.rdb') == (
        'http://127.0.0.1:8080/v1/AUTH_p', 'database_backups', 'x.rdb')


class FakeApp:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.started = False
        self.restored = None

    def prepare_restore(self, path):
        with open(path, 'rb') as f:
            self.restored = f.read()

    def start(self, timeout=60):
        self.started = True


class Context:
    auth_token = 'token'


def test_checksum_mismatch_fails_before_redis_starts(tmp_path, monkeypatch):
    class Conn:
        def get_object(self, container, name, resp_chunk_size=None):
            return {}, iter([b'REDIS', b'corrupted'])
    monkeypatch.setattr(backup, 'connection', lambda ctx, url: Conn())
    app = FakeApp(str(tmp_path))
    info = {'id': 'b-1', 'checksum': hashlib.md5(b'REDISgood').hexdigest(),
            'region': 'RegionOne',
            'location': 'http://h/v1/AUTH_p/database_backups/b-1.rdb'}
    with pytest.raises(backup.ChecksumMismatch) as caught:
        guest_manager.restore_backup(app, info, Context())
    assert 'checksum mismatch' in str(caught.value)
    assert 'Redis was not started' in str(caught.value)
    assert app.restored is None and not app.started
    assert list(tmp_path.iterdir()) == []


def test_matching_checksum_puts_the_data_in_place(tmp_path, monkeypatch):
    class Conn:
        def get_object(self, container, name, resp_chunk_size=None):
            return {}, iter([b'REDIS', b'good'])
    monkeypatch.setattr(backup, 'connection', lambda ctx, url: Conn())
    app = FakeApp(str(tmp_path))
    info = {'id': 'b-1', 'checksum': hashlib.md5(b'REDISgood').hexdigest(),
            'region': 'RegionTwo',
            'location': 'http://h/v1/AUTH_p/database_backups/b-1.rdb'}
    guest_manager.restore_backup(app, info, Context())
    assert app.restored == b'REDISgood'


class _HeadOnly:
    def __init__(self, headers=None, status=None):
        self._headers, self._status = headers, status

    def head_object(self, container, name):
        if self._status:
            import swiftclient
            raise swiftclient.ClientException('gone',
                                              http_status=self._status)
        return self._headers


@pytest.mark.parametrize('conn, wanted', [
    (_HeadOnly(status=404), 'HTTP 404'),
    (_HeadOnly({'content-length': '3'}), 'not a redis-rdb backup'),
    (_HeadOnly({backup.META_TYPE: 'redis-rdb'}), 'no checksum'),
])
def test_remote_backup_info_refuses_what_is_not_a_complete_backup(
        monkeypatch, conn, wanted):
    monkeypatch.setattr(backup, 'connection', lambda context, url: conn)
    with pytest.raises(backup.BackupError, match=wanted):
        backup.remote_backup_info(None, 'http://s/v1/AUTH_p/c/b.rdb',
                                  'http://s/v1/AUTH_p')


def test_remote_backup_info_reads_checksum_and_size(monkeypatch):
    headers = {k.title(): v for k, v in
               backup.backup_headers('a' * 32, 1234).items()}
    monkeypatch.setattr(backup, 'connection',
                        lambda context, url: _HeadOnly(headers))
    assert backup.remote_backup_info(
        None, 'http://s/x/v1/AUTH_p/c/b.rdb', 'http://s/x/v1/AUTH_p') == {
            'checksum': 'a' * 32, 'size': 1234}
    with pytest.raises(backup.BackupError, match='not an object URL'):
        backup.remote_backup_info(None, 'http://s/x/v1/AUTH_q/c/b.rdb',
                                  'http://s/x/v1/AUTH_p')
    assert backup.owns_object('b', 'http://s/x/v1/AUTH_p/c/b.rdb')
    assert not backup.owns_object('other', 'http://s/v1/AUTH_p/c/b.rdb')
