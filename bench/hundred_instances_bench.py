"""100 Redis instances on one machine, and what the control plane pays.

Brings up the embedded system (local cloud with two regions, SQLite,
RabbitMQ, API, taskmanagers, conductor), then builds instances through
python-troveclient in waves (20 at once by default), alternating
RegionOne and RegionTwo, until 10 are ACTIVE, and measures; then on to
100 and measures again:

* the resident memory (RSS, every process of each service's tree) of the
  taskmanagers and of the conductor, with 10 and with 100 instances;
* their CPU over a quiet window while every guest heartbeats at the
  default interval (``agent_heartbeat_interval``), in percent of one core;
* the guest agents' RSS per instance with 100 guests running.

    .venv/bin/python bench/hundred_instances_bench.py [--instances 100]
        [--first 10] [--wave 20] [--window 30]

Goals: all instances ACTIVE; control-plane RSS at 100 within 1.2x of
its RSS at 10; its CPU while 100 guests heartbeat under 10% of one core.
Ends with RESULT lines.
"""

import argparse
import concurrent.futures
import sys
import tempfile
import time
import uuid

import psutil

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.fixtures import devenv

REGIONS = ('RegionOne', 'RegionTwo')
WATCHED = ('taskmanager', 'conductor')
MB = 1024.0 * 1024.0


def _tree(pid):
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def service_processes(env):
    """{service kind: [psutil.Process]} of the watched services."""
    found = {kind: [] for kind in WATCHED}
    for name, proc in env.procs.items():
        kind = name.partition('-')[0].rstrip('0123456789')
        if kind in found:
            found[kind].extend(_tree(proc.pid))
    return found


def _rss_mb(processes):
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / MB


def cpu_seconds(processes):
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def measure(env, window):
    """RSS (MB) per service kind, and CPU (% of one core) over
    ``window`` quiet seconds, in all and per service kind."""
    processes = service_processes(env)
    before = {kind: cpu_seconds(group) for kind, group in processes.items()}
    start = time.monotonic()
    time.sleep(window)
    elapsed = time.monotonic() - start
    cpu = {kind: 100.0 * (cpu_seconds(group) - before[kind]) / elapsed
           for kind, group in processes.items()}
    rss = {kind: _rss_mb(group) for kind, group in processes.items()}
    return rss, sum(cpu.values()), cpu


def _guest_agents(env):
    """The guest agents of this system's local cloud (not of others
    running on the machine)."""
    agents = []
    for process in _tree(env.cloud.proc.pid):
        try:
            cmdline = ' '.join(process.cmdline())
        except psutil.NoSuchProcess:
            continue
        if 'guestagent' in cmdline:
            agents.append(process)
    return agents


def _wait_active(trove, ids, timeout):
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for instance_id in list(pending):
            instance = trove.instances.get(instance_id)
            if instance.status == 'ACTIVE':
                pending.discard(instance_id)
            elif instance.status == 'ERROR':
                raise RuntimeError('instance %s is ERROR: %s' % (
                    instance_id, getattr(instance, 'fault', '')))
        time.sleep(0.5)
    if pending:
        raise RuntimeError('%d instances not ACTIVE within %ss'
                           % (len(pending), timeout))


def build(env, count, wave, offset):
    """Create ``count`` instances, ``wave`` at once; seconds taken."""
    start = time.monotonic()
    done = 0
    while done < count:
        size = min(wave, count - done)

        def create(number):
            return env.trove('demo').instances.create(
                'hundred-%d-%s' % (number, uuid.uuid4().hex[:4]), '7',
                volume={'size': 1}, datastore=devenv.DATASTORE,
                datastore_version=devenv.DATASTORE_VERSION,
                region_name=REGIONS[number % 2]).id
        with concurrent.futures.ThreadPoolExecutor(size) as pool:
            ids = list(pool.map(create, range(offset + done,
                                              offset + done + size)))
        _wait_active(env.trove('demo'), ids, timeout=120 + 10 * size)
        done += size
        print('  %3d ACTIVE (%.0f s)' % (offset + done,
                                         time.monotonic() - start))
    return time.monotonic() - start


def _report(label, rss, cpu, by_kind):
    print('%-16s taskmanagers %6.1f MB  conductor %6.1f MB  '
          'CPU %5.2f%% of one core (taskmanagers %.2f%%, conductor %.2f%%)'
          % (label, rss['taskmanager'], rss['conductor'], cpu,
             by_kind['taskmanager'], by_kind['conductor']))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', type=int, default=100)
    parser.add_argument('--first', type=int, default=10)
    parser.add_argument('--wave', type=int, default=20)
    parser.add_argument('--window', type=int, default=30,
                        help='quiet seconds over which CPU is measured')
    args = parser.parse_args(argv)
    limit = max(1000, args.instances * 2)
    env = devenv.DevEnv(tempfile.mkdtemp(prefix='trove-mr-bench-'),
                        conf_overrides={'DEFAULT': {
                            'max_instances_per_tenant': limit,
                            'max_volumes_per_tenant': limit}})
    env.start()
    try:
        first = build(env, args.first, args.wave, 0)
        rss_few, cpu_few, kinds_few = measure(env, args.window)
        _report('%d instances' % args.first, rss_few, cpu_few, kinds_few)
        rest = build(env, args.instances - args.first, args.wave,
                     args.first)
        rss_many, cpu_many, kinds_many = measure(env, args.window)
        _report('%d instances' % args.instances, rss_many, cpu_many,
                kinds_many)
        agents = _guest_agents(env)
        agent_mb = _rss_mb(agents) / args.instances
        few = rss_few['taskmanager'] + rss_few['conductor']
        many = rss_many['taskmanager'] + rss_many['conductor']
        print('built %d in %.0f s, then %d in %.0f s; %d guest agent '
              'processes, %.1f MB per instance' % (args.first, first,
                                args.instances - args.first, rest,
                                len(agents), agent_mb))
        print('control-plane RSS %d / %d instances: %.2f (goal <= 1.2); '
              'CPU with %d: %.2f%% (goal < 10)'
              % (args.instances, args.first, many / few, args.instances,
                 cpu_many))
        n, f = args.instances, args.first
        for name, value, unit in (
                ('instances_active', n, 'count'),
                ('build_%d_seconds' % n, first + rest, 's'),
                ('taskmanager_rss_%d' % f, rss_few['taskmanager'], 'MB'),
                ('conductor_rss_%d' % f, rss_few['conductor'], 'MB'),
                ('taskmanager_rss_%d' % n, rss_many['taskmanager'], 'MB'),
                ('conductor_rss_%d' % n, rss_many['conductor'], 'MB'),
                ('control_plane_rss_%d_over_%d' % (n, f), many / few,
                 'ratio'),
                ('control_plane_cpu_%d_guests' % f, cpu_few, 'percent'),
                ('control_plane_cpu_%d_guests' % n, cpu_many, 'percent'),
                ('taskmanager_cpu_%d_guests' % n, kinds_many['taskmanager'],
                 'percent'),
                ('conductor_cpu_%d_guests' % n, kinds_many['conductor'],
                 'percent'),
                ('guest_agent_rss_per_instance', agent_mb, 'MB')):
            print('RESULT %s %.2f %s' % (name, value, unit))
        return 0 if many / few <= 1.2 and cpu_many < 10 else 1
    finally:
        env.stop(remove=True)


if __name__ == '__main__':
    sys.exit(main())
