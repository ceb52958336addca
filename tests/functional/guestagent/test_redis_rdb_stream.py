"""Snapshots streamed from a real redis-server, and restores that start
the AOF from the restored file."""

import hashlib
import os

import pytest

from trove_mr.common import backup_objects
from trove_mr.guestagent.datastore.redis import backup
from trove_mr.guestagent.datastore.redis import errors
from trove_mr.guestagent.datastore.redis import rdb_stream


def _fill(client, count, size=100):
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        pipe.set('key-%d' % i, ('%d-' % i) + 'v' * size)
    pipe.execute()


@pytest.mark.parametrize('diskless', ['yes', 'no'])
def test_streamed_snapshot_restores_every_key_with_aof_on(
        redis_node_factory, tmp_path, diskless):
    source = redis_node_factory()
    source.start(timeout=10)
    _fill(source.client(), 20000)
    # 'no': Redis saves to disk and sends the length first.
    source.client().config_set('repl-diskless-sync', diskless)

    path = tmp_path / 'streamed.rdb'
    with rdb_stream.RdbStream(source, timeout=30) as stream, \
            open(path, 'wb') as f:
        for chunk in iter(lambda: stream.read(65536), b''):
            f.write(chunk)
        assert stream.done
    content = path.read_bytes()
    assert content.startswith(b'REDIS') and stream.size == len(content)
    # The source carried on as a master with no replica left behind.
    info = source.client().info('replication')
    assert info['role'] == 'master' and info['connected_slaves'] == 0
    source.client().set('after-snapshot', 'x')

    target = redis_node_factory()
    target.prepare_restore(str(path))
    assert not backup.restore_pending(target)
    target.start(timeout=30)
    client = target.client()
    assert client.dbsize() == 20000
    assert client.get('key-19999').startswith('19999-')
    assert client.get('after-snapshot') is None
    assert client.info('persistence')['aof_enabled'] == 1
    # Writes after the restore go to the AOF begun from the restored
    # file: a restart keeps both.
    client.set('written-after-restore', 'y')
    target.restart(timeout=30)
    assert client.dbsize() == 20001
    assert client.get('written-after-restore') == 'y'


def test_stream_refused_by_a_replica_out_of_sync(redis_node_factory):
    replica = redis_node_factory()
    replica.start(timeout=10)
    # Following a master that does not exist: never in sync.
    replica.client().replicaof('127.0.0.1', 1)
    with pytest.raises(errors.SnapshotError, match='refused'):
        rdb_stream.RdbStream(replica, timeout=10)


class _Swift:
    def __init__(self):
        self.objects = {}

    def put_container(self, container):
        pass

    def put_object(self, container, name, contents, content_length=None,
                   query_string=None, headers=None):
        data = contents if isinstance(contents, bytes) else \
            contents.encode()
        self.objects[(container, name)] = data
        return hashlib.md5(data).hexdigest()

    def delete_object(self, container, name, query_string=None):
        self.objects.pop((container, name), None)


def test_upload_stream_of_a_real_snapshot_in_segments(redis_node_factory,
                                                      monkeypatch):
    from trove_mr.common import backup_transfer
    monkeypatch.setattr(backup_transfer, 'STREAM_PART', 256 * 1024)
    node = redis_node_factory()
    node.start(timeout=10)
    pipe = node.client().pipeline(transaction=False)
    for i in range(3000):
        # Random values: RDB would compress repeated ones to nothing.
        pipe.set('key-%d' % i, os.urandom(300))
    pipe.execute()
    swift = _Swift()
    with rdb_stream.RdbStream(node, timeout=30) as stream:
        md5, size = backup_objects.upload_stream(swift, stream, 'c', 'b.rdb',
                                                 segment_size=1 << 30,
                                                 workers=3)
    segments = sorted(k for k in swift.objects if k[0] == 'c_segments')
    assert len(segments) == -(-size // (256 * 1024)) > 2
    data = b''.join(swift.objects[k] for k in segments)
    assert len(data) == size and hashlib.md5(data).hexdigest() == md5
    assert data.startswith(b'REDIS')
