"""A Redis cluster on the replication-capable volume type, its members'
volumes failed over by an admin one at a time (real guests, the local
cloud's Cinder in two regions)."""

import time

import pytest
import redis

from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers

MEMBERS = [{'flavorRef': '7', 'volume': {'size': 1, 'type': 'replicated'},
            'region': region}
           for region in ('RegionOne', 'RegionOne', 'RegionTwo')]
KEYS = 300
TIMEOUT = 300


def _mgmt(system, user, method, path, body=None):
    session = system.session(user)
    return api_helpers.request(
        session, method, api_helpers.url(system, session, '/mgmt' + path),
        body)


@pytest.fixture(scope='module')
def cluster(system):
    session = system.session('demo')
    answer = api_helpers.request(
        session, 'POST', helpers.clusters_url(system, session),
        {'cluster': {'name': 'ha-cluster',
                     'datastore': {'type': 'redis', 'version': '7.0'},
                     'instances': MEMBERS}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = helpers.clusters_url(system, session, '/' + created['id'])
    try:
        view = helpers.wait_ready(session, url)
        yield {'id': created['id'], 'url': url, 'session': session,
               'password': created['password'], 'view': view}
    finally:
        if helpers.get(session, url).status_code == 200:
            api_helpers.request(session, 'DELETE', url)
            helpers.wait_gone(session, url)


def _client(view, password):
    return redis.RedisCluster(host=view['ip'][0], port=6379,
                              password=password, decode_responses=True)


def test_members_fail_over_one_at_a_time_and_keep_their_keys(system,
                                                             cluster):
    client = _client(cluster['view'], cluster['password'])
    try:
        for i in range(KEYS):
            client.set('key-%d' % i, 'value-%d' % i)
    finally:
        client.close()
    time.sleep(1.5)  # the AOF of each member on disk, then copied
    path = '/clusters/%s/replication' % cluster['id']
    mark = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())
    deadline = time.monotonic() + 60
    while True:
        states = _mgmt(system, 'admin', 'GET', path).json()['replication']
        if all(s['status'] == 'enabled' and s['last_sync_at'] > mark
               for s in states):
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.5)
    assert len(states) == 3 and all(s['replication_capable'] for s in states)

    answer = _mgmt(system, 'admin', 'POST', path, {'failover': {}})
    assert answer.status_code == 202, answer.text
    order = answer.json()['failover']['instances']
    assert sorted(order) == sorted(m['id'] for m in
                                   cluster['view']['instances'])

    # Never more than one member away at a time.
    deadline = time.monotonic() + TIMEOUT
    most_away = 0
    while True:
        view = helpers.get(cluster['session'], cluster['url']).json()[
            'cluster']
        away = [m for m in view['instances'] if m['status'] != 'ACTIVE']
        assert all(m['status'] == 'REBOOT' for m in away), away
        most_away = max(most_away, len(away))
        states = _mgmt(system, 'admin', 'GET', path).json()['replication']
        if not away and all(s['status'] == 'failed-over' for s in states):
            break
        assert time.monotonic() < deadline, (view, states)
        time.sleep(0.3)
    assert most_away == 1
    assert all(s['backend'].endswith('#replica') for s in states)

    deadline = time.monotonic() + 60
    while True:
        infos = [helpers.cluster_info(ip, cluster['password'])
                 for ip in cluster['view']['ip']]
        if all(i['cluster_state'] == 'ok' for i in infos):
            break
        assert time.monotonic() < deadline, infos
        time.sleep(0.5)
    client = _client(view, cluster['password'])
    try:
        values = [client.get('key-%d' % i) for i in range(KEYS)]
    finally:
        client.close()
    assert values == ['value-%d' % i for i in range(KEYS)]
