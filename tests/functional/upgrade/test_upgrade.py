"""Datastore version upgrade through python-troveclient and the CLI.

An instance in RegionTwo and a three-member cluster over both regions are
upgraded from Redis 7.0 to 7.2 (the second version every DevEnv
registers, with its own image in each region): the local Nova rebuilds
each server from the 7.2 image, keeping its id, address and volume; the
data written before is read back from the real redis-server after.
"""

import glob
import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import redis
from troveclient import exceptions as trove_exc

from tests.fixtures import devenv
from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers as cluster_helpers

TARGET = devenv.UPGRADE_VERSION
KEYS = 200
UPGRADE_TIMEOUT = 240


def _wait(check, timeout, what, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError('timed out waiting for %s (last: %r)'
                         % (what, last))


def _client(ip, password):
    return redis.Redis(host=ip, port=6379, password=password,
                       decode_responses=True, socket_timeout=5)


def _server(system, region, server_id):
    return api_helpers.service_nova(system, region).servers.get(server_id)


def _image(system, region, name):
    from glanceclient import client as glance_client
    glance = glance_client.Client('2', session=system.session('admin'),
                                  region_name=region)
    (image,) = list(glance.images.list(filters={'name': name}))
    return image


def _guest_marker(system, server_id):
    """What the guest recorded on its volume (its prepare marker)."""
    (volumes_file,) = glob.glob(os.path.join(
        system.state_dir, 'cloud', '**', 'servers', server_id,
        'volumes.json'), recursive=True)
    with open(volumes_file) as f:
        volume_path = json.load(f)[0]['path']
    with open(os.path.join(volume_path, 'trove-mr-guest.json')) as f:
        return json.load(f)


def _openstack(system, *args):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    return subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database'] + list(args), env=env, capture_output=True, text=True,
        timeout=120)


@pytest.fixture(scope='module')
def instance(system):
    """An ACTIVE 7.0 instance in RegionTwo holding KEYS keys."""
    trove = system.trove('demo')
    created = trove.instances.create(
        'upgrade-me', '7', volume={'size': 1}, region_name='RegionTwo',
        datastore='redis', datastore_version=devenv.DATASTORE_VERSION)
    session = system.session('demo')
    url = api_helpers.url(system, session, '/instances/' + created.id)
    view = api_helpers.wait_status(session, url, 'ACTIVE')
    client = _client(view['ip'][0], created.password)
    try:
        for index in range(KEYS):
            client.set('key-%d' % index, 'value-%d' % index)
    finally:
        client.close()
    state = {'id': created.id, 'password': created.password, 'url': url,
             'view': view, 'session': session}
    yield state
    # An instance being upgraded cannot be deleted before the job ends.
    _wait(lambda: api_helpers.request(session, 'GET', url).json()[
        'instance']['status'] != 'UPGRADE', UPGRADE_TIMEOUT,
        'the end of the upgrade')
    api_helpers.request(session, 'DELETE', url)
    api_helpers.wait_gone(session, url)


def test_refuses_unknown_same_inactive_and_other_datastore_versions(
        system, instance):
    trove = system.trove('demo')
    with pytest.raises(trove_exc.NotFound) as caught:
        trove.instances.upgrade(instance['id'], '9.9-nope')
    assert '9.9-nope' in str(caught.value)
    with pytest.raises(trove_exc.BadRequest) as caught:
        trove.instances.upgrade(instance['id'], devenv.DATASTORE_VERSION)
    assert 'already' in str(caught.value)
    system.manage('datastore_version_update', 'redis', '6.2-off', 'redis',
                  devenv.IMAGE_NAME, '--image-tags', 'trove,redis',
                  '--inactive')
    with pytest.raises(trove_exc.BadRequest) as caught:
        trove.instances.upgrade(instance['id'], '6.2-off')
    assert 'not active' in str(caught.value)
    system.manage('datastore_update', 'valkey-upgrade-test', '')
    system.manage('datastore_version_update', 'valkey-upgrade-test', '8.0',
                  'redis', devenv.IMAGE_NAME, '--active')
    with pytest.raises(trove_exc.BadRequest) as caught:
        trove.instances.upgrade(instance['id'], '8.0')
    assert "datastore 'valkey-upgrade-test'" in str(caught.value)
    with pytest.raises(trove_exc.NotFound):
        system.trove('alt_demo').instances.upgrade(instance['id'], TARGET)
    # Nothing changed: still ACTIVE on 7.0.
    shown = trove.instances.get(instance['id'])
    assert shown.status == 'ACTIVE'
    assert shown.datastore['version'] == devenv.DATASTORE_VERSION


