"""Clients that keep reading and writing a cluster while its slots move.

Shared by the rebalance tests: a redis-py cluster client that follows an
ASK to a master it has not met yet, a writer and a reader running until
stopped, and the checks made once the slots have moved.
"""

import threading
import time

import redis
from redis.cluster import PRIMARY
from redis.cluster import ClusterNode

from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers


class Client(redis.RedisCluster):
    """A cluster client that follows an ASK to a master it has not met.

    redis-py (up to 8.1 at least) learns nodes from CLUSTER SLOTS, where a
    master without slots is absent, and fails the command with an
    AttributeError when an ASK sends it to such a master (redis-py issue
    4015): exactly the first slot a rebalance moves onto a grown master.
    Meeting the node on the redirect is what the pending upstream fix does;
    doc/clusters.rst tells users the same.
    """

    def get_node(self, host=None, port=None, node_name=None):
        node = super().get_node(host, port, node_name)
        if node is None and node_name:
            host, _, port = node_name.rpartition(':')
            node = ClusterNode(host, int(port), PRIMARY)
        return node


def client(cluster):
    return Client(host=cluster['view']['ip'][0], port=6379,
                  password=cluster['password'], decode_responses=True)


def create(system, name, regions):
    """Build a cluster of one member per region named; its state dict."""
    session = system.session('demo')
    answer = api_helpers.request(
        session, 'POST', helpers.clusters_url(system, session),
        {'cluster': {'name': name,
                     'datastore': {'type': 'redis', 'version': '7.0'},
                     'instances': [
                         {'flavorRef': '7', 'volume': {'size': 1},
                          'region': region} for region in regions]}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = helpers.clusters_url(system, session, '/' + created['id'])
    state = {'url': url, 'session': session,
             'password': created['password']}
    state['view'] = helpers.wait_ready(session, url)
    return state


def delete(cluster):
    if helpers.get(cluster['session'], cluster['url']).status_code == 200:
        api_helpers.request(cluster['session'], 'DELETE', cluster['url'])
        helpers.wait_gone(cluster['session'], cluster['url'])


def action(cluster, body):
    return api_helpers.request(cluster['session'], 'POST',
                               cluster['url'] + '/action', body)


def masters(cluster):
    nodes = helpers.cluster_nodes(cluster['view']['ip'][0],
                                  cluster['password'])
    return [n for n in nodes if 'master' in n['flags']]


def slot_counts(cluster):
    return sorted(sum(last - first + 1 for first, last in n['slots'])
                  for n in masters(cluster))


def open_slots(cluster):
    """CLUSTER NODES lines of masters that show a slot migrating or
    importing (``[slot->-node]`` or ``[slot-<-node]``)."""
    found = []
    for ip in cluster['view']['ip']:
        node = helpers.node(ip, cluster['password'])
        try:
            text = node.execute_command('CLUSTER', 'NODES')
        finally:
            node.close()
        found += [line for line in text.splitlines()
                  if 'myself' in line and '[' in line]
    return found


def fill(cluster, keys):
    """Write ``key-<i>`` = ``before-<i>`` for every i below ``keys``."""
    writer = client(cluster)
    try:
        for start in range(0, keys, 5000):
            pipe = writer.pipeline()
            for i in range(start, min(start + 5000, keys)):
                pipe.set('key-%d' % i, 'before-%d' % i)
            pipe.execute()
    finally:
        writer.close()


def assert_last_values(cluster, keys, last):
    """Every key reads back with the last value written to it."""
    reader = client(cluster)
    try:
        wrong = []
        for start in range(0, keys, 5000):
            pipe = reader.pipeline()
            names = ['key-%d' % i for i in range(start,
                                                min(start + 5000, keys))]
            for name in names:
                pipe.get(name)
            for name, value in zip(names, pipe.execute(), strict=True):
                expected = last.get(name, 'before-' + name[4:])
                if value != expected:
                    wrong.append((name, value, expected))
        assert wrong == [], wrong[:10]
    finally:
        reader.close()


class Traffic:
    """A writer and a reader running until stopped; what they saw."""

    def __init__(self, cluster, keys):
        self.cluster = cluster
        self.keys = keys
        self.stop = threading.Event()
        self.last = {}
        self.errors = []
        self.reads = 0
        self.writes = 0
        self.threads = [
            threading.Thread(target=self._run, args=('write', self._write)),
            threading.Thread(target=self._run, args=('read', self._read))]

    def _run(self, kind, operation):
        """``operation(client, n)`` for n = 0, 1, ... until stopped; what
        it raises is recorded as ``(kind, repr)``."""
        try:
            own = client(self.cluster)
        except Exception as exc:  # noqa: BLE001 - recorded
            self.errors.append((kind, repr(exc)))
            return
        n = 0
        while not self.stop.is_set():
            try:
                operation(own, n)
            except Exception as exc:  # noqa: BLE001 - recorded
                self.errors.append((kind, repr(exc)))
            n += 1
        own.close()

    def _write(self, writer, n):
        key = 'key-%d' % (n % self.keys)
        value = 'during-%d' % n
        writer.set(key, value)
        self.last[key] = value
        self.writes += 1

    def _read(self, reader, n):
        reader.get('key-%d' % (n % self.keys))
        self.reads += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def wait_rebalanced(cluster, timeout=helpers.READY_TIMEOUT):
    """Poll until the cluster's task is NONE; the progress texts seen."""
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
