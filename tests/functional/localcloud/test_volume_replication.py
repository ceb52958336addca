"""Cinder replication actions of the local cloud (replication seed)."""

import os
import time

from cinderclient import client as cinder_client
from keystoneauth1 import exceptions as ks_exc


def _action(sess, volume_id, body, region='RegionOne'):
    return sess.post('/volumes/%s/action' % volume_id, json=body,
                     endpoint_filter={'service_type': 'volumev3',
                                      'region_name': region,
                                      'interface': 'public'})


def test_failover_switches_volume_to_its_replica(cloud, trove_session):
    cinder = cinder_client.Client('3.0', session=trove_session,
                                  region_name='RegionOne')
    volume = cinder.volumes.create(1, volume_type='replicated')
    with open(os.path.join(cloud.state_dir, 'volumes', volume.id,
                           'dump.rdb'), 'w') as f:
        f.write('data')
    targets = _action(trove_session, volume.id,
                      {'os-list_replication_targets': {}}).json()
    assert [t['backend_id'] for t in targets['targets']] == \
        ['lvm-RegionOne-replica']

    _action(trove_session, volume.id, {'os-enable_replication': {}})
    deadline = time.monotonic() + 5
    while cinder.volumes.get(volume.id).replication_status != 'enabled':
        assert time.monotonic() < deadline
        time.sleep(0.02)
    _action(trove_session, volume.id, {'os-failover_replication': {
        'secondary': 'lvm-RegionOne-replica'}})
    failed_over = cinder.volumes.get(volume.id)
    assert failed_over.replication_status == 'failed-over'
    assert 'replica' in getattr(failed_over, 'os-vol-host-attr:host')
    replica = os.path.join(cloud.state_dir, 'replicas', volume.id,
                           'dump.rdb')
    with open(replica) as f:
        assert f.read() == 'data'


def test_replication_is_hidden_from_tenants(cloud, trove_session):
    demo = cloud.session('demo')
    cinder = cinder_client.Client('3.0', session=demo,
                                  region_name='RegionOne')
    volume = cinder.volumes.create(1, volume_type='replicated')
    assert not hasattr(volume, 'replication_status')
    try:
        _action(demo, volume.id, {'os-enable_replication': {}})
    except ks_exc.Forbidden:
        pass
    else:
        raise AssertionError('a tenant enabled replication')


def test_plain_volume_type_refuses_replication(trove_session):
    cinder = cinder_client.Client('3.0', session=trove_session,
                                  region_name='RegionOne')
    volume = cinder.volumes.create(1)
    try:
        _action(trove_session, volume.id, {'os-enable_replication': {}})
    except ks_exc.BadRequest as exc:
        assert 'not replication capable' in str(exc.response.text)
    else:
        raise AssertionError('replication enabled on a plain volume')


def _wait_synced_after(cinder, volume_id, since, timeout=15):
    """The volume once a copy finished after ``since`` (ISO text)."""
    deadline = time.monotonic() + timeout
    while True:
        volume = cinder.volumes.get(volume_id)
        last = volume._info.get('replication_last_sync_at')
        if last and last > since:
            return volume
        assert time.monotonic() < deadline, 'no copy after %s' % since
        time.sleep(0.1)


def _faults(cloud, body):
    sess = cloud.session('admin')
    resp = sess.post(cloud.url + '/localcloud/faults',
                     json=dict(body, region='RegionOne'))
    assert resp.ok


