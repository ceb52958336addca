"""Configuration groups end to end: python-troveclient against the
running system, real guests, CONFIG GET on the real redis-server.

One instance in RegionTwo serves the module, in order.
"""

import json
import os
import subprocess
import sys

import pytest
import redis
from troveclient import exceptions as trove_exc

from tests.functional.api import helpers
from tests.functional.cluster import helpers as cluster_helpers


def _config_get(view, password, name):
    client = redis.Redis(host=view['ip'][0], port=6379, password=password,
                         socket_timeout=5, decode_responses=True)
    try:
        return client.config_get(name)[name]
    finally:
        client.close()


@pytest.fixture(scope='module')
def instance(system):
    """The module's instance in RegionTwo: its view, URL and password."""
    trove = system.trove('demo')
    created = trove.instances.create('configured', '7', volume={'size': 1},
                                     region_name='RegionTwo')
    session = system.session('demo')
    url = helpers.url(system, session, '/instances/' + created.id)
    view = helpers.wait_status(session, url, 'ACTIVE')
    state = {'id': created.id, 'url': url, 'view': view,
             'password': created.password, 'session': session,
             'trove': trove}
    yield state
    helpers.request(session, 'DELETE', url)
    helpers.wait_gone(session, url)


def _group(trove, name, values):
    return trove.configurations.create(name, json.dumps(values),
                                       datastore='redis',
                                       datastore_version='7.0')


def test_parameters_are_listed_with_their_rules(system):
    trove = system.trove('demo')
    params = {p.name: p for p in
              trove.configuration_parameters.parameters('redis', '7.0')}
    assert params['databases'].restart_required is True
    assert params['timeout'].restart_required is False
    assert params['timeout'].max == 31536000
    assert 'requirepass' not in params and 'bind' not in params
    one = trove.configuration_parameters.get_parameter('redis', '7.0',
                                                       'maxclients')
    assert one.type == 'integer' and one.min == 1
    by_id = trove.configuration_parameters.parameters_by_version(
        params['timeout'].datastore_version_id)
    assert len(by_id) == len(params)


def test_bad_values_are_400s_naming_the_parameter(system):
    trove = system.trove('demo')
    for values, named in (({'timeout': -5}, 'timeout'),
                          ({'maxmemory-policy': 'lru'}, 'maxmemory-policy'),
                          ({'requirepass': 'x' * 20}, 'requirepass'),
                          ({'no-such-setting': 1}, 'no-such-setting')):
        with pytest.raises(trove_exc.BadRequest) as caught:
            _group(trove, 'bad', values)
        assert named in str(caught.value)
    assert [g.name for g in trove.configurations.list()
            if g.name == 'bad'] == []


def test_attach_sets_values_live_and_detach_brings_defaults_back(
        system, instance):
    trove, view = instance['trove'], instance['view']
    password = instance['password']
    assert _config_get(view, password, 'timeout') == '0'
    default_policy = _config_get(view, password, 'maxmemory-policy')
    group = _group(trove, 'tuned', {'timeout': 300, 'hz': 20,
                                    'maxmemory-policy': 'allkeys-lru'})
    assert group.values['timeout'] == 300
    assert group.datastore_version_name == '7.0'
    listed = [g.id for g in trove.configurations.list()]
    assert group.id in listed
    trove.instances.update(instance['id'], configuration=group.id)
    shown = helpers.wait_status(instance['session'], instance['url'],
                                'ACTIVE')
    assert shown['configuration']['id'] == group.id
    assert shown['configuration']['name'] == 'tuned'
    assert _config_get(view, password, 'timeout') == '300'
    assert _config_get(view, password, 'hz') == '20'
    assert _config_get(view, password, 'maxmemory-policy') == 'allkeys-lru'
    assert [i.id for i in trove.configurations.instances(group)] == [
        instance['id']]
    assert trove.configurations.get(group).instance_count == 1
    # Attached: deleting it is refused; another tenant does not see it.
    with pytest.raises(trove_exc.BadRequest):
        trove.configurations.delete(group)
    with pytest.raises(trove_exc.NotFound):
        system.trove('alt_demo').configurations.get(group.id)
    # A change of the group is applied to the instance.
    trove.configurations.edit(group, json.dumps({'hz': 25}))
    helpers.wait_status(instance['session'], instance['url'], 'ACTIVE')
    assert _config_get(view, password, 'hz') == '25'
    assert _config_get(view, password, 'timeout') == '300'
    trove.instances.update(instance['id'], remove_configuration=True)
    shown = helpers.wait_status(instance['session'], instance['url'],
                                'ACTIVE')
    assert 'configuration' not in shown
    assert _config_get(view, password, 'timeout') == '0'
    assert _config_get(view, password, 'hz') == '10'
    assert _config_get(view, password, 'maxmemory-policy') == \
        default_policy
    trove.configurations.delete(group)
    with pytest.raises(trove_exc.NotFound):
        trove.configurations.get(group.id)


