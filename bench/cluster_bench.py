"""Redis cluster create time on the embedded system, beside its floor.

For 3, 6 and 12 members (masters, alternately in RegionOne and
RegionTwo) prints the seconds from POST /clusters until the cluster's
task is NONE, every member ACTIVE and every member answers
``cluster_state:ok``; beside it, the floor on this machine: ``redis-cli
--cluster create`` over the same number of redis-server processes
already running, until every node answers ``cluster_state:ok``. The
members are built in parallel, so the 12-member time stays well under
four times the 3-member time; the script prints that ratio.

    .venv/bin/python bench/cluster_bench.py [--sizes 3,6,12]
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import redis

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.fixtures import devenv

TIMEOUT = 600


def _all_ok(addresses, password=None):
    for host, port in addresses:
        client = redis.Redis(host=host, port=port, password=password,
                             socket_timeout=2, decode_responses=True)
        try:
            info = client.execute_command('CLUSTER', 'INFO')
        except redis.RedisError:
            return False
        finally:
            client.close()
        if 'cluster_state:ok' not in info:
            return False
    return True


def _free_cluster_port():
    """A port free on 127.0.0.1 whose cluster bus port (+10000) is too."""
    while True:
        port = devenv.free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(('127.0.0.1', port + 10000))
            except OSError:
                continue
        return port


def floor(count, work_dir):
    """Seconds of ``redis-cli --cluster create`` over running servers."""
    procs, addresses = [], []
    try:
        for i in range(count):
            port = _free_cluster_port()
            node_dir = os.path.join(work_dir, 'floor-%d-%d' % (count, i))
            os.makedirs(node_dir)
            procs.append(subprocess.Popen(
                ['redis-server', '--port', str(port), '--bind', '127.0.0.1',
                 '--cluster-enabled', 'yes', '--dir', node_dir,
                 '--save', '', '--appendonly', 'no'],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            addresses.append(('127.0.0.1', port))
        def up():
            dead = [p.args for p in procs if p.poll() is not None]
            if dead:
                raise RuntimeError('floor redis-server exited: %s' % dead)
            return all(_pings(a) for a in addresses)
        _wait(up, 'floor servers')
        start = time.monotonic()
        subprocess.run(
            ['redis-cli', '--cluster', 'create'] +
            ['%s:%d' % a for a in addresses] +
            ['--cluster-replicas', '0', '--cluster-yes'],
            check=True, stdout=subprocess.DEVNULL, timeout=120)
        _wait(lambda: _all_ok(addresses), 'floor cluster_state:ok',
              interval=0.02)
        return time.monotonic() - start
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()


def _pings(address):
    client = redis.Redis(host=address[0], port=address[1], socket_timeout=1)
    try:
        return client.ping()
    except redis.RedisError:
        return False
    finally:
        client.close()


def _wait(check, what, timeout=TIMEOUT, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise RuntimeError('timed out waiting for %s' % what)


def create_cluster(env, count):
    """Seconds from POST /clusters to NONE, ACTIVE and state ok."""
    session = env.session('demo')
    base = '%s/v1.0/%s/clusters' % (env.api_url, session.get_project_id())
    members = [{'flavorRef': '7', 'volume': {'size': 1},
                'region': env.regions[i % len(env.regions)]}
               for i in range(count)]
    start = time.monotonic()
    answer = session.post(base, json={'cluster': {
        'name': 'bench-%d' % count, 'instances': members}},
        raise_exc=False)
    if answer.status_code != 202:
        raise RuntimeError('create answered %s: %s' % (answer.status_code,
                                                       answer.text))
    created = answer.json()['cluster']
    url = '%s/%s' % (base, created['id'])
    view = {}

    def ready():
        view.update(session.get(url).json()['cluster'])
        if view['task']['name'] == 'FAILED':
            raise RuntimeError('cluster failed: %s' % view)
        return view['task']['name'] == 'NONE' and all(
            m['status'] == 'ACTIVE' for m in view['instances'])
    _wait(ready, 'cluster of %d' % count, interval=0.1)
    _wait(lambda: _all_ok([(ip, 6379) for ip in view['ip']],
                          created['password']),
          'cluster_state:ok', interval=0.05)
    took = time.monotonic() - start
    session.delete(url, raise_exc=False)
    _wait(lambda: session.get(url, raise_exc=False).status_code == 404,
          'cluster of %d deleted' % count)
    return took


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--sizes', default='3,6,12')
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(',')]
    if not shutil.which('redis-cli'):
        sys.exit('redis-cli is needed for the floor')
    # SIGTERM unwinds like Ctrl-C, so the system and servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work_dir = tempfile.mkdtemp(prefix='trove-mr-cluster-bench-')
    env = devenv.DevEnv(os.path.join(work_dir, 'system'), conf_overrides={
        'DEFAULT': {'usage_timeout': str(TIMEOUT),
                    'max_volumes_per_tenant': '100'}})
    try:
        env.start()
        rows = []
        results = []
        for count in sizes:
            system_time = create_cluster(env, count)
            floor_time = floor(count, work_dir)
            rows.append((count, system_time, floor_time))
            print('%2d members: create %6.1f s   floor (redis-cli --cluster '
                  'create) %5.2f s   ratio %5.1fx' % (
                      count, system_time, floor_time,
                      system_time / floor_time), flush=True)
            results += [
                ('cluster_create_%d_members' % count, system_time, 's'),
                ('redis_cli_cluster_create_%d_members' % count, floor_time,
                 's'),
                ('cluster_create_%d_over_floor' % count,
                 system_time / floor_time, 'ratio')]
        times = {count: took for count, took, _floor in rows}
        if min(sizes) in times and max(sizes) in times and \
                min(sizes) != max(sizes):
            print('%d members / %d members: %.2fx (%.0fx more members)' % (
                max(sizes), min(sizes), times[max(sizes)] /
                times[min(sizes)], max(sizes) / min(sizes)))
            results.append(('cluster_create_%d_over_%d' % (
                max(sizes), min(sizes)),
                times[max(sizes)] / times[min(sizes)], 'ratio'))
        for name, value, unit in results:
            print('RESULT %s %.2f %s' % (name, value, unit))
    finally:
        env.stop()
        if not os.environ.get('BENCH_KEEP_STATE'):
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == '__main__':
    main()
