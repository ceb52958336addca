"""Unit tests of the guest's backup upload and verified download, with a
fake Swift connection at the boundary."""

import hashlib

import pytest

from trove_mr.common import backup_objects as backup
from trove_mr.common import backup_transfer as transfer
from trove_mr.guestagent import backup as guest_backup


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


def test_parts_are_as_many_as_workers_within_the_segment_size():
    mb = 1024 * 1024
    assert transfer.plan_parts(200 * mb, 64 * mb, 4) == [
        (i * 50 * mb, 50 * mb) for i in range(4)]
    assert transfer.plan_parts(200 * mb, 32 * mb, 4)[-1] == (192 * mb,
                                                            8 * mb)
    # Small files stay one part; no part is below PART_MIN.
    assert transfer.plan_parts(5 * mb, 64 * mb, 4) == [(0, 5 * mb)]
    assert transfer.plan_parts(20 * mb, 64 * mb, 4) == [
        (0, 8 * mb), (8 * mb, 8 * mb), (16 * mb, 4 * mb)]


def test_segment_etag_mismatch_fails_and_removes_the_segments(tmp_path):
    class Corrupting(FakeSwift):
        def put_object(self, container, name, contents, **kwargs):
            etag = super().put_object(container, name, contents, **kwargs)
            return '0' * 32 if name.endswith('/00000001') else etag
    swift = Corrupting()
    path = _file(tmp_path, 10000)
    with pytest.raises(backup.BackupError, match='00000001'):
        backup.upload(swift, path, 'c', 'b.rdb', segment_size=4096)
    assert swift.objects == {} and swift.manifests == {}


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


class RangedSwift:
    """One object's bytes, read whole or by ``Range`` in small chunks."""

    def __init__(self, data):
        self.data = data
        self.ranges = []

    def head_object(self, container, name):
        return {'content-length': str(len(self.data))}

    def get_object(self, container, name, headers=None,
                   resp_chunk_size=None):
        wanted = (headers or {}).get('Range')
        self.ranges.append(wanted)
        data = self.data
        if wanted:
            first, last = wanted[len('bytes='):].split('-')
            data = data[int(first):int(last) + 1]
        step = 3
        return {}, iter([data[i:i + step]
                         for i in range(0, len(data), step)])


def test_large_download_reads_ranges_in_parallel_and_checks_md5(
        tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, 'PART_MIN', 1000)
    data = bytes(i % 253 for i in range(10000))
    swift = RangedSwift(data)
    monkeypatch.setattr(backup, 'connection', lambda ctx, url: swift)
    dest = tmp_path / 'restore.rdb'
    info = {'id': 'b-1', 'checksum': hashlib.md5(data).hexdigest(),
            'location': 'http://h/v1/AUTH_p/database_backups/b-1.rdb'}
    assert backup.download(Context(), info, str(dest), workers=4) == 10000
    assert dest.read_bytes() == data
    assert sorted(swift.ranges) == ['bytes=0-2499', 'bytes=2500-4999',
                                    'bytes=5000-7499', 'bytes=7500-9999']
    info['checksum'] = hashlib.md5(b'other').hexdigest()
    with pytest.raises(backup.ChecksumMismatch):
        backup.download(Context(), info, str(dest), workers=4)
    assert not dest.exists()


def test_checksum_mismatch_fails_before_redis_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(backup, 'connection',
                        lambda ctx, url: RangedSwift(b'REDIScorrupted'))
    app = FakeApp(str(tmp_path))
    info = {'id': 'b-1', 'checksum': hashlib.md5(b'REDISgood').hexdigest(),
            'region': 'RegionOne',
            'location': 'http://h/v1/AUTH_p/database_backups/b-1.rdb'}
    with pytest.raises(backup.ChecksumMismatch) as caught:
        guest_backup.restore_checked(app, info, Context())
    assert 'checksum mismatch' in str(caught.value)
    assert 'Redis was not started' in str(caught.value)
    assert app.restored is None and not app.started
    assert list(tmp_path.iterdir()) == []


def test_matching_checksum_puts_the_data_in_place(tmp_path, monkeypatch):
    monkeypatch.setattr(backup, 'connection',
                        lambda ctx, url: RangedSwift(b'REDISgood'))
    app = FakeApp(str(tmp_path))
    info = {'id': 'b-1', 'checksum': hashlib.md5(b'REDISgood').hexdigest(),
            'region': 'RegionTwo',
            'location': 'http://h/v1/AUTH_p/database_backups/b-1.rdb'}
    guest_backup.restore_checked(app, info, Context())
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


class _Chunks:
    """A stream of ``data`` read in pieces of at most 1000 bytes."""

    def __init__(self, data):
        self._data = data

    def read(self, size):
        piece, self._data = self._data[:min(size, 1000)], \
            self._data[min(size, 1000):]
        return piece


def test_stream_fitting_one_part_is_one_object_with_its_metadata(
        monkeypatch):
    monkeypatch.setattr(transfer, 'STREAM_PART', 4096)
    swift = FakeSwift()
    data = bytes(i % 251 for i in range(3000))
    md5, size = backup.upload_stream(swift, _Chunks(data), 'c', 'b.rdb',
                                     segment_size=1 << 20)
    assert (md5, size) == (hashlib.md5(data).hexdigest(), 3000)
    assert swift.objects == {('c', 'b.rdb'): data}
    assert swift.headers[('c', 'b.rdb')] == backup.backup_headers(md5, 3000)


def test_stream_is_segmented_in_order_and_cleaned_up_on_failure(
        monkeypatch):
    monkeypatch.setattr(transfer, 'STREAM_PART', 4096)
    data = bytes(i % 249 for i in range(10000))
    swift = FakeSwift()
    md5, size = backup.upload_stream(swift, _Chunks(data), 'c', 'b.rdb',
                                     segment_size=1 << 20, workers=2)
    assert size == 10000 and md5 == hashlib.md5(data).hexdigest()
    segments = sorted(k for k in swift.objects if k[0] == 'c_segments')
    assert segments == [('c_segments', 'b.rdb/%08d' % i) for i in range(3)]
    assert b''.join(swift.objects[k] for k in segments) == data
    assert swift.headers[('c', 'b.rdb')] == backup.backup_headers(md5,
                                                                  10000)

    failing = FakeSwift(fail_on_put=2)
    with pytest.raises(RuntimeError):
        backup.upload_stream(failing, _Chunks(data), 'c', 'b.rdb',
                             segment_size=1 << 20, workers=2)
    assert failing.objects == {} and failing.manifests == {}
