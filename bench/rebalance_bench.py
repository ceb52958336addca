"""Online rebalance throughput (keys/s) beside ``redis-cli --cluster
rebalance`` on the same cluster and data.

Builds a three-master cluster through the API (RegionOne, RegionTwo,
RegionOne), writes ``--keys`` keys, then moves a third of them off the
third master and back, twice:

* round 1: ``redis-cli --cluster rebalance`` with that master's weight 0
  empties it, then the cluster's own rebalance (``POST .../action
  {"rebalance": {}}``, until the task is NONE) fills it again;
* round 2: the cluster's rebalance with weight 0 empties it, then
  ``redis-cli --cluster rebalance --cluster-use-empty-masters`` fills it.

Each side moves the same slots and keys once each way; keys/s is keys
moved over seconds taken, the cluster's from its POST to the task
ending (the control plane's own round trips included).

    .venv/bin/python bench/rebalance_bench.py [--keys 100000]
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import redis

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.fixtures import devenv

TIMEOUT = 900


def _wait(check, what, timeout=TIMEOUT, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise RuntimeError('timed out waiting for %s' % what)


class Cluster:
    """The bench's cluster, seen through the API and its nodes."""

    def __init__(self, env):
        self.session = env.session('demo')
        self.base = '%s/v1.0/%s/clusters' % (
            env.api_url, self.session.get_project_id())
        regions = env.regions
        members = [{'flavorRef': '7', 'volume': {'size': 1},
                    'region': regions[i % len(regions)]} for i in range(3)]
        answer = self.session.post(self.base, json={'cluster': {
            'name': 'bench-rebalance', 'instances': members}},
            raise_exc=False)
        if answer.status_code != 202:
            raise RuntimeError('create answered %s: %s' % (
                answer.status_code, answer.text))
        created = answer.json()['cluster']
        self.url = '%s/%s' % (self.base, created['id'])
        self.password = created['password']
        self.view = {}
        _wait(self._idle, 'cluster ACTIVE', interval=0.2)
        self.member = sorted(self.view['instances'],
                             key=lambda m: m['name'])[-1]
        self.ips = self.view['ip']

    def _idle(self):
        self.view = self.session.get(self.url).json()['cluster']
        if self.view['task']['name'] == 'FAILED':
            raise RuntimeError('cluster failed: %s' % self.view)
        return self.view['task']['name'] == 'NONE' and all(
            m['status'] == 'ACTIVE' for m in self.view['instances'])

    def node(self, ip):
        return redis.Redis(host=ip, port=6379, password=self.password,
                           decode_responses=True)

    def member_ip(self):
        """The address of the member the bench empties and refills."""
        return self.member['ip'][0]

    def rebalance(self, weights=None):
        answer = self.session.post(self.url + '/action', json={
            'rebalance': {'weights': weights} if weights else {}},
            raise_exc=False)
        if answer.status_code != 202:
            raise RuntimeError('rebalance answered %s: %s' % (
                answer.status_code, answer.text))
        _wait(self._idle, 'rebalance')

    def delete(self):
        self.session.delete(self.url, raise_exc=False)


def _fill(cluster, count):
    client = redis.RedisCluster(host=cluster.ips[0], port=6379,
                                password=cluster.password)
    value = b'v' * 100
    for start in range(0, count, 5000):
        pipe = client.pipeline()
        for i in range(start, min(start + 5000, count)):
            pipe.set('key:%d' % i, value)
        pipe.execute()
    client.close()


def _redis_cli(cluster, *args):
    subprocess.run(['redis-cli', '-a', cluster.password, '--no-auth-warning',
                    '--cluster', 'rebalance', '%s:6379' % cluster.ips[0]] +
                   list(args), check=True, stdout=subprocess.DEVNULL,
                   timeout=TIMEOUT)


def _timed(action):
    started = time.monotonic()
    action()
    return time.monotonic() - started


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--keys', type=int, default=100000)
    args = parser.parse_args(argv)
    if not shutil.which('redis-cli'):
        sys.exit('redis-cli is needed for the floor')
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work_dir = tempfile.mkdtemp(prefix='trove-mr-rebalance-bench-')
    env = devenv.DevEnv(os.path.join(work_dir, 'system'), conf_overrides={
        'DEFAULT': {'usage_timeout': str(TIMEOUT)}})
    try:
        env.start()
        cluster = Cluster(env)
        _fill(cluster, args.keys)
        node = cluster.node(cluster.member_ip())
        node_id = node.execute_command('CLUSTER', 'MYID')
        for ip in cluster.ips:
            # An emptied master must stay a master for the way back.
            cluster.node(ip).config_set('cluster-allow-replica-migration',
                                        'no')
        held = node.dbsize()
        ours = {'keys': 0, 'seconds': 0.0}
        cli = {'keys': 0, 'seconds': 0.0}

        def count(side, seconds, moved):
            side['seconds'] += seconds
            side['keys'] += moved

        # Round 1: redis-cli empties the member, the cluster refills it.
        took = _timed(lambda: _redis_cli(
            cluster, '--cluster-weight', '%s=0' % node_id))
        count(cli, took, held - node.dbsize())
        took = _timed(cluster.rebalance)
        count(ours, took, node.dbsize())
        # Round 2: the cluster empties it, redis-cli refills it.
        held = node.dbsize()
        took = _timed(lambda: cluster.rebalance({cluster.member['id']: 0}))
        count(ours, took, held - node.dbsize())
        took = _timed(lambda: _redis_cli(cluster,
                                         '--cluster-use-empty-masters'))
        count(cli, took, node.dbsize())

        ours_rate = ours['keys'] / ours['seconds']
        cli_rate = cli['keys'] / cli['seconds']
        print('keys in the cluster: %d' % args.keys)
        print('rebalance (API)       : %6d keys in %6.2f s  %8.0f keys/s'
              % (ours['keys'], ours['seconds'], ours_rate))
        print('redis-cli --cluster rebalance: %6d keys in %6.2f s  %8.0f '
              'keys/s' % (cli['keys'], cli['seconds'], cli_rate))
        print('ratio %.2f' % (ours_rate / cli_rate))
        for name, value, unit in (
                ('rebalance_keys_moved', ours['keys'], 'keys'),
                ('rebalance_throughput', round(ours_rate), 'keys/s'),
                ('redis_cli_rebalance_throughput', round(cli_rate),
                 'keys/s'),
                ('rebalance_over_redis_cli', round(ours_rate / cli_rate, 2),
                 'ratio')):
            print('RESULT %s %s %s' % (name, value, unit))
        cluster.delete()
    finally:
        env.stop()
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == '__main__':
    main()