def test_upgrade_rebuilds_the_server_and_keeps_the_data(system, instance):
    trove = system.trove('demo')
    view = instance['view']
    before = _server(system, 'RegionTwo', _server_id(system, instance['id']))
    old_image = _image(system, 'RegionTwo', devenv.IMAGE_NAME)
    assert before.image['id'] == old_image['id']
    trove.instances.upgrade(instance['id'], TARGET)
    # The task is UPGRADING until the job ends: a second request is 409.
    with pytest.raises(trove_exc.Conflict) as caught:
        trove.instances.upgrade(instance['id'], TARGET)
    assert 'UPGRAD' in str(caught.value)
    seen = _wait(lambda: trove.instances.get(instance['id']).status in
                 ('UPGRADE', 'ACTIVE') and
                 trove.instances.get(instance['id']), 30, 'UPGRADE')
    assert seen.status in ('UPGRADE', 'ACTIVE')

    def upgraded():
        shown = trove.instances.get(instance['id'])
        assert shown.status != 'ERROR', getattr(shown, 'fault', shown)
        return shown if (shown.status == 'ACTIVE' and
                         shown.datastore['version'] == TARGET) else None
    shown = _wait(upgraded, UPGRADE_TIMEOUT, 'the upgrade to %s' % TARGET)
    assert shown.ip == view['ip']
    after = _server(system, 'RegionTwo', before.id)
    assert after.id == before.id
    assert after.image['id'] == _image(system, 'RegionTwo',
                                       devenv.UPGRADE_IMAGE_NAME)['id']
    assert [v['id'] for v in getattr(
        after, 'os-extended-volumes:volumes_attached')] == [
        v['id'] for v in getattr(
            before, 'os-extended-volumes:volumes_attached')]
    client = _client(view['ip'][0], instance['password'])
    try:
        assert client.dbsize() == KEYS
        assert client.get('key-7') == 'value-7'
        assert client.get('key-%d' % (KEYS - 1)) == 'value-%d' % (KEYS - 1)
    finally:
        client.close()
    marker = _guest_marker(system, before.id)
    assert marker['datastore_version'] == TARGET
    assert marker['stopped'] is False


def _server_id(system, instance_id):
    servers = api_helpers.named(
        api_helpers.service_nova(system, 'RegionTwo').servers.list(),
        instance_id)
    assert len(servers) == 1
    return servers[0].id


def test_openstack_cli_upgrades_back_and_refuses_the_current_version(
        system, instance):
    done = _openstack(system, 'instance', 'upgrade', instance['id'], TARGET)
    assert done.returncode != 0
    assert 'already' in done.stderr
    done = _openstack(system, 'instance', 'upgrade', instance['id'],
                      devenv.DATASTORE_VERSION)
    assert done.returncode == 0, done.stderr
    trove = system.trove('demo')

    def back():
        shown = trove.instances.get(instance['id'])
        assert shown.status != 'ERROR', getattr(shown, 'fault', shown)
        return shown if (shown.status == 'ACTIVE' and shown.datastore[
            'version'] == devenv.DATASTORE_VERSION) else None
    _wait(back, UPGRADE_TIMEOUT, 'the upgrade back to 7.0')
    client = _client(instance['view']['ip'][0], instance['password'])
    try:
        assert client.dbsize() == KEYS
    finally:
        client.close()


def _state_ok(ip, password):
    """CLUSTER INFO of the node at ``ip`` once its state is ok."""
    info = cluster_helpers.cluster_info(ip, password)
    return info if info['cluster_state'] == 'ok' else None


MEMBERS = [{'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionOne'},
           {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionOne'},
           {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionTwo'}]


def test_cluster_upgrade_keeps_keys_and_state_ok(system):
    session = system.session('demo')
    answer = api_helpers.request(
        session, 'POST', cluster_helpers.clusters_url(system, session),
        {'cluster': {'name': 'upgrade-cluster',
                     'datastore': {'type': 'redis', 'version': '7.0'},
                     'instances': MEMBERS}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = cluster_helpers.clusters_url(system, session, '/' + created['id'])
    password = created['password']
    try:
        view = cluster_helpers.wait_ready(session, url)
        client = redis.RedisCluster(host=view['ip'][0], port=6379,
                                    password=password,
                                    decode_responses=True)
        values = {'k-%s' % uuid.uuid4().hex: str(i) for i in range(300)}
        for key, value in values.items():
            client.set(key, value)
        client.close()
        trove = system.trove('demo')
        with pytest.raises(trove_exc.BadRequest):
            trove.clusters.upgrade(created['id'], '7.0')
        with pytest.raises(trove_exc.NotFound):
            system.trove('alt_demo').clusters.upgrade(created['id'], TARGET)
        trove.clusters.upgrade(created['id'], TARGET)
        busy = cluster_helpers.get(session, url).json()['cluster']
        assert busy['task']['name'] in ('UPGRADING_CLUSTER', 'NONE')
        done = cluster_helpers.wait_ready(session, url,
                                          timeout=UPGRADE_TIMEOUT)
        assert done['datastore']['version'] == TARGET
        assert sorted(done['ip']) == sorted(view['ip'])
        for member in done['instances']:
            shown = trove.instances.get(member['id'])
            assert shown.datastore['version'] == TARGET
        for ip in done['ip']:
            info = _wait(lambda ip=ip: _state_ok(ip, password), 30,
                         'cluster_state:ok at %s' % ip)
            assert info['cluster_slots_assigned'] == 16384
        client = redis.RedisCluster(host=done['ip'][0], port=6379,
                                    password=password,
                                    decode_responses=True)
        try:
            assert {k: client.get(k) for k in values} == values
        finally:
            client.close()
    finally:
        if cluster_helpers.get(session, url).status_code == 200:
            api_helpers.request(session, 'DELETE', url)
            cluster_helpers.wait_gone(session, url)