def test_static_parameter_waits_for_a_restart(system, instance):
    trove, view = instance['trove'], instance['view']
    password = instance['password']
    group = _group(trove, 'more-databases', {'databases': 32,
                                             'tcp-keepalive': 60})
    trove.instances.update(instance['id'], configuration=group.id)
    helpers.wait_status(instance['session'], instance['url'],
                        'RESTART_REQUIRED')
    # The dynamic value is live, the static one waits.
    assert _config_get(view, password, 'tcp-keepalive') == '60'
    assert _config_get(view, password, 'databases') == '16'
    trove.instances.restart(instance['id'])
    helpers.wait_status(instance['session'], instance['url'], 'ACTIVE')
    assert _config_get(view, password, 'databases') == '32'
    trove.instances.update(instance['id'], remove_configuration=True)
    helpers.wait_status(instance['session'], instance['url'],
                        'RESTART_REQUIRED')
    assert _config_get(view, password, 'tcp-keepalive') == '300'
    trove.instances.restart(instance['id'])
    helpers.wait_status(instance['session'], instance['url'], 'ACTIVE')
    assert _config_get(view, password, 'databases') == '16'
    trove.configurations.delete(group)


def test_instance_created_with_a_group_starts_with_it(system):
    trove = system.trove('demo')
    group = _group(trove, 'at-create', {'databases': 8, 'hz': 15})
    created = trove.instances.create('born-tuned', '7', volume={'size': 1},
                                     configuration=group.id)
    session = system.session('demo')
    url = helpers.url(system, session, '/instances/' + created.id)
    try:
        view = helpers.wait_status(session, url, 'ACTIVE')
        assert view['configuration']['id'] == group.id
        assert _config_get(view, created.password, 'databases') == '8'
        assert _config_get(view, created.password, 'hz') == '15'
    finally:
        helpers.request(session, 'DELETE', url)
        helpers.wait_gone(session, url)
    trove.configurations.delete(group)


def _openstack(system, *args):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    done = subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database', 'configuration'] + list(args),
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_openstack_cli_creates_attaches_lists_and_detaches(system,
                                                           instance):
    created = json.loads(_openstack(
        system, 'create', 'cli-group', '{"slowlog-log-slower-than": 5000}',
        '--datastore', 'redis', '--datastore-version', '7.0', '-f', 'json'))
    assert json.loads(created['values']) == {'slowlog-log-slower-than': 5000}
    listed = json.loads(_openstack(system, 'list', '-f', 'json'))
    assert created['id'] in [g['ID'] for g in listed]
    _openstack(system, 'attach', instance['id'], created['id'])
    helpers.wait_status(instance['session'], instance['url'], 'ACTIVE')
    assert _config_get(instance['view'], instance['password'],
                       'slowlog-log-slower-than') == '5000'
    attached = json.loads(_openstack(system, 'instances', created['id'],
                                     '-f', 'json'))
    assert [i['ID'] for i in attached] == [instance['id']]
    params = json.loads(_openstack(system, 'parameter', 'list', '7.0',
                                   '--datastore', 'redis', '-f', 'json'))
    assert 'databases' in [p['Name'] for p in params]
    _openstack(system, 'detach', instance['id'])
    helpers.wait_status(instance['session'], instance['url'], 'ACTIVE')
    assert _config_get(instance['view'], instance['password'],
                       'slowlog-log-slower-than') == '10000'
    _openstack(system, 'delete', created['id'])


def test_cluster_starts_with_a_group_detaches_and_attaches_on_members(
        system):
    trove = system.trove('demo')
    session = system.session('demo')
    first = _group(trove, 'cluster-first', {'timeout': 120})
    second = _group(trove, 'cluster-second', {'hz': 30})
    answer = helpers.request(
        session, 'POST', cluster_helpers.clusters_url(system, session),
        {'cluster': {'name': 'configured-cluster',
                     'datastore': {'type': 'redis', 'version': '7.0'},
                     'configuration': first.id,
                     'instances': [
                         {'flavorRef': '7', 'volume': {'size': 1},
                          'region': region}
                         for region in ('RegionOne', 'RegionOne',
                                        'RegionTwo')]}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = cluster_helpers.clusters_url(system, session, '/' + created['id'])
    password = created['password']
    try:
        view = cluster_helpers.wait_ready(session, url)
        for ip in view['ip']:
            assert _config_get({'ip': [ip]}, password, 'timeout') == '120'
        answer = helpers.request(session, 'POST', url + '/action',
                                 {'configuration_detach': {}})
        assert answer.status_code == 202, answer.text
        cluster_helpers.wait_task(session, url, 'NONE')
        for ip in view['ip']:
            assert _config_get({'ip': [ip]}, password, 'timeout') == '0'
        # python-troveclient's path for cluster actions.
        answer = helpers.request(session, 'POST', url, {
            'configuration_attach': {'configuration_id': second.id}})
        assert answer.status_code == 202, answer.text
        cluster_helpers.wait_task(session, url, 'NONE')
        for ip in view['ip']:
            assert _config_get({'ip': [ip]}, password, 'hz') == '30'
        # Not on one member alone.
        member = view['instances'][0]['id']
        with pytest.raises(trove_exc.BadRequest):
            trove.instances.update(member, remove_configuration=True)
        assert {i.id for i in trove.configurations.instances(second)} == {
            m['id'] for m in view['instances']}
    finally:
        helpers.request(session, 'DELETE', url)
        cluster_helpers.wait_gone(session, url)
    trove.configurations.delete(first)
    trove.configurations.delete(second)
