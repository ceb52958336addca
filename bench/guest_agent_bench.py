"""What one guest agent costs: memory, processes, and start to first
heartbeat.

Runs the real ``trove-mr-guestagent`` (as the local cloud starts it: a
server root with the configuration the taskmanager writes, a volume, an
address in 127.98.0.0/16) against the real RabbitMQ and a real
``trove-mr-conductor`` on a migrated SQLite database, and prints

* start to first heartbeat: from the agent's exec to the conductor
  recording its first heartbeat (the receive time the conductor stores),
  for a guest not prepared yet and for an agent started again beside a
  running redis-server (it adopts it), median and worst of ``--starts``,
  beside the time a bare Python takes to import oslo.messaging and
  redis-py (on a busy machine every figure grows alike);
* the agent's steady-state RSS after ``--steady`` seconds of heartbeats
  (one a second) and ``--calls`` get_status calls, its process count, and
  beside it the redis-server it looks after and a floor: a bare Python
  importing oslo.messaging and redis-py, the least an agent on this bus
  can be.

    .venv/bin/python bench/guest_agent_bench.py [--starts 5] [--steady 20]
"""

import argparse
import calendar
import glob
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.functional import rpc_fixtures
from tests.functional.conductor import guest_fixtures
from trove_mr.common import cfg
from trove_mr.common import rpc
from trove_mr.db import engines
from trove_mr.guestagent.datastore.redis import config as redis_config

CONF = cfg.CONF
RSS_LIMIT_MB = 60
START_LIMIT_S = 1.5


def _rss_mb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError('no VmRSS for pid %d' % pid)


def _python_descendants(pid):
    """Pids of the Python processes below ``pid`` (a launcher's workers).
    """
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for path in glob.glob('/proc/%d/task/*/children' % parent):
            with open(path) as f:
                for child in map(int, f.read().split()):
                    todo.append(child)
                    try:
                        with open('/proc/%d/cmdline' % child, 'rb') as c:
                            if b'python' in c.read():
                                found.append(child)
                    except OSError:
                        pass
    return found


def _floor():
    """(RSS MB, seconds) of a bare Python importing the bus and Redis
    libraries, the least an agent can be; median of three."""
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, '-c',
             # trove_mr's package init only: oslo.service's threading
             # backend chosen and eventlet hidden, as in every process.
             'import trove_mr, oslo_messaging, redis\n'
             'print(open("/proc/self/status").read())'],
            capture_output=True, text=True, check=True).stdout
        seconds = time.perf_counter() - started
        for line in out.splitlines():
            if line.startswith('VmRSS:'):
                runs.append((int(line.split()[1]) / 1024.0, seconds))
    return (statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs))


def _epoch(naive_utc):
    return calendar.timegm(naive_utc.timetuple()) + \
        naive_utc.microsecond / 1e6


def _first_heartbeat(world, timeout=30):
    """Start an agent; seconds from its exec to its first heartbeat."""
    started = time.time()
    agent = world.start_agent()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = world.status()
        if row.heartbeat_at is not None and \
                _epoch(row.heartbeat_at) > started:
            return agent, _epoch(row.heartbeat_at) - started, row.status
        if agent.proc.poll() is not None:
            raise RuntimeError('the agent exited:\n%s' % agent.log())
        time.sleep(0.005)
    raise RuntimeError('no heartbeat in %ss:\n%s' % (timeout, agent.log()))


class _Services:
    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.started = []

    def __call__(self, name, config_file):
        service = rpc_fixtures.ServiceProcess(name, config_file,
                                              self.log_dir)
        self.started.append(service)
        return service

    def cleanup(self):
        for service in self.started:
            service.cleanup()


def _synced_db(tmp):
    path = os.path.join(tmp, 'template.sqlite')
    conf = os.path.join(tmp, 'manage.conf')
    with open(conf, 'w') as f:
        f.write('[database]\nconnection = sqlite:///%s\n[api_database]\n'
                'connection = sqlite:///%s\n'
                % (path, os.path.join(tmp, 'api-template.sqlite')))
    subprocess.run([os.path.join(rpc_fixtures.BIN_DIR, 'trove-mr-manage'),
                    '--config-file', conf, 'db', 'sync'],
                   check=True, capture_output=True, timeout=120)
    return path


