"""Every encryption key rotated on a running system, end to end.

An instance and a Redis cluster run while each key option goes through
``trove-mr-manage keys add``, ``promote``, ``rewrap`` and ``retire``,
with the services restarted between the steps as an operator would. Then
the instance is restarted and backed up and the cluster grows: nothing
sealed before the rotation was lost, and the cluster keeps its password.
"""

import json
import time

import pytest
import redis

from tests.fixtures import devenv
from tests.functional.api import helpers
from tests.functional.cluster import helpers as cluster_helpers

OPTIONS = ('taskmanager_rpc_encr_key', 'inst_rpc_key_encr_key',
           'cluster_password_encr_key', 'mapping_encr_key')
MEMBERS = [{'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionOne'}
           for _ in range(3)]


@pytest.fixture(scope='module')
def system():
    # Guests' broker users through rabbitmqctl here (every other system
    # of the tests uses the management API when it answers), so that
    # both ways are run end to end.
    with devenv.running('trove-mr-keys-', taskmanagers=1, conf_overrides={
            'guest_broker': {'credentials': 'rabbitmqctl'}}) as env:
        yield env


def _restart_services(system):
    for name, _, _ in list(system.service_names()):
        system.stop_service(name)
        system.start_service(name)
    system.wait_ready(120)


def _accepted(session, method, url, body=None, timeout=60):
    """The request's answer once it is not a 503 (a taskmanager just
    restarted may not be seen alive yet)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = helpers.request(session, method, url, body)
        if answer.status_code != 503 or time.monotonic() > deadline:
            return answer
        time.sleep(1)


def _status(system):
    return json.loads(system.manage('keys', 'status', '--format', 'json'))


def _wait_backup(session, backup_url, timeout=180):
    deadline = time.monotonic() + timeout
    view = None
    while time.monotonic() < deadline:
        view = helpers.request(session, 'GET', backup_url).json()['backup']
        if view['status'] == 'COMPLETED':
            return view
        assert view['status'] != 'FAILED', view
        time.sleep(0.5)
    raise AssertionError('backup stayed %s' % (view and view['status']))


def test_rotate_every_key_then_restart_grow_and_back_up(system):
    session = system.session('demo')
    answer = helpers.request(
        session, 'POST', cluster_helpers.clusters_url(system, session),
        {'cluster': {'name': 'rotating',
                     'datastore': {'type': 'redis', 'version': '7.0'},
                     'instances': MEMBERS}})
    assert answer.status_code == 202, answer.text
    cluster = answer.json()['cluster']
    cluster_url = cluster_helpers.clusters_url(system, session,
                                               '/' + cluster['id'])
    answer = helpers.request(
        session, 'POST', helpers.url(system, session, '/instances'),
        {'instance': {'name': 'rotating-one', 'flavorRef': '7',
                      'volume': {'size': 1}}})
    assert answer.status_code == 202, answer.text
    instance = answer.json()['instance']
    instance_url = helpers.url(system, session, '/instances/' +
                               instance['id'])
    view = helpers.wait_status(session, instance_url, 'ACTIVE')
    cluster_helpers.wait_ready(session, cluster_url)
    data = redis.Redis(host=view['ip'][0], port=6379,
                       password=instance['password'], socket_timeout=5)
    data.set('before-rotation', 'kept')

    before = _status(system)
    conf = system.conf_file_of(system.region_name)
    new_ids = {}
    for option in OPTIONS:
        out = system.manage('keys', 'add', option,
                            '--config-file-to-edit', conf)
        new_ids[option] = out.split()[2]
    _restart_services(system)
    for option in OPTIONS:
        system.manage('keys', 'promote', option, new_ids[option],
                      '--config-file-to-edit', conf)
    _restart_services(system)
    system.manage('keys', 'rewrap')
    middle = _status(system)
    for option in OPTIONS:
        assert middle[option]['current'] == new_ids[option]
        assert set(middle[option]['stored']) <= {new_ids[option]}, middle
    assert middle['inst_rpc_key_encr_key']['stored'][
        new_ids['inst_rpc_key_encr_key']] >= 4
    assert middle['cluster_password_encr_key']['stored'] == {
        new_ids['cluster_password_encr_key']: 1}
    for option in OPTIONS:
        for old_id in middle[option]['old']:
            system.manage('keys', 'retire', option, old_id,
                          '--config-file-to-edit', conf)
    _restart_services(system)
    after = _status(system)
    for option in OPTIONS:
        assert after[option]['old'] == []
        assert after[option]['current'] != before[option]['current']

    # The instance restarts (RPC under the new keys, its own key read
    # back from the database) and backs up.
    answer = _accepted(session, 'POST', instance_url + '/action',
                       {'restart': {}})
    assert answer.status_code == 202, answer.text
    helpers.wait_status(session, instance_url, 'ACTIVE')
    assert data.get('before-rotation') == b'kept'
    answer = _accepted(session, 'POST', helpers.url(system, session,
                                                    '/backups'),
                       {'backup': {'name': 'after-rotation',
                                   'instance': instance['id']}})
    assert answer.status_code == 202, answer.text
    backup = answer.json()['backup']
    _wait_backup(session, helpers.url(system, session,
                                      '/backups/' + backup['id']))

    # The cluster grows: the new member gets the password sealed before
    # the rotation, and every member answers it.
    answer = _accepted(session, 'POST', cluster_url + '/action', {
        'grow': [{'name': 'rotating-member-4', 'flavorRef': '7',
                  'volume': {'size': 1}, 'region': 'RegionOne'}]})
    assert answer.status_code == 202, answer.text
    grown = cluster_helpers.wait_ready(session, cluster_url)
    assert len(grown['instances']) == 4
    for member in grown['instances']:
        member_view = helpers.request(
            session, 'GET', helpers.url(system, session, '/instances/' +
                                        member['id'])).json()['instance']
        node = cluster_helpers.node(member_view['ip'][0],
                                    cluster['password'])
        try:
            assert node.ping()
        finally:
            node.close()
    data.close()