def test_copies_follow_writes_until_the_primary_is_lost(cloud,
                                                        trove_session):
    from trove_mr_localcloud import replication
    cinder = cinder_client.Client('3.0', session=trove_session,
                                  region_name='RegionOne')
    volume = cinder.volumes.create(1, volume_type='replicated')
    primary = os.path.join(cloud.state_dir, 'volumes', volume.id)
    with open(os.path.join(primary, 'appendonly.aof'), 'w') as f:
        f.write('one\n')
    _action(trove_session, volume.id, {'os-enable_replication': {}})
    first = _wait_synced_after(cinder, volume.id, '')
    assert first.replication_status == 'enabled'

    # A later write reaches the replica with a later copy (async).
    with open(os.path.join(primary, 'appendonly.aof'), 'a') as f:
        f.write('two\n')
    mark = replication.now_iso()
    _wait_synced_after(cinder, volume.id, mark)
    replica = os.path.join(cloud.state_dir, 'replicas', volume.id,
                           'appendonly.aof')
    with open(replica) as f:
        assert f.read() == 'one\ntwo\n'

    # Lost primary: nothing is copied any more, and the failover promotes
    # the last copy; the write after it is lost.
    _faults(cloud, {'primary_unreadable': True})
    try:
        with open(os.path.join(primary, 'appendonly.aof'), 'a') as f:
            f.write('three\n')
        last = cinder.volumes.get(volume.id)._info[
            'replication_last_sync_at']
        time.sleep(3)
        assert cinder.volumes.get(volume.id)._info[
            'replication_last_sync_at'] == last
        _action(trove_session, volume.id, {'os-failover_replication': {}})
    finally:
        _faults(cloud, {'primary_unreadable': False})
    assert cinder.volumes.get(volume.id).replication_status == 'failed-over'
    with open(replica) as f:
        assert f.read() == 'one\ntwo\n'


def test_pools_show_replication_targets_to_admins_only(cloud,
                                                       trove_session):
    cinder = cinder_client.Client('3.0', session=trove_session,
                                  region_name='RegionTwo')
    pools = cinder.pools.list(detailed=True)
    primary = [p for p in pools if p.name.endswith('#primary')][0]
    assert primary.replication_targets == [
        {'backend_id': 'lvm-RegionTwo-replica', 'type': 'managed'}]
    demo = cinder_client.Client('3.0', session=cloud.session('demo'),
                                region_name='RegionTwo')
    try:
        demo.pools.list(detailed=True)
    except Exception as exc:  # noqa: BLE001 - cinderclient's Forbidden
        assert getattr(exc, 'code', None) == 403
    else:
        raise AssertionError('a tenant listed the backends')


def test_volume_type_marked_replication_capable(cloud, trove_session):
    cinder = cinder_client.Client('3.0', session=trove_session,
                                  region_name='RegionTwo')
    cinder.volume_types.create('ha-gold').set_keys(
        {'replication_capable': 'True'})
    volume = cinder.volumes.create(1, volume_type='ha-gold')
    targets = _action(trove_session, volume.id,
                      {'os-list_replication_targets': {}},
                      region='RegionTwo').json()
    assert targets['targets'], 'the type is not replication capable'


def test_failed_over_volume_is_protected_again_towards_the_primary(
        cloud, trove_session):
    cinder = cinder_client.Client('3.0', session=trove_session,
                                  region_name='RegionTwo')
    volume = cinder.volumes.create(1, volume_type='replicated')
    primary = os.path.join(cloud.state_dir, 'volumes', volume.id)
    with open(os.path.join(primary, 'dump.rdb'), 'w') as f:
        f.write('first')
    _action(trove_session, volume.id, {'os-enable_replication': {}},
            region='RegionTwo')
    _wait_synced_after(cinder, volume.id, '')
    _action(trove_session, volume.id, {'os-failover_replication': {}},
            region='RegionTwo')
    replica = os.path.join(cloud.state_dir, 'replicas', volume.id)
    with open(os.path.join(replica, 'dump.rdb'), 'w') as f:
        f.write('second')

    _action(trove_session, volume.id, {'os-enable_replication': {}},
            region='RegionTwo')
    targets = _action(trove_session, volume.id,
                      {'os-list_replication_targets': {}},
                      region='RegionTwo').json()['targets']
    assert [t['backend_id'] for t in targets] == ['lvm-RegionTwo']
    _wait_synced_after(cinder, volume.id, '')
    _action(trove_session, volume.id, {'os-failover_replication': {}},
            region='RegionTwo')
    back = cinder.volumes.get(volume.id)
    assert getattr(back, 'os-vol-host-attr:host').endswith('#primary')
    with open(os.path.join(primary, 'dump.rdb')) as f:
        assert f.read() == 'second'
