"""Snapshots, restores and plain replication with real redis-server."""

import hashlib
import os
import signal
import time

import pytest

from trove_mr.guestagent.datastore.redis import backup
from trove_mr.guestagent.datastore.redis import errors


def _fill(client, count):
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        pipe.set('key-%d' % i, 'value-%d' % i)
    pipe.execute()


def test_snapshot_restores_every_key_on_a_new_node(redis_node_factory):
    source = redis_node_factory()
    source.start(timeout=10)
    _fill(source.client(), 10000)

    snap = source.snapshot(timeout=30)

    with open(snap['path'], 'rb') as f:
        content = f.read()
    assert snap['size'] == len(content)
    md5 = hashlib.md5(content).hexdigest()
    # A later save must not change the file being uploaded.
    source.client().set('after-snapshot', 'x')
    source.snapshot(timeout=30)
    with open(snap['path'], 'rb') as f:
        assert hashlib.md5(f.read()).hexdigest() == md5

    target = redis_node_factory()
    target.prepare_restore(snap['path'])
    target.start(timeout=30)

    client = target.client()
    assert client.dbsize() == 10000
    assert client.get('key-0') == 'value-0'
    assert client.get('key-9999') == 'value-9999'
    assert client.get('after-snapshot') is None
    assert client.info('persistence')['aof_enabled'] == 1
    assert not backup.restore_pending(target)

    # The data now lives in the AOF too: it survives a restart.
    target.restart(timeout=30)
    assert client.dbsize() == 10000
    backup.discard_snapshot(snap['path'])
    assert not os.path.exists(snap['path'])


def test_prepare_restore_refuses_a_running_node(redis_node_factory,
                                                 tmp_path):
    node = redis_node_factory()
    node.start(timeout=10)
    rdb = tmp_path / 'backup.rdb'
    rdb.write_bytes(b'REDIS0010')
    with pytest.raises(errors.RestoreError):
        node.prepare_restore(str(rdb))


def test_prepare_restore_refuses_a_file_that_is_not_rdb(redis_node_factory,
                                                        tmp_path):
    node = redis_node_factory()
    bogus = tmp_path / 'bogus.rdb'
    bogus.write_bytes(b'not a dump')
    with pytest.raises(errors.RestoreError):
        node.prepare_restore(str(bogus))
    assert not backup.restore_pending(node)


def test_replica_copies_master_and_can_be_promoted(redis_node_factory):
    master = redis_node_factory()
    replica = redis_node_factory()
    master.start(timeout=10)
    replica.start(timeout=10)
    master.client().set('written-on', 'master')

    replica.replication.replicate_from(master.address, master.port,
                                       master.password)
    replica.replication.wait_for_sync(timeout=20)

    info = replica.replication.replication_info()
    assert info['role'] == 'slave'
    assert info['master_host'] == master.address
    assert replica.client().get('written-on') == 'master'
    assert master.replication.replication_info()['connected_slaves'] == 1

    replica.replication.promote_to_master()

    assert replica.replication.replication_info()['role'] == 'master'
    replica.client().set('written-on', 'promoted')
    assert replica.client().get('written-on') == 'promoted'
    assert master.client().get('written-on') == 'master'


def test_replica_keeps_following_after_its_redis_server_restarts(
        redis_node_factory):
    master = redis_node_factory()
    replica = redis_node_factory()
    master.start(timeout=10)
    replica.start(timeout=10)
    replica.replication.replicate_from(master.address, master.port,
                                       master.password)
    replica.replication.wait_for_sync(timeout=20)
    # The role is kept beside redis.conf, readable by the owner only.
    assert os.stat(replica.replication.path).st_mode & 0o077 == 0

    # Killed (no clean shutdown), then started again as the agent does.
    os.kill(replica._live_pid(), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while replica.is_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    replica.start(timeout=10)
    with open(replica.conf_path) as f:
        assert 'replicaof %s %d' % (master.address, master.port) in f.read()
    replica.replication.wait_for_sync(timeout=20)
    master.client().set('after-restart', 'yes')
    deadline = time.monotonic() + 10
    while replica.client().get('after-restart') != 'yes':
        assert time.monotonic() < deadline, 'the replica did not follow'
        time.sleep(0.1)

    # Promoted, it forgets the role: a restart leaves it a master.
    replica.replication.promote_to_master()
    assert not os.path.exists(replica.replication.path)
    replica.restart(timeout=10)
    assert replica.replication.replication_info()['role'] == 'master'
