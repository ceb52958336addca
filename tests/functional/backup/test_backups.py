"""Backups, cross-region restores and replicas through the running system:
python-troveclient and raw HTTP against trove-mr-api, real guests,
redis-server and the local cloud's Swift."""

import contextlib
import sqlite3
import time

import pytest
import redis
import swiftclient

from tests.functional.api import helpers

KEYS = 10000
BACKUP_TIMEOUT = 180


def _redis(view, password):
    return redis.Redis(host=view['ip'][0], port=6379, password=password,
                       socket_timeout=10)


def _create(session, system, body):
    answer = helpers.request(session, 'POST',
                             helpers.url(system, session, '/instances'),
                             {'instance': body})
    assert answer.status_code == 202, answer.text
    created = answer.json()['instance']
    return created, helpers.url(system, session,
                                '/instances/' + created['id'])


def _wait_backup(session, backup_url, wanted='COMPLETED'):
    deadline = time.monotonic() + BACKUP_TIMEOUT
    view = None
    while time.monotonic() < deadline:
        answer = helpers.request(session, 'GET', backup_url)
        assert answer.status_code == 200, answer.text
        view = answer.json()['backup']
        if view['status'] == wanted:
            return view
        assert view['status'] != 'FAILED', view
        time.sleep(0.5)
    raise AssertionError('backup stayed %s' % (view and view['status']))


def _fault_details(system, instance_id):
    """What admins read of an instance's fault, from its cell database."""
    with contextlib.closing(sqlite3.connect(
            system.db_file_of(system.region_name))) as connection:
        return connection.execute(
            'SELECT fault_details FROM instances WHERE id = ?',
            (instance_id,)).fetchone()[0]


