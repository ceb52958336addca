"""Helpers of the standby-region tests and bench: a writer that records
what Redis acknowledged, and a region made unreachable.

A region is lost by freezing (SIGSTOP) the process groups of its guests
(each the guest agent and its redis-server): their sockets stay open and
silent, as behind a dead link, and their heartbeats stop. ``thaw`` lets
them go on (SIGCONT) so the cluster can be deleted afterwards.
"""

import contextlib
import json
import os
import signal
import threading
import time

import redis
from redis.cluster import ClusterNode


def member_ips(view, regions_first=()):
    """Members' addresses, those of ``regions_first`` first."""
    members = sorted(view['instances'],
                     key=lambda m: m['region'] not in regions_first)
    return [ip for m in members for ip in m.get('ip', [])]


def cluster_client(ips, password, timeout=1.0):
    return redis.RedisCluster(
        startup_nodes=[ClusterNode(ip, 6379) for ip in ips],
        password=password, decode_responses=True,
        socket_timeout=timeout, socket_connect_timeout=timeout)


class Writer:
    """Writes ``key-<n>`` = ``n`` (each key once) until stopped.

    ``acked``: ``[(n, monotonic time acknowledged)]``; ``errors``: how
    many writes failed; ``first_ok_after(t)``: when the first write
    sent after ``t`` was acknowledged (a write sent before ``t`` but
    answered after it proves nothing about ``t``).
    """

    def __init__(self, ips, password, prefix='key'):
        self.ips = list(ips)
        self.password = password
        self.prefix = prefix
        self.acked = []
        self.sent = []
        self.errors = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _connect(self):
        # A new client asks a node for the slots, then connects to the
        # nodes they name: while a region is lost that can time out too.
        while not self.stop.is_set():
            try:
                return cluster_client(self.ips, self.password)
            except Exception:  # noqa: BLE001 - counted, then again
                self.errors += 1
                time.sleep(0.2)
        return None

    def _run(self):
        client = self._connect()
        n = 0
        while client is not None and not self.stop.is_set():
            try:
                sent = time.monotonic()
                client.set('%s-%d' % (self.prefix, n), str(n))
                self.acked.append((n, time.monotonic()))
                self.sent.append(sent)
                n += 1
            except Exception:  # noqa: BLE001 - counted, then a new client
                self.errors += 1
                client.close()
                time.sleep(0.05)
                client = self._connect()
        if client is not None:
            client.close()

    def first_ok_after(self, when):
        # The writer may be one entry ahead in acked: the pairs that
        # both lists hold are aligned from the start.
        for (_n, at), sent in zip(list(self.acked), list(self.sent),
                                  strict=False):
            if sent > when:
                return at
        return None

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


def missing(ips, password, numbers, prefix='key'):
    """Which of ``numbers`` do not read back as written."""
    client = cluster_client(ips, password, timeout=5)
    try:
        lost = []
        for n in numbers:
            if client.get('%s-%d' % (prefix, n)) != str(n):
                lost.append(n)
        return lost
    finally:
        client.close()


def guest_groups(cloud_state_dir, region, instance_ids):
    """Process groups of the guests of ``instance_ids`` in ``region``."""
    with open(os.path.join(cloud_state_dir, 'state.json')) as f:
        servers = json.load(f)['regions'][region]['servers']
    names = {'trove-mr-%s' % i for i in instance_ids}
    return [s['pid'] for s in servers.values()
            if s.get('name') in names and s.get('pid')]


def freeze(groups):
    for pgid in groups:
        os.killpg(pgid, signal.SIGSTOP)


def thaw(groups):
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def wait_lag_reported(get_view, timeout=60):
    """The view once every shard's standby reported its lag."""
    deadline = time.monotonic() + timeout
    view = None
    while time.monotonic() < deadline:
        view = get_view()
        if view.get('shards') and all(
                s['replication_lag']['bytes'] is not None
                for s in view['shards']):
            return view
        time.sleep(0.5)
    raise AssertionError('no lag reported: %s' % view)


MEMBER = {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionOne'}


def create_cluster(system, session, name, **extra):
    """POST a cluster of three RegionOne masters (``extra`` beside)."""
    from tests.functional.api import helpers as api_helpers
    from tests.functional.cluster import helpers
    return api_helpers.request(
        session, 'POST', helpers.clusters_url(system, session),
        {'cluster': dict({'name': name,
                          'datastore': {'type': 'redis', 'version': '7.0'},
                          'instances': [dict(MEMBER) for _ in range(3)]},
                         **extra)})


@contextlib.contextmanager
def ready_standby_cluster(system, prefix):
    """A ready 3-shard cluster, primary RegionOne, standby RegionTwo, its
    standbys' lag reported: ``{'url', 'session', 'id', 'password',
    'frozen', 'view'}``. Afterwards what was frozen is thawed and the
    cluster deleted."""
    from tests.functional.api import helpers as api_helpers
    from tests.functional.cluster import helpers
    session = system.session('demo')
    answer = create_cluster(system, session,
                            '%s-%d' % (prefix, time.time() * 1000),
                            standby_region='RegionTwo')
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = helpers.clusters_url(system, session, '/' + created['id'])
    state = {'url': url, 'session': session, 'id': created['id'],
             'password': created['password'], 'frozen': []}
    try:
        helpers.wait_ready(session, url)
        state['view'] = wait_lag_reported(
            lambda: helpers.get(session, url).json()['cluster'])
        yield state
    finally:
        thaw(state['frozen'])
        if helpers.get(session, url).status_code == 200:
            api_helpers.request(session, 'DELETE', url)
            helpers.wait_gone(session, url)
