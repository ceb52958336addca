"""Guest logs through python-troveclient and the openstack CLI against
the running system: listed, enabled and disabled on the live Redis,
published to the tenant's Swift in the instance's own region."""

import json
import os
import subprocess
import sys

import pytest
import redis
import swiftclient
from troveclient import exceptions as trove_exc

from tests.functional.api import helpers

CONTAINER = 'database_logs'
# A Lua loop long enough to pass the slow log's 10 ms threshold.
SLOW_SCRIPT = 'local i = 0 while i < 3000000 do i = i + 1 end return i'


@pytest.fixture(scope='module')
def instance(system):
    """An ACTIVE instance in RegionTwo."""
    session = system.session('demo')
    answer = helpers.request(session, 'POST',
                             helpers.url(system, session, '/instances'),
                             {'instance': {'name': 'logs', 'flavorRef': '7',
                                           'volume': {'size': 1},
                                           'region': 'RegionTwo'}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['instance']
    url = helpers.url(system, session, '/instances/' + created['id'])
    view = helpers.wait_status(session, url, 'ACTIVE')
    yield {'id': created['id'], 'ip': view['ip'][0],
           'password': created['password']}
    helpers.request(session, 'DELETE', url)


def _swift(system, region):
    return swiftclient.Connection(session=system.session('demo'),
                                  os_options={'region_name': region})


def _by_name(logs):
    return {log.name: log for log in logs}


def test_logs_are_listed_with_troveclients_fields(system, instance):
    logs = _by_name(system.trove('demo').instances.log_list(instance['id']))
    assert sorted(logs) == ['redis', 'slow_query']
    redis_log = logs['redis']
    assert (redis_log.type, redis_log.status) == ('SYS', 'Ready')
    assert redis_log.pending > 0 and redis_log.published == 0
    assert redis_log.container == CONTAINER
    assert redis_log.prefix == '%s/redis-redis/' % instance['id']
    assert logs['slow_query'].type == 'USER'


def test_slow_log_is_disabled_and_enabled_on_the_live_redis(
        system, instance):
    trove = system.trove('demo')
    client = redis.Redis(host=instance['ip'], port=6379,
                         password=instance['password'],
                         decode_responses=True, socket_timeout=10)
    try:
        log = trove.instances.log_action(instance['id'], 'slow_query',
                                         disable=True)
        assert log.status == 'Disabled'
        assert client.config_get('slowlog-log-slower-than') == {
            'slowlog-log-slower-than': '-1'}
        log = trove.instances.log_action(instance['id'], 'slow_query',
                                         enable=True)
        assert log.status == 'Enabled'
        assert int(client.config_get('slowlog-log-slower-than')[
            'slowlog-log-slower-than']) >= 0
        client.eval(SLOW_SCRIPT, 0)
    finally:
        client.close()
    log = trove.instances.log_show(instance['id'], 'slow_query')
    assert log.pending > 0


def test_publish_writes_to_the_tenants_swift_in_the_instances_region(
        system, instance):
    trove = system.trove('demo')
    log = trove.instances.log_action(instance['id'], 'redis', publish=True)
    assert log.status == 'Published'
    assert log.published > 0 and log.pending == 0
    swift = _swift(system, 'RegionTwo')
    _headers, objects = swift.get_container(CONTAINER, prefix=log.prefix)
    assert len(objects) == 1
    headers, text = swift.get_object(CONTAINER, objects[0]['name'])
    assert b'Ready to accept connections' in text
    assert int(headers['x-object-meta-lines']) >= 1
    swift.head_object(CONTAINER, log.metafile)
    # troveclient's "log tail" reads it back through the metafile/prefix.
    tail = ''.join(trove.instances.log_generator(
        instance['id'], 'redis', lines=50, swift=swift)())
    assert 'Ready to accept connections' in tail

    slow = trove.instances.log_action(instance['id'], 'slow_query',
                                      publish=True)
    assert slow.status == 'Published'
    _headers, objects = swift.get_container(CONTAINER, prefix=slow.prefix)
    _headers, text = swift.get_object(CONTAINER, objects[-1]['name'])
    assert b'EVAL' in text.upper()


def test_publish_went_to_region_two_only(system, instance):
    region_one = _swift(system, 'RegionOne')
    two_url = _swift(system, 'RegionTwo').get_auth()[0]
    if region_one.get_auth()[0] == two_url:
        pytest.fail('both regions publish one object store endpoint')
    try:
        _headers, objects = region_one.get_container(
            CONTAINER, prefix='%s/' % instance['id'])
    except swiftclient.ClientException as exc:
        assert exc.http_status == 404
        objects = []
    assert objects == []


def test_bad_names_and_other_tenants_are_refused(system, instance):
    trove = system.trove('demo')
    with pytest.raises(trove_exc.NotFound):
        trove.instances.log_action(instance['id'], 'no-such-log',
                                   publish=True)
    with pytest.raises(trove_exc.BadRequest):
        trove.instances.log_action(instance['id'], 'redis', disable=True)
    alt = system.trove('alt_demo')
    with pytest.raises(trove_exc.NotFound):
        alt.instances.log_list(instance['id'])
    with pytest.raises(trove_exc.NotFound):
        alt.instances.log_action(instance['id'], 'redis', publish=True)


def test_openstack_database_log_list(system, instance):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    done = subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database', 'log', 'list', instance['id'], '-f', 'json'],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    listed = {row['Name']: row for row in json.loads(done.stdout)}
    assert listed['redis']['Status'] == 'Published'
    assert listed['slow_query']['Type'] == 'USER'


def test_configuration_default_is_the_flavors_redis_conf(system, instance):
    # flavor 7 has 512 MB of RAM: maxmemory is [redis] maxmemory_percent
    # of it, as the guest renders redis.conf before any group.
    defaults = system.trove('demo').instances.configuration(
        instance['id'])._info['configuration']
    assert defaults['appendonly'] == 'yes'
    assert defaults['bind'] == instance['ip']
    assert int(defaults['maxmemory']) > 0
    assert 'requirepass' not in defaults and 'masterauth' not in defaults
    assert instance['password'] not in json.dumps(defaults)
    live = redis.Redis(host=instance['ip'], port=6379,
                       password=instance['password'])
    assert live.config_get('maxmemory')['maxmemory'] == defaults['maxmemory']
    with pytest.raises(trove_exc.NotFound):
        system.trove('alt_demo').instances.configuration(instance['id'])


def test_openstack_database_configuration_default(system, instance):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    done = subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database', 'configuration', 'default', instance['id'],
         '-f', 'json'],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown['appendonly'] == 'yes'
    assert 'requirepass' not in shown