def _configure(tmp, exchange):
    from oslo_messaging import opts as messaging_opts

    CONF([], project='trove-mr')
    CONF.register_opts(dict(messaging_opts.list_opts())[None])
    for name, value in (('transport_url', rpc_fixtures.TRANSPORT_URL),
                        ('control_exchange', exchange),
                        ('rpc_response_timeout', 5),
                        ('agent_call_low_timeout', 5),
                        ('inst_rpc_key_encr_key', guest_fixtures.DB_KEY),
                        ('taskmanager_rpc_encr_key',
                         guest_fixtures.CONTROL_KEY),
                        ('enable_secure_rpc_messaging', True)):
        CONF.set_override(name, value)
    CONF.set_override('connection', 'sqlite:///%s'
                      % os.path.join(tmp, 'trove_mr.sqlite'),
                      group='database')


def run(starts, steady, calls):
    exchange = 'trove-mr-bench-' + uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix='guest-agent-bench-') as tmp:
        _configure(tmp, exchange)
        services = _Services(tmp)
        world = None
        try:
            world = guest_fixtures.GuestWorld(
                pathlib.Path(tmp), exchange, services, _synced_db(tmp))
            return _measure(world, starts, steady, calls)
        finally:
            if world is not None:
                world.cleanup()
            services.cleanup()
            engines.dispose_all()
            rpc.cleanup()


def _measure(world, starts, steady, calls):
    client = world.guest_rpcapi()
    # A guest not prepared yet: the agent starts, reports BUILD.
    agent, new_start, status = _first_heartbeat(world)
    assert status == 'BUILD', status
    client.prepare({'password': redis_config.generate_password(),
                    'backup_info': None, 'cluster': None})
    world.wait_status('RUNNING', timeout=60)
    fresh = [new_start]
    adopting = []
    for _ in range(starts):
        agent.terminate()
        agent, seconds, status = _first_heartbeat(world)
        assert status == 'RUNNING', status
        adopting.append(seconds)
    # Steady state: heartbeats every second and some calls.
    for _ in range(calls):
        assert client.get_status()['status'] == 'running'
    time.sleep(steady)
    rss = _rss_mb(agent.proc.pid)
    workers = _python_descendants(agent.proc.pid)
    worker_rss = sum(_rss_mb(pid) for pid in workers)
    redis_rss = _rss_mb(world.redis_pid())
    floor, floor_start = _floor()
    total = rss + worker_rss
    worst_start = max(fresh + adopting)
    median_start = statistics.median(fresh + adopting)

    print('Guest agent (one trove-mr-guestagent, real RabbitMQ, conductor '
          'and redis-server)')
    print('  %-48s %8s' % ('figure', 'value'))
    print('  %-48s %6.2f s' % ('start to first heartbeat, not prepared',
                               fresh[0]))
    print('  %-48s %6.2f s' % ('start to first heartbeat, adopting Redis '
                               '(median of %d)' % len(adopting),
                               statistics.median(adopting)))
    print('  %-48s %6.2f s' % ('start to first heartbeat, worst',
                               worst_start))
    print('  %-48s %6.2f s' % ('floor: python + oslo.messaging + redis-py',
                               floor_start))
    print('  %-48s %6d' % ('agent processes (Python)', 1 + len(workers)))
    print('  %-48s %6.1f MB' % ('agent RSS after %d s, %d calls'
                                % (steady, calls), total))
    print('  %-48s %6.1f MB' % ('redis-server RSS', redis_rss))
    print('  %-48s %6.1f MB' % ('floor: python + oslo.messaging + redis-py',
                                floor))
    print('RESULT guest_agent_rss %.1f MB' % total)
    print('RESULT guest_agent_processes %d count' % (1 + len(workers)))
    print('RESULT guest_agent_start_to_first_heartbeat %.2f s'
          % median_start)
    print('RESULT guest_agent_start_to_first_heartbeat_worst %.2f s'
          % worst_start)
    print('RESULT guest_agent_import_floor %.2f s' % floor_start)
    ok = total <= RSS_LIMIT_MB and median_start <= START_LIMIT_S and \
        not workers
    print('RSS <= %d MB, one process, first heartbeat <= %.1f s '
          '(median): %s' % (RSS_LIMIT_MB, START_LIMIT_S,
                            'yes' if ok else 'NO'))
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--starts', type=int, default=5,
                        help='agent starts beside a running redis-server')
    parser.add_argument('--steady', type=int, default=20,
                        help='seconds of heartbeats before reading RSS')
    parser.add_argument('--calls', type=int, default=50,
                        help='get_status calls before reading RSS')
    args = parser.parse_args(argv)
    return run(args.starts, args.steady, args.calls)


if __name__ == '__main__':
    sys.exit(main())
