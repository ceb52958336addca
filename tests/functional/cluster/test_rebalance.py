"""Online rebalance of a Redis cluster over two regions.

A two-master cluster grows by an empty RegionTwo master, then rebalances
while a client writes and reads throughout; later a weight of 0 empties a
master, which can then be shrunk away. Every key written before and
during the moves reads back with its last value, the writer sees no error
(redis-py follows MOVED and ASK), masters own even shares and no slot is
left migrating or importing.
"""

import threading
import time

import pytest
import redis

from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers

KEYS = 5000


def _action(cluster, body):
    return api_helpers.request(cluster['session'], 'POST',
                               cluster['url'] + '/action', body)


@pytest.fixture(scope='module')
def cluster(system):
    session = system.session('demo')
    answer = api_helpers.request(
        session, 'POST', helpers.clusters_url(system, session),
        {'cluster': {'name': 'rebalanced',
                     'datastore': {'type': 'redis', 'version': '7.0'},
                     'instances': [
                         {'flavorRef': '7', 'volume': {'size': 1},
                          'region': 'RegionOne'},
                         {'flavorRef': '7', 'volume': {'size': 1},
                          'region': 'RegionTwo'}]}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = helpers.clusters_url(system, session, '/' + created['id'])
    state = {'url': url, 'session': session,
             'password': created['password']}
    state['view'] = helpers.wait_ready(session, url)
    yield state
    if helpers.get(session, url).status_code == 200:
        api_helpers.request(session, 'DELETE', url)
        helpers.wait_gone(session, url)


def _client(cluster):
    return redis.RedisCluster(host=cluster['view']['ip'][0], port=6379,
                              password=cluster['password'],
                              decode_responses=True)


def _masters(cluster):
    nodes = helpers.cluster_nodes(cluster['view']['ip'][0],
                                  cluster['password'])
    return [n for n in nodes if 'master' in n['flags']]


def _slot_counts(cluster):
    return sorted(sum(last - first + 1 for first, last in n['slots'])
                  for n in _masters(cluster))


def _open_slots(cluster):
    found = []
    for ip in cluster['view']['ip']:
        client = helpers.node(ip, cluster['password'])
        try:
            text = client.execute_command('CLUSTER', 'NODES')
        finally:
            client.close()
        found += [line for line in text.splitlines()
                  if 'myself' in line and '[' in line]
    return found


class Traffic:
    """A writer and a reader running until stopped; what they saw."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.stop = threading.Event()
        self.last = {}
        self.errors = []
        self.reads = 0
        self.threads = [threading.Thread(target=self._write),
                        threading.Thread(target=self._read)]

    def _write(self):
        client = _client(self.cluster)
        n = 0
        while not self.stop.is_set():
            key = 'key-%d' % (n % KEYS)
            value = 'during-%d' % n
            try:
                client.set(key, value)
                self.last[key] = value
            except Exception as exc:  # noqa: BLE001 - recorded
                self.errors.append(('write', repr(exc)))
            n += 1
        client.close()

    def _read(self):
        client = _client(self.cluster)
        n = 0
        while not self.stop.is_set():
            try:
                client.get('key-%d' % (n % KEYS))
                self.reads += 1
            except Exception as exc:  # noqa: BLE001 - recorded
                self.errors.append(('read', repr(exc)))
            n += 1
        client.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def _wait_rebalanced(cluster, timeout=helpers.READY_TIMEOUT):
    deadline = time.monotonic() + timeout
    seen = set()
    while time.monotonic() < deadline:
        view = helpers.get(cluster['session'], cluster['url']).json()[
            'cluster']
        assert view['task']['name'] != 'FAILED', view
        if view['task']['name'] == 'REBALANCING':
            seen.add(view['task']['description'])
        elif view['task']['name'] == 'NONE':
            return seen
        # Often: slots move in pipelines and a rebalance of 5000 keys
        # shows its progress for well under a second.
        time.sleep(0.05)
    raise AssertionError('rebalance not over in %ss' % timeout)


def test_bad_weights_are_refused_and_change_nothing(cluster):
    answer = _action(cluster, {'rebalance': {'weights': {
        '00000000-0000-0000-0000-000000000000': 2}}})
    assert answer.status_code == 400, answer.text
    assert 'rebalance.weights' in answer.json()['badRequest']['message']
    masters = [m['id'] for m in cluster['view']['instances']]
    answer = _action(cluster, {'rebalance': {'weights': {
        m: 0 for m in masters}}})
    assert answer.status_code == 400, answer.text
    view = helpers.get(cluster['session'], cluster['url']).json()['cluster']
    assert view['task']['name'] == 'NONE'


def test_grow_then_rebalance_online_keeps_every_key(cluster):
    client = _client(cluster)
    for i in range(KEYS):
        client.set('key-%d' % i, 'before-%d' % i)
    client.close()
    answer = _action(cluster, {'grow': [
        {'name': 'rebalanced-member-3', 'flavorRef': '7',
         'volume': {'size': 1}, 'region': 'RegionTwo'}]})
    assert answer.status_code == 202, answer.text
    cluster['view'] = helpers.wait_ready(cluster['session'], cluster['url'])
    assert _slot_counts(cluster) == [0, 8192, 8192]

    with Traffic(cluster) as traffic:
        answer = _action(cluster, {'rebalance': {}})
        assert answer.status_code == 202, answer.text
        busy = _action(cluster, {'rebalance': {}})
        assert busy.status_code == 409
        progress = _wait_rebalanced(cluster)
        time.sleep(1)
    assert traffic.errors == []
    assert traffic.reads > 0
    assert any(p.startswith('Rebalancing: ') for p in progress), progress
    assert _slot_counts(cluster) == [5461, 5461, 5462]
    assert _open_slots(cluster) == []
    client = _client(cluster)
    try:
        for i in range(KEYS):
            key = 'key-%d' % i
            assert client.get(key) == traffic.last.get(key, 'before-%d' % i)
    finally:
        client.close()


def test_a_zero_weight_empties_a_master_which_then_shrinks_away(cluster):
    view = helpers.get(cluster['session'], cluster['url']).json()['cluster']
    leaving = next(m for m in view['instances']
                   if m['name'] == 'rebalanced-member-3')
    answer = _action(cluster, {'rebalance': {'weights': {leaving['id']: 0}}})
    assert answer.status_code == 202, answer.text
    _wait_rebalanced(cluster)
    assert _slot_counts(cluster) == [0, 8192, 8192]
    answer = _action(cluster, {'shrink': [{'id': leaving['id']}]})
    assert answer.status_code == 202, answer.text
    cluster['view'] = helpers.wait_ready(cluster['session'], cluster['url'])
    assert leaving['id'] not in [m['id'] for m in cluster['view']
                                 ['instances']]
    _assert_every_key(cluster)


def _assert_every_key(cluster):
    client = _client(cluster)
    try:
        assert sum(1 for i in range(KEYS)
                   if client.get('key-%d' % i) is not None) == KEYS
    finally:
        client.close()


def test_grow_with_rebalance_then_shrink_with_drain(cluster):
    for body in ({'rebalance': True}, {'grow': [], 'drain': True},
                 {'shrink': [{'id': cluster['view']['instances'][0]['id']}],
                  'rebalance': True}):
        answer = _action(cluster, body)
        assert answer.status_code == 400, (body, answer.text)
    answer = _action(cluster, {'grow': [
        {'name': 'rebalanced-member-4', 'flavorRef': '7',
         'volume': {'size': 1}, 'region': 'RegionTwo'}], 'rebalance': True})
    assert answer.status_code == 202, answer.text
    cluster['view'] = helpers.wait_ready(cluster['session'], cluster['url'])
    assert _slot_counts(cluster) == [5461, 5461, 5462]
    assert _open_slots(cluster) == []
    new = next(m for m in cluster['view']['instances']
               if m['name'] == 'rebalanced-member-4')
    with Traffic(cluster) as traffic:
        answer = _action(cluster, {'shrink': [{'id': new['id']}],
                                   'drain': True})
        assert answer.status_code == 202, answer.text
        cluster['view'] = helpers.wait_ready(cluster['session'],
                                             cluster['url'])
    assert traffic.errors == []
    assert new['id'] not in [m['id'] for m in cluster['view']['instances']]
    assert _slot_counts(cluster) == [8192, 8192]
    assert _open_slots(cluster) == []
    _assert_every_key(cluster)
