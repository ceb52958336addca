"""``./run.sh``'s engine: bring the embedded system up, show it, stop it.

    python -m trove_mr.localcloud.devenv_cli up   --dir .run
    python -m trove_mr.localcloud.devenv_cli demo --dir .run
    python -m trove_mr.localcloud.devenv_cli down --dir .run
    python -m trove_mr.localcloud.devenv_cli status --dir .run

``up`` leaves every process running in its own process group and records
them in ``<dir>/pids.json``; ``down`` stops them from that file, so it works
from any later shell.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import redis

from trove_mr.localcloud import devenv

DEMO_NAME = 'run-sh-demo'
DEMO_CLUSTER_NAME = 'run-sh-cluster'


def _load(state_dir):
    path = os.path.join(state_dir, 'devenv.json')
    with open(path) as f:
        return json.load(f)


def _env_from_saved(state_dir):
    saved = _load(state_dir)
    env = devenv.DevEnv(state_dir, regions=saved['regions'],
                        vhost=saved['vhost'], api_port=saved['api_port'],
                        cloud_port=saved['cloud_port'],
                        cells=saved.get('cells', False),
                        api_ports=saved.get('api_ports'))
    return env


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pids(state_dir):
    try:
        with open(os.path.join(state_dir, 'pids.json')) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def status(state_dir):
    """Print what runs; True when every process is alive."""
    pids = _pids(state_dir)
    if not pids:
        print('trove-mr is not running (no %s/pids.json)' % state_dir)
        return False
    every = True
    for name, pid in sorted(pids.items()):
        alive = _alive(pid)
        every = every and alive
        print('%-12s %s (pid %d)' % (name, 'running' if alive else 'stopped',
                                     pid))
    return every


def up(state_dir, regions, api_port, cloud_port, cells=False):
    if _pids(state_dir) and any(_alive(p) for p in
                                _pids(state_dir).values()):
        print('trove-mr is already running; ./run.sh stop first.')
        return _load(state_dir)
    # Each start is a fresh system: the previous run's guests are gone, so
    # its records would only describe servers that no longer exist.
    shutil.rmtree(state_dir, ignore_errors=True)
    os.makedirs(state_dir)
    api_port = _port_or_free(api_port)
    # With cells, region N's API listens on api_port + N when free.
    api_ports = {region: _port_or_free(api_port + index)
                 for index, region in enumerate(regions) if index} \
        if cells else None
    env = devenv.DevEnv(state_dir, regions=regions, api_port=api_port,
                        cloud_port=_port_block_or_free(cloud_port,
                                                       len(regions) + 1),
                        cells=cells, api_ports=api_ports)
    started = time.monotonic()
    try:
        env.start()
    except Exception:
        env.stop()
        raise
    saved = {'regions': env.regions, 'vhost': env.vhost,
             'api_port': env.api_port, 'cloud_port': env.cloud.port,
             'api_url': env.api_url, 'auth_url': env.cloud.auth_url,
             'conf_file': env.conf_file,
             'clouds_yaml': os.path.join(state_dir, 'clouds.yaml'),
             'cells': env.cells, 'api_ports': env.api_ports}
    with open(os.path.join(state_dir, 'devenv.json'), 'w') as f:
        json.dump(saved, f, indent=2)
    print('trove-mr is up in %.1f s: API %s, Keystone %s, regions %s'
          % (time.monotonic() - started, env.api_url, env.cloud.auth_url,
             ', '.join(env.regions)))
    if env.cells:
        print('one control cell per region, global lists: %s' % ', '.join(
            '%s %s' % (region, env.api_url_of(region))
            for region in env.cell_regions))
    return saved


def _port_or_free(port):
    return port if port and _free(port) else devenv.free_port()


def _port_block_or_free(port, count):
    if port and all(_free(port + i) for i in range(count)):
        return port
    from trove_mr.localcloud import fixture
    return fixture.free_port_block(count)


def _free(port):
    import socket
    with socket.socket() as probe:
        try:
            probe.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def down(state_dir):
    """Stop what ``up`` started, from the pid file."""
    pids = _pids(state_dir)
    cloud_pid = pids.pop('localcloud', None)
    for name, pid in pids.items():
        _stop_group(name, pid)
    if cloud_pid:
        # The local cloud stops the guests it started when it exits.
        _stop_group('localcloud', cloud_pid, group=False)
    try:
        saved = _load(state_dir)
        devenv.rabbitmqctl('delete_vhost', saved['vhost'])
    except (OSError, ValueError, KeyError, subprocess.SubprocessError):
        pass
    try:
        os.remove(os.path.join(state_dir, 'pids.json'))
    except OSError:
        pass
    _kill_leftover_guests(state_dir)


def _stop_group(name, pid, group=True, timeout=20):
    kill = (lambda sig: os.killpg(pid, sig)) if group else \
        (lambda sig: os.kill(pid, sig))
    try:
        kill(signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid) and (not group or not _group_alive(pid)):
            print('stopped %s (pid %d)' % (name, pid))
            return
        time.sleep(0.1)
    try:
        kill(signal.SIGKILL)
    except ProcessLookupError:
        pass
    print('killed %s (pid %d) after %ds' % (name, pid, timeout))


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_leftover_guests(state_dir):
    """Guests whose cloud died before stopping them."""
    path = os.path.join(state_dir, 'cloud', 'state.json')
    try:
        with open(path) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return
    for region in state.get('regions', {}).values():
        for server in region.get('servers', {}).values():
            pid = server.get('pid')
            if pid and _group_alive(pid):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass


def demo(state_dir, region, timeout=180):
    """Create a Redis instance in ``region``, wait ACTIVE, use it."""
    env = _env_from_saved(state_dir)
    trove = env.trove('demo')
    flavor = next(f for f in trove.flavors.list() if f.name == 'm1.redis')
    started = time.monotonic()
    inst = trove.instances.create(
        DEMO_NAME, flavor.id, volume={'size': 1},
        datastore=devenv.DATASTORE, datastore_version=devenv.DATASTORE_VERSION,
        region_name=region)
    password = getattr(inst, 'password', None)
    print('POST /instances -> %s %s in %s' % (inst.id, inst.status, region))
    while True:
        inst = trove.instances.get(inst.id)
        if inst.status in ('ACTIVE', 'ERROR'):
            break
        if time.monotonic() - started > timeout:
            raise SystemExit('instance %s still %s after %ds'
                             % (inst.id, inst.status, timeout))
        time.sleep(0.5)
    took = time.monotonic() - started
    if inst.status != 'ACTIVE':
        raise SystemExit('instance %s is in ERROR: %s'
                         % (inst.id, getattr(inst, 'fault', '')))
    print('instance %s is ACTIVE in %.1f s' % (inst.id, took))
    print(json.dumps({k: getattr(inst, k, None) for k in (
        'id', 'name', 'status', 'region', 'ip', 'volume', 'datastore')},
        indent=2))
    address = inst.ip[0]
    client = redis.Redis(host=address, port=6379, password=password,
                         socket_timeout=5)
    client.set('greeting', 'hello from %s' % region)
    print('redis %s:6379 SET/GET greeting -> %s'
          % (address, client.get('greeting').decode()))
    return inst


def demo_cluster(state_dir, timeout=300):
    """Create a three-master Redis cluster over RegionOne and RegionTwo,
    wait until it is formed, show it and use it."""
    env = _env_from_saved(state_dir)
    trove = env.trove('demo')
    flavor = next(f for f in trove.flavors.list() if f.name == 'm1.redis')
    regions = ['RegionOne', 'RegionOne', 'RegionTwo']
    regions = [r if r in env.regions else env.regions[0] for r in regions]
    started = time.monotonic()
    cluster = trove.clusters.create(
        DEMO_CLUSTER_NAME, devenv.DATASTORE, devenv.DATASTORE_VERSION,
        instances=[{'flavorRef': flavor.id, 'volume': {'size': 1},
                    'region': region} for region in regions])
    password = getattr(cluster, 'password', None)
    print('POST /clusters -> %s %s, members in %s'
          % (cluster.id, cluster.task['name'], ', '.join(regions)))
    while True:
        cluster = trove.clusters.get(cluster.id)
        task = cluster.task['name']
        if task == 'FAILED':
            raise SystemExit('cluster %s FAILED: %s'
                             % (cluster.id, cluster.instances))
        if task == 'NONE' and all(m.get('status') == 'ACTIVE'
                                  for m in cluster.instances):
            break
        if time.monotonic() - started > timeout:
            raise SystemExit('cluster %s still %s after %ds'
                             % (cluster.id, task, timeout))
        time.sleep(0.5)
    print('cluster %s is formed in %.1f s'
          % (cluster.id, time.monotonic() - started))
    print(json.dumps({
        'id': cluster.id, 'name': cluster.name, 'task': cluster.task,
        'ip': cluster.ip,
        'instances': [{k: m.get(k) for k in ('name', 'region', 'type',
                                             'status', 'ip')}
                      for m in cluster.instances]}, indent=2))
    client = redis.RedisCluster(host=cluster.ip[0], port=6379,
                                password=password, decode_responses=True)
    try:
        client.set('greeting', 'hello from a cluster over %s'
                   % ' and '.join(sorted(set(regions))))
        print('redis cluster SET/GET greeting -> %s'
              % client.get('greeting'))
    finally:
        client.close()
    return cluster


def _print_usage(saved):
    print()
    print('Use it:')
    print('  export OS_CLIENT_CONFIG_FILE=%s' % saved['clouds_yaml'])
    print('  openstack --os-cloud demo database instance list')
    print('  openstack --os-cloud demo database instance create my-redis '
          '--flavor m1.redis --size 1 --datastore redis '
          '--datastore-version 7.0 --region RegionTwo')
    print('  openstack --os-cloud demo database instance show my-redis')
    print('  openstack --os-cloud demo database cluster create my-cluster '
          'redis 7.0 --instance flavor=m1.redis,volume=1 '
          '--instance flavor=m1.redis,volume=1 '
          '--instance flavor=m1.redis,volume=1,region=RegionTwo')
    print('Logs: %s/log   Stop: ./run.sh stop' %
          os.path.dirname(saved['conf_file']))


def main(argv=None):
    parser = argparse.ArgumentParser(prog='run.sh')
    parser.add_argument('command', choices=['up', 'demo', 'demo-cluster',
                                            'down', 'status'])
    parser.add_argument('--dir', default='.run')
    parser.add_argument('--regions', default='RegionOne,RegionTwo')
    parser.add_argument('--api-port', type=int, default=8779)
    parser.add_argument('--cloud-port', type=int, default=5000)
    parser.add_argument('--demo-region', default='RegionTwo')
    parser.add_argument('--cells', action='store_true',
                        help='one control cell (database, message queue, '
                             'API, taskmanager, conductor) per region, '
                             'with global lists')
    args = parser.parse_args(argv)
    state_dir = os.path.abspath(args.dir)
    if args.command == 'up':
        saved = up(state_dir, args.regions.split(','), args.api_port,
                   args.cloud_port, cells=args.cells)
        _print_usage(saved)
    elif args.command == 'demo':
        demo(state_dir, args.demo_region)
    elif args.command == 'demo-cluster':
        demo_cluster(state_dir)
    elif args.command == 'down':
        down(state_dir)
    else:
        return 0 if status(state_dir) else 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
