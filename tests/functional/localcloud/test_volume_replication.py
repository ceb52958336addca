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
