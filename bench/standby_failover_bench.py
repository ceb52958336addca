"""Failover of a cluster to its standby region: time to writes again.

Builds a three-shard cluster through the API, masters in RegionOne and
its standby region RegionTwo, runs a steady writer (one key per write,
each acknowledged write recorded) and samples the replication lag the
standbys report (``shards[].replication_lag``) while it writes. Then
RegionOne is lost (its guests frozen: silent sockets, no heartbeats),
``{"failover": {"region": "RegionTwo"}}`` is posted and the bench prints
the time from that request to the first write acknowledged again, and to
the cluster's task ending; then how many writes acknowledged before the
loss window are missing (0 expected).

    .venv/bin/python bench/standby_failover_bench.py [--seconds 10]
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.fixtures import devenv
from tests.functional.cluster import standby_helpers as standby

TIMEOUT = 600


def _wait(check, what, timeout=TIMEOUT, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(interval)
    raise RuntimeError('timed out waiting for %s' % what)


class Cluster:
    def __init__(self, env):
        self.session = env.session('demo')
        self.base = '%s/v1.0/%s/clusters' % (
            env.api_url, self.session.get_project_id())
        member = {'flavorRef': '7', 'volume': {'size': 1},
                  'region': 'RegionOne'}
        answer = self.session.post(self.base, json={'cluster': {
            'name': 'bench-standby', 'instances': [dict(member)] * 3,
            'standby_region': 'RegionTwo'}}, raise_exc=False)
        if answer.status_code != 202:
            raise RuntimeError('create answered %s: %s' % (
                answer.status_code, answer.text))
        created = answer.json()['cluster']
        self.id = created['id']
        self.url = '%s/%s' % (self.base, created['id'])
        self.password = created['password']
        self.view = _wait(self._ready, 'cluster ACTIVE')

    def show(self):
        return self.session.get(self.url).json()['cluster']

    def _ready(self):
        view = self.show()
        if view['task']['name'] == 'FAILED':
            raise RuntimeError('cluster failed: %s' % view)
        if view['task']['name'] == 'NONE' and all(
                m['status'] == 'ACTIVE' for m in view['instances']):
            return view
        return None

    def idle(self):
        view = self.show()
        return view if view['task']['name'] == 'NONE' else None


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--seconds', type=float, default=10,
                        help='steady writes before the loss')
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work_dir = tempfile.mkdtemp(prefix='trove-mr-standby-bench-')
    env = devenv.DevEnv(os.path.join(work_dir, 'system'))
    frozen = []
    try:
        env.start()
        cluster = Cluster(env)
        standby.wait_lag_reported(cluster.show)
        ips = standby.member_ips(cluster.view, ('RegionTwo',))
        region_one = [m['id'] for m in cluster.view['instances']
                      if m['region'] == 'RegionOne']
        with standby.Writer(ips, cluster.password) as writer:
            samples = []
            started = time.monotonic()
            while time.monotonic() - started < args.seconds:
                time.sleep(1)
                samples.append(cluster.show()['shards'])
            rate = len(writer.acked) / (time.monotonic() - started)
            lag_s = max(s['replication_lag']['seconds'] or 0
                        for shards in samples for s in shards)
            lag_b = max(s['replication_lag']['bytes'] or 0
                        for shards in samples for s in shards)
            frozen = standby.guest_groups(env.cloud.state_dir, 'RegionOne',
                                          region_one)
            standby.freeze(frozen)
            lost_at = time.monotonic()
            requested = time.monotonic()
            answer = cluster.session.post(
                env.api_url_of('RegionTwo') + cluster.url[len(env.api_url):]
                + '/action', json={'failover': {'region': 'RegionTwo'}},
                raise_exc=False)
            if answer.status_code != 202:
                raise RuntimeError('failover answered %s: %s' % (
                    answer.status_code, answer.text))
            _wait(lambda: writer.first_ok_after(requested),
                  'writes again', interval=0.05)
            writes_back = writer.first_ok_after(requested) - requested
            after = _wait(cluster.idle, 'failover done')
            task_done = time.monotonic() - requested
            time.sleep(1)
        window = after['failover']['possible_loss']['window_seconds'] or 1
        before = [n for n, at in writer.acked if at < lost_at - window]
        survivors = standby.member_ips(after, ('RegionTwo',))[:3]
        missing = standby.missing(survivors, cluster.password, before)
        print('steady writes: %.0f/s; lag up to %d s, %d bytes'
              % (rate, lag_s, lag_b))
        print('failover request -> writes again: %.2f s (task done in '
              '%.2f s); primary now %s' % (writes_back, task_done,
                                          after['primary_region']))
        print('writes acknowledged > %d s before the loss: %d, missing %d'
              % (window, len(before), len(missing)))
        for name, value, unit in (
                ('standby_failover_writes_again', round(writes_back, 2),
                 's'),
                ('standby_failover_task_done', round(task_done, 2), 's'),
                ('standby_replication_lag_seconds', lag_s, 's'),
                ('standby_replication_lag_bytes', lag_b, 'bytes'),
                ('standby_steady_write_rate', round(rate), 'writes/s'),
                ('standby_failover_missing_writes', len(missing),
                 'writes')):
            print('RESULT %s %s %s' % (name, value, unit))
        standby.thaw(frozen)
        frozen = []
        cluster.session.delete(cluster.url, raise_exc=False)
    finally:
        standby.thaw(frozen)
        env.stop()
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == '__main__':
    main()