def _wait_error(session, instance_url, timeout=helpers.ACTIVE_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = helpers.request(session, 'GET', instance_url).json()[
            'instance']
        if view['status'] == 'ERROR':
            return view
        assert view['status'] != 'ACTIVE', view
        time.sleep(0.5)
    raise AssertionError('instance never reached ERROR')


@pytest.fixture(scope='module')
def backed_up(system):
    """An instance in RegionOne with 10,000 keys and its COMPLETED backup.
    """
    session = system.session('demo')
    created, instance_url = _create(session, system, {
        'name': 'bk-source', 'flavorRef': '7', 'volume': {'size': 1},
        'region': 'RegionOne'})
    view = helpers.wait_status(session, instance_url, 'ACTIVE')
    client = _redis(view, created['password'])
    pipe = client.pipeline(transaction=False)
    for i in range(KEYS):
        pipe.set('key:%d' % i, 'value-%d' % i)
    pipe.execute()
    client.close()
    trove = system.trove('demo')
    backup = trove.backups.create('bk-1', created['id'],
                                  description='10k keys')
    assert backup.status == 'NEW'
    backup_url = helpers.url(system, session, '/backups/' + backup.id)
    done = _wait_backup(session, backup_url)
    yield {'instance': created, 'instance_url': instance_url,
           'backup': done, 'backup_url': backup_url}
    helpers.request(session, 'DELETE', instance_url)


def test_backup_is_completed_in_region_one_with_checksum_and_listed(
        system, backed_up):
    backup = backed_up['backup']
    assert backup['region'] == 'RegionOne'
    assert backup['instance_id'] == backed_up['instance']['id']
    assert len(backup['checksum']) == 32 and backup['size'] > 0
    assert backup['datastore']['type'] == 'redis'
    trove = system.trove('demo')
    assert backup['id'] in [b.id for b in trove.backups.list()]
    assert [b.id for b in trove.instances.backups(
        backed_up['instance']['id'])] == [backup['id']]
    # The instance is free again once the backup is done.
    helpers.wait_status(system.session('demo'), backed_up['instance_url'],
                        'ACTIVE', timeout=30)


def test_restore_into_region_two_has_every_key(system, backed_up):
    session = system.session('demo')
    created, instance_url = _create(session, system, {
        'name': 'bk-restored', 'flavorRef': '7', 'volume': {'size': 1},
        'region': 'RegionTwo',
        'restorePoint': {'backupRef': backed_up['backup']['id']}})
    try:
        view = helpers.wait_status(session, instance_url, 'ACTIVE')
        assert view['region'] == 'RegionTwo'
        client = _redis(view, created['password'])
        assert client.dbsize() == KEYS
        values = client.mget(['key:%d' % i for i in range(KEYS)])
        assert values == [b'value-%d' % i for i in range(KEYS)]
        client.close()
    finally:
        helpers.request(session, 'DELETE', instance_url)


def test_another_tenant_cannot_see_or_restore_the_backup(system, backed_up):
    alt = system.session('alt_demo')
    backup_id = backed_up['backup']['id']
    answer = helpers.request(alt, 'GET',
                             helpers.url(system, alt, '/backups/' + backup_id))
    assert answer.status_code == 404
    answer = helpers.request(alt, 'DELETE',
                             helpers.url(system, alt, '/backups/' + backup_id))
    assert answer.status_code == 404
    answer = helpers.request(alt, 'POST',
                             helpers.url(system, alt, '/instances'),
                             {'instance': {
                                 'name': 'thief', 'flavorRef': '7',
                                 'volume': {'size': 1},
                                 'restorePoint': {'backupRef': backup_id}}})
    assert answer.status_code == 404


def test_corrupted_object_fails_restore_with_checksum_fault(system):
    session = system.session('demo')
    created, source_url = _create(session, system, {
        'name': 'bk-corrupt-src', 'flavorRef': '7', 'volume': {'size': 1}})
    helpers.wait_status(session, source_url, 'ACTIVE')
    backup = system.trove('demo').backups.create('bk-bad', created['id'])
    backup_url = helpers.url(system, session, '/backups/' + backup.id)
    done = _wait_backup(session, backup_url)
    swift = swiftclient.Connection(session=session,
                                   os_options={'region_name': 'RegionOne'})
    container, name = done['location'].split('/')[-2:]
    swift.put_object(container, name, b'REDIS0011' + b'\0' * 64)
    restored, restored_url = _create(session, system, {
        'name': 'bk-corrupt-dst', 'flavorRef': '7', 'volume': {'size': 1},
        'region': 'RegionTwo', 'restorePoint': {'backupRef': backup.id}})
    try:
        view = _wait_error(session, restored_url)
        # The tenant reads the kind of failure; the guest's full text
        # (md5 sums, sizes, regions) is kept for admins.
        assert 'failed its checksum check' in view['fault']['message']
        assert 'Redis was not started' in view['fault']['message']
        assert 'expected md5' not in view['fault']['message']
        assert 'checksum mismatch' in _fault_details(system, restored['id'])
    finally:
        helpers.request(session, 'DELETE', restored_url)
        helpers.request(session, 'DELETE', source_url)
    # Deleting the instances kept the backup; deleting it removes it.
    assert helpers.request(session, 'GET', backup_url).status_code == 200
    assert helpers.request(session, 'DELETE', backup_url).status_code == 202
    helpers.wait_gone(session, backup_url)
    with pytest.raises(swiftclient.ClientException):
        swift.head_object(container, name)


def test_replica_in_region_two_follows_and_promotion_swaps_roles(system):
    session = system.session('demo')
    master, master_url = _create(session, system, {
        'name': 'rep-master', 'flavorRef': '7', 'volume': {'size': 1},
        'region': 'RegionOne'})
    master_view = helpers.wait_status(session, master_url, 'ACTIVE')
    replica, replica_url = _create(session, system, {
        'name': 'rep-replica', 'flavorRef': '7', 'volume': {'size': 1},
        'region': 'RegionTwo', 'replica_of': master['id']})
    try:
        replica_view = helpers.wait_status(session, replica_url, 'ACTIVE')
        assert replica_view['replica_of']['id'] == master['id']
        shown = helpers.request(session, 'GET', master_url).json()[
            'instance']
        assert [r['id'] for r in shown['replicas']] == [replica['id']]
        writer = _redis(master_view, master['password'])
        reader = _redis(replica_view, replica['password'])
        writer.set('written-on-master', 'yes')
        deadline = time.monotonic() + 10
        while reader.get('written-on-master') != b'yes':
            assert time.monotonic() < deadline, 'replica never saw it'
            time.sleep(0.1)
        with pytest.raises(redis.ReadOnlyError):
            reader.set('on-replica', 'no')

        system.trove('demo').instances.promote_to_replica_source(
            replica['id'])
        helpers.wait_status(session, replica_url, 'ACTIVE', timeout=60)
        reader.set('on-new-master', 'yes')
        deadline = time.monotonic() + 10
        while writer.get('on-new-master') != b'yes':
            assert time.monotonic() < deadline, 'old master never saw it'
            time.sleep(0.1)
        with pytest.raises(redis.ReadOnlyError):
            writer.set('on-old-master', 'no')
        promoted = helpers.request(session, 'GET', replica_url).json()[
            'instance']
        assert 'replica_of' not in promoted
        assert [r['id'] for r in promoted['replicas']] == [master['id']]
        writer.close()
        reader.close()
    finally:
        # Replicas go first: a master with replicas is not deleted. After
        # the promotion the first instance is the replica.
        helpers.request(session, 'DELETE', master_url)
        if helpers.request(session, 'DELETE',
                           replica_url).status_code == 400:
            helpers.wait_gone(session, master_url, timeout=120)
            helpers.request(session, 'DELETE', replica_url)
