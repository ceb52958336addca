"""Flavor and volume resize end to end: python-troveclient and the
openstack CLI against the running system, a guest in RegionTwo, and Redis
itself checked (its memory limit, its data)."""

import os
import subprocess
import sys
import time
import uuid

import pytest
import redis
from troveclient import exceptions as trove_exc

from tests.fixtures import devenv
from tests.functional.api import helpers

REGION = 'RegionTwo'
MB = 1024 * 1024
# [redis] maxmemory_percent's default: Redis may use 75% of the RAM.
PERCENT = 75
# Flavors of the local cloud: id -> RAM in MB.
RAM = {'1': 512, '7': 1024, '2': 2048}
KEYS = 200


@pytest.fixture(scope='module')
def system():
    # A volume quota of 4 GB per project, so that growing past it is
    # refused with 413.
    with devenv.running('trove-mr-resize-', conf_overrides={
            'DEFAULT': {'max_volumes_per_tenant': '4'}}) as env:
        yield env


@pytest.fixture(scope='module')
def instance(system):
    """An ACTIVE m1.tiny instance in RegionTwo holding KEYS keys."""
    trove = system.trove('demo')
    created = trove.instances.create('resized', '1', volume={'size': 1},
                                     region_name=REGION)
    session = system.session('demo')
    url = helpers.url(system, session, '/instances/' + created.id)
    view = helpers.wait_status(session, url, 'ACTIVE')
    client = redis.Redis(host=view['ip'][0], port=6379,
                         password=created.password, socket_timeout=10,
                         decode_responses=True)
    client.mset({'key-%d' % i: 'value-%d' % i for i in range(KEYS)})
    yield {'id': created.id, 'url': url, 'redis': client,
           'password': created.password}
    client.close()
    helpers.request(session, 'DELETE', url)
    helpers.wait_gone(session, url, timeout=120)


def _maxmemory(client):
    return int(client.config_get('maxmemory')['maxmemory'])


def _data_kept(client):
    values = client.mget(['key-%d' % i for i in range(KEYS)])
    return values == ['value-%d' % i for i in range(KEYS)]


def _wait_active_after_resize(system, instance, done, timeout=240):
    """Wait until the instance is ACTIVE and ``done(view)``; returns
    (statuses seen, final view)."""
    session = system.session('demo')
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = helpers.request(session, 'GET', instance['url'])
        view = answer.json()['instance']
        if not seen or seen[-1] != view['status']:
            seen.append(view['status'])
        assert view['status'] != 'ERROR', view
        if view['status'] == 'ACTIVE' and done(view):
            return seen, view
        time.sleep(0.3)
    raise AssertionError('resize did not end: %s' % seen)


def _openstack(system, *args):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    done = subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database', 'instance'] + list(args),
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _server(system, instance_id):
    (server,) = helpers.named(
        helpers.service_nova(system, REGION).servers.list(), instance_id)
    return server


def _volume(system, instance_id):
    (volume,) = helpers.named(
        helpers.service_cinder(system, REGION).volumes.list(), instance_id)
    return volume


def test_the_memory_limit_follows_the_flavor_from_the_start(instance):
    assert _maxmemory(instance['redis']) == RAM['1'] * MB * PERCENT // 100


def test_refused_resizes_are_4xx_and_change_nothing(system, instance):
    trove = system.trove('demo')
    with pytest.raises(trove_exc.NotFound) as unknown:
        trove.instances.resize_instance(instance['id'], '999')
    assert REGION in str(unknown.value)
    with pytest.raises(trove_exc.BadRequest) as same_flavor:
        trove.instances.resize_instance(instance['id'], 'm1.tiny')
    assert 'must be different' in str(same_flavor.value)
    with pytest.raises(trove_exc.BadRequest) as same_size:
        trove.instances.resize_volume(instance['id'], 1)
    assert 'must be larger' in str(same_size.value)
    with pytest.raises(trove_exc.RequestEntityTooLarge) as over_quota:
        trove.instances.resize_volume(instance['id'], 5)
    assert 'Quota exceeded for volumes' in str(over_quota.value)
    alt = system.trove('alt_demo')
    with pytest.raises(trove_exc.NotFound):
        alt.instances.resize_volume(instance['id'], 2)
    with pytest.raises(trove_exc.NotFound):
        alt.instances.resize_instance(instance['id'], '7')
    shown = trove.instances.get(instance['id'])
    assert shown.status == 'ACTIVE'
    assert shown.volume['size'] == 1 and shown.flavor['id'] == '1'


def test_troveclient_grows_the_volume_in_cinder_keeping_the_data(
        system, instance):
    system.trove('demo').instances.resize_volume(instance['id'], 2)
    _seen, view = _wait_active_after_resize(
        system, instance, lambda v: v['volume']['size'] == 2)
    volume = _volume(system, instance['id'])
    assert volume.size == 2 and volume.status == 'in-use'
    assert _data_kept(instance['redis'])


def test_cli_resizes_the_flavor_and_redis_gets_the_new_limit(
        system, instance):
    _openstack(system, 'resize', 'flavor', instance['id'], 'm1.redis')
    seen, view = _wait_active_after_resize(
        system, instance, lambda v: v['flavor']['id'] == '7')
    # Redis stops, the server reboots and Redis starts again: seconds
    # during which the instance shows RESIZE.
    assert seen[0] == 'RESIZE'
    server = _server(system, instance['id'])
    assert server.flavor['id'] == '7' and server.status == 'ACTIVE'
    assert _maxmemory(instance['redis']) == RAM['7'] * MB * PERCENT // 100
    assert _data_kept(instance['redis'])


def test_troveclient_resizes_the_flavor_again(system, instance):
    system.trove('demo').instances.resize_instance(instance['id'], '2')
    seen, view = _wait_active_after_resize(
        system, instance, lambda v: v['flavor']['id'] == '2')
    assert seen[0] == 'RESIZE'
    assert _maxmemory(instance['redis']) == RAM['2'] * MB * PERCENT // 100
    assert _data_kept(instance['redis'])
    key = 'after-%s' % uuid.uuid4().hex
    instance['redis'].set(key, 'v')
    assert instance['redis'].get(key) == 'v'


def test_a_resize_nova_fails_leaves_the_instance_active_as_before(
        system, instance):
    before = system.trove('demo').instances.get(instance['id']).updated
    system.cloud.set_fault(REGION, fail_next_resizes=1)
    system.trove('demo').instances.resize_instance(instance['id'],
                                                   'm1.medium')
    seen, view = _wait_active_after_resize(
        system, instance, lambda v: v['updated'] != before)
    assert seen[0] == 'RESIZE'
    assert view['flavor']['id'] == '2'
    assert _server(system, instance['id']).flavor['id'] == '2'
    assert _maxmemory(instance['redis']) == RAM['2'] * MB * PERCENT // 100
    assert _data_kept(instance['redis'])


def test_cli_grows_the_volume(system, instance):
    _openstack(system, 'resize', 'volume', instance['id'], '3')
    _seen, view = _wait_active_after_resize(
        system, instance, lambda v: v['volume']['size'] == 3)
    assert _volume(system, instance['id']).size == 3
    assert _data_kept(instance['redis'])
