"""Backups through either region's API when each region has its own cell:
a backup owned by RegionTwo's cell is made, shown, restored and deleted
through RegionOne's API; backup strategies choose the container; a backup
registered from its Swift URL (``--restore-from``) is restored; and the
``openstack database backup list`` of each region shows the same
backups."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import redis
import swiftclient
from troveclient import exceptions as trove_exc

from tests.fixtures import devenv

KEYS = 500
TIMEOUT = 240


def _wait(get, done, timeout=TIMEOUT, what='resource'):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = get()
        if done(last):
            return last
        assert getattr(last, 'status', None) not in ('ERROR', 'FAILED'), \
            last
        time.sleep(1)
    raise AssertionError('%s stayed %s' % (what, getattr(last, 'status',
                                                         last)))


def _active(trove, instance_id):
    return _wait(lambda: trove.instances.get(instance_id),
                 lambda i: i.status == 'ACTIVE', what=instance_id)


def _completed(trove, backup_id):
    return _wait(lambda: trove.backups.get(backup_id),
                 lambda b: b.status == 'COMPLETED', what=backup_id)


def _gone(get, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            get()
        except trove_exc.NotFound:
            return
        time.sleep(1)
    raise AssertionError('still there')


def _redis(instance, password):
    return redis.Redis(host=instance.ip[0], port=6379, password=password,
                       socket_timeout=10)


@pytest.fixture(scope='module')
def two_cells():
    env = devenv.DevEnv(tempfile.mkdtemp(prefix='trove-mr-bkroute-'),
                        cells=True, taskmanagers=1,
                        conf_overrides={'api': {'cell_timeout': '5'}})
    try:
        env.start(timeout=180)
    except Exception:
        env.stop()
        shutil.rmtree(env.state_dir, ignore_errors=True)
        raise
    yield env
    env.stop()
    shutil.rmtree(env.state_dir, ignore_errors=True)


@pytest.fixture(scope='module')
def source(two_cells):
    """An instance of RegionTwo's cell, in RegionTwo, with keys, and its
    backup made through RegionOne's API."""
    two = two_cells.trove('demo', region_name='RegionTwo')
    one = two_cells.trove('demo', region_name='RegionOne')
    created = two.instances.create('bk-route-src', flavor_id='7',
                                   volume={'size': 1},
                                   region_name='RegionTwo')
    instance = _active(two, created.id)
    client = _redis(instance, created.password)
    client.mset({'k:%d' % i: 'v-%d' % i for i in range(KEYS)})
    client.close()
    backup = one.backups.create('bk-route', created.id)
    done = _completed(one, backup.id)
    yield {'instance': created, 'backup': done}
    try:
        two.instances.delete(created.id)
    except trove_exc.ClientException:
        pass


def test_backup_of_regiontwo_cell_is_shown_through_both_apis(
        two_cells, source):
    backup = source['backup']
    assert backup.region == 'RegionTwo'
    assert backup.instance_id == source['instance'].id
    for region in ('RegionOne', 'RegionTwo'):
        trove = two_cells.trove('demo', region_name=region)
        shown = trove.backups.get(backup.id)
        assert shown.checksum == backup.checksum
        assert shown.datastore['type'] == 'redis'
        assert backup.id in {b.id for b in trove.backups.list()}
    alt = two_cells.trove('alt_demo', region_name='RegionOne')
    with pytest.raises(trove_exc.NotFound):
        alt.backups.get(backup.id)


def test_openstack_cli_lists_the_backup_through_each_region(
        two_cells, source):
    env = dict(os.environ,
               OS_CLIENT_CONFIG_FILE=two_cells.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    for region in ('RegionOne', 'RegionTwo'):
        done = subprocess.run(
            [cli, '--os-cloud', 'demo', '--os-region-name', region,
             'database', 'backup', 'list', '-f', 'json'],
            env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert source['backup'].id in {b['ID'] for b in
                                       json.loads(done.stdout)}
        done = subprocess.run(
            [cli, '--os-cloud', 'demo', '--os-region-name', region,
             'database', 'backup', 'show', source['backup'].id, '-f',
             'json'], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)['region'] == 'RegionTwo'


def _restore_and_check(trove, name, backup_id, region):
    created = trove.instances.create(
        name, flavor_id='7', volume={'size': 1}, region_name=region,
        restorePoint={'backupRef': backup_id})
    try:
        instance = _active(trove, created.id)
        client = _redis(instance, created.password)
        assert client.dbsize() == KEYS
        assert client.get('k:%d' % (KEYS - 1)) == b'v-%d' % (KEYS - 1)
        client.close()
    finally:
        trove.instances.delete(created.id)


def test_restore_through_regionone_from_a_regiontwo_cell_backup(
        two_cells, source):
    one = two_cells.trove('demo', region_name='RegionOne')
    _restore_and_check(one, 'bk-route-restored', source['backup'].id,
                       'RegionOne')


def test_restore_from_url_registers_a_backup_that_restores(
        two_cells, source):
    one = two_cells.trove('demo', region_name='RegionOne')
    location = source['backup'].locationRef
    registered = one.backups.create('bk-imported', None,
                                    restore_from=location)
    assert registered.status == 'COMPLETED'
    assert registered.locationRef == location
    assert registered.checksum == source['backup'].checksum
    assert registered.region == 'RegionTwo'
    _restore_and_check(one, 'bk-imported-restored', registered.id,
                       'RegionOne')
    # A URL that is not a backup is refused.
    with pytest.raises(trove_exc.BadRequest) as refused:
        one.backups.create('bk-bogus', None,
                           restore_from=location + '.missing')
    assert 'No backup object' in str(refused.value)
    # Deleting the registration leaves the object it points at.
    one.backups.delete(registered.id)
    _gone(lambda: one.backups.get(registered.id))
    assert one.backups.get(source['backup'].id).status == 'COMPLETED'
    session = two_cells.session('demo')
    swift = swiftclient.Connection(session=session,
                                   os_options={'region_name': 'RegionTwo'})
    container, name = location.split('/')[-2:]
    headers = swift.head_object(container, name)
    assert headers['x-object-meta-backup-checksum'] == \
        source['backup'].checksum


def test_backup_strategy_chooses_the_container(two_cells, source):
    one = two_cells.trove('demo', region_name='RegionOne')
    instance_id = source['instance'].id
    strategy = one.backup_strategies.create(instance_id=instance_id,
                                            swift_container='route-box')
    assert strategy.swift_container == 'route-box'
    listed = one.backup_strategies.list(instance_id=instance_id)
    assert [s.swift_container for s in listed] == ['route-box']
    two = two_cells.trove('demo', region_name='RegionTwo')
    _active(two, instance_id)
    backup = one.backups.create('bk-in-box', instance_id)
    done = _completed(one, backup.id)
    assert done.locationRef.split('/')[-2] == 'route-box'
    session = two_cells.session('demo')
    swift = swiftclient.Connection(session=session,
                                   os_options={'region_name': 'RegionTwo'})
    swift.head_object('route-box', done.locationRef.split('/')[-1])
    one.backup_strategies.delete(instance_id=instance_id)
    assert one.backup_strategies.list(instance_id=instance_id) == []
    # Deleted through RegionOne's API by RegionTwo's cell: the object
    # goes with it.
    one.backups.delete(done.id)
    _gone(lambda: two.backups.get(done.id))
    with pytest.raises(swiftclient.ClientException):
        swift.head_object('route-box', done.locationRef.split('/')[-1])
