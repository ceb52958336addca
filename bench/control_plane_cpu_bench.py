"""Control-plane CPU while 100 guests heartbeat, and the heartbeat
headroom of the real bus and conductor.

Brings up the embedded system (``tests.fixtures.devenv``: local cloud,
SQLite, RabbitMQ, API, two taskmanagers on their Redis jobboard, the
conductor) with the shipped defaults where the development system
differs (``agent_heartbeat_interval`` 10 s, ``debug`` off; ``--interval``
and ``--debug`` give the development system's 2 s and debug logs).
No guest runs: ``--guests`` instance rows get an RPC key each, sealed in
the cell's database as the taskmanager stores it, and this process sends
each guest's heartbeats as its agent does (a cast sealed under the
instance's own key, on the guest-reports exchange of the real RabbitMQ),
every guest at its own phase of the interval.

Measured from /proc (every process of each service's tree: the
oslo.service launcher and its worker):

* CPU, in percent of one core, of the conductor and of the taskmanagers
  over ``--idle`` seconds with no heartbeat, then over ``--window``
  seconds while the guests heartbeat; the difference over the
  heartbeats received is the conductor's CPU per heartbeat;
* the headroom: ``--burst-guests`` (10,000) guests' heartbeats,
  ``--rounds`` rounds of one each, sealed beforehand and published while
  the conductor is stopped (SIGSTOP), so that they all wait in its
  queue; sustained = heartbeats / seconds from SIGCONT until the
  conductor recorded the last round of every guest in the database;
  needed = guests / interval. One round first, untimed, fills the
  conductor's key cache.

    .venv/bin/python bench/control_plane_cpu_bench.py [--guests 100]
        [--window 60] [--idle 20] [--burst-guests 10000] [--rounds 2]
        [--conductor-workers 1]

Goals: conductor + taskmanagers under 10% of one core with 100 guests;
headroom >= 3. Ends with RESULT lines.
"""

import argparse
import datetime
import sys
import tempfile
import threading
import time
import uuid

import hundred_instances_bench  # the services' processes, as there
import sqlalchemy as sa

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.fixtures import devenv
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import keys
from trove_mr.common import rpc
from trove_mr.common import rpc_envelope
from trove_mr.conductor import rpcapi as conductor_rpcapi
from trove_mr.db.main import models

CONF = cfg.CONF
CPU_GOAL = 10.0
HEADROOM_GOAL = 3.0
T0 = datetime.datetime(2026, 1, 1)


def cpu_over(env, seconds):
    """{kind: percent of one core} over ``seconds``."""
    processes = hundred_instances_bench.service_processes(env)
    cpu_seconds = hundred_instances_bench.cpu_seconds
    before = {kind: cpu_seconds(group)
              for kind, group in processes.items()}
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    return {kind: 100.0 * (cpu_seconds(group) - before[kind]) / elapsed
            for kind, group in processes.items()}


def add_guests(url, count):
    """``count`` instance rows with a status row and a sealed RPC key,
    as a build leaves them; {instance id: RPC key}."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    ring = keys.ring(keys.INSTANCE_KEY)
    guests = {str(uuid.uuid4()): rpc_key_value()
              for _ in range(count)}
    with engine.begin() as connection:
        version = connection.execute(
            sa.select(models.DatastoreVersion.id)).scalars().first()
        connection.execute(sa.insert(models.Instance.__table__), [
            {'id': instance_id, 'name': 'hb-%d' % n, 'tenant_id': 'bench',
             'region_name': 'RegionOne', 'flavor_id': '7',
             'volume_size': 1, 'datastore_version_id': version,
             'task_status': 'NONE', 'deleted': False, 'created': T0,
             'encrypted_rpc_key': ring.encrypt(key, instance_id.encode())}
            for n, (instance_id, key) in enumerate(guests.items())])
        connection.execute(sa.insert(models.InstanceStatus.__table__), [
            {'instance_id': instance_id, 'status': 'BUILD',
             'updated_at': T0} for instance_id in guests])
    engine.dispose()
    return guests


def rpc_key_value():
    return uuid.uuid4().hex + uuid.uuid4().hex


class Guests:
    """Simulated guests: each sends what its agent sends, sealed under
    its own key, over the real bus."""

    def __init__(self, guests):
        self.guests = guests
        self.context = trove_context.RequestContext(project_id='bench',
                                                    overwrite=False)
        self._apis = {}

    def api(self, instance_id):
        api = self._apis.get(instance_id)
        if api is None:
            api = self._apis[instance_id] = conductor_rpcapi.ConductorAPI(
                key_id=rpc.instance_key_id(instance_id),
                key=self.guests[instance_id],
                exchange=conductor_rpcapi.GUEST_REPORTS_EXCHANGE,
                topic=conductor_rpcapi.GUEST_REPORTS_TOPIC)
        return api

    def send(self, instance_id, volume_used=0.01):
        self.api(instance_id).heartbeat(
            self.context, instance_id,
            {'service_status': 'RUNNING', 'volume_used': volume_used},
            time.time())

    def heartbeat_every(self, interval, stop):
        """Every guest once per ``interval``, each at its own phase,
        until ``stop`` is set; the count sent."""
        ids = list(self.guests)
        step = interval / float(len(ids))
        sent, start = 0, time.monotonic()
        while not stop.is_set():
            due = start + sent * step
            if stop.wait(max(0.0, due - time.monotonic())):
                break
            self.send(ids[sent % len(ids)])
            sent += 1
        return sent

    def sealed_rounds(self, rounds):
        """Every guest's heartbeat of each round, sealed now, in the
        order they are published: (raw client, sealed request)."""
        target = messaging_target()
        # One client for all: the sealed envelope carries the guest's key
        # id and its target, the client only publishes it.
        client = self.api(next(iter(self.guests)))._clients.for_context(
            self.context)._client
        rings = {instance_id: keys.instance_rpc_ring(key)
                 for instance_id, key in self.guests.items()}
        sealed = []
        for number in range(1, rounds + 1):
            for instance_id in self.guests:
                key_id = rpc.instance_key_id(instance_id)
                sealed.append((client, rpc_envelope.seal_request(
                    rings[instance_id], key_id,
                    self.context.to_dict(), 'heartbeat',
                    {'instance_id': instance_id,
                     'payload': {'service_status': 'RUNNING',
                                 'volume_used': float(number)},
                     'sent': time.time()},
                    target, '1.0', None, None)))
        return sealed


def messaging_target():
    import oslo_messaging as messaging
    return messaging.Target(exchange=conductor_rpcapi.GUEST_REPORTS_EXCHANGE,
                            topic=conductor_rpcapi.GUEST_REPORTS_TOPIC,
                            version='1.0')


def recorded(url, ids, volume_used):
    """How many of ``ids`` have a recorded heartbeat of that round."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    table = models.InstanceStatus.__table__
    with engine.connect() as connection:
        count = connection.execute(
            sa.select(sa.func.count()).select_from(table)
            .where(table.c.volume_used >= volume_used,
                   table.c.instance_id.in_(list(ids)))).scalar()
    engine.dispose()
    return count


def burst(env, url, guests, rounds, timeout=600):
    """Heartbeats per second the conductor takes off the bus and records.

    The conductor is stopped (SIGSTOP) while every heartbeat is
    published, so the queue holds them all and the publisher's own
    speed is not measured; the clock runs from SIGCONT until the last
    round of every guest is in the database.
    """
    ids = list(guests.guests)
    # Untimed: the conductor reads and caches every guest's key.
    _publish(guests.sealed_rounds(1))
    _wait_recorded(url, ids, 1.0, timeout)
    sealed = guests.sealed_rounds(rounds + 1)[len(ids):]
    conductor = hundred_instances_bench.service_processes(env)['conductor']
    for process in conductor:
        process.suspend()
    try:
        _publish(sealed)
    finally:
        started = time.monotonic()
        for process in conductor:
            process.resume()
    _wait_recorded(url, ids, float(rounds + 1), timeout)
    return len(sealed) / (time.monotonic() - started)


def _publish(sealed, threads=4):
    """Publish sealed heartbeats from a few threads."""
    def publish(part):
        for client, request in part:
            client.cast(request, 'heartbeat')
    workers = [threading.Thread(target=publish, args=(sealed[k::threads],))
               for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _wait_recorded(url, ids, volume_used, timeout):
    deadline = time.monotonic() + timeout
    while recorded(url, ids, volume_used) < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError('the conductor did not record every '
                               'heartbeat within %ss' % timeout)
        time.sleep(0.05)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--guests', type=int, default=100)
    parser.add_argument('--window', type=float, default=60)
    parser.add_argument('--idle', type=float, default=20)
    parser.add_argument('--interval', type=int, default=None,
                        help='agent_heartbeat_interval (default: the '
                             'shipped default)')
    parser.add_argument('--debug', action='store_true',
                        help='debug logging, as the development system')
    parser.add_argument('--burst-guests', type=int, default=10000)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--conductor-workers', type=int, default=1,
                        help='conductor_workers (default 1, the shipped '
                             'default)')
    args = parser.parse_args(argv)
    CONF([], project='trove-mr')
    interval = args.interval or CONF.agent_heartbeat_interval
    env = devenv.DevEnv(tempfile.mkdtemp(prefix='trove-mr-cpu-bench-'),
                        conf_overrides={'DEFAULT': {
                            'agent_heartbeat_interval': interval,
                            'agent_heartbeat_expiry': 6 * interval,
                            'conductor_workers': args.conductor_workers,
                            'debug': 'true' if args.debug else 'false'}})
    env.start()
    stop = threading.Event()
    try:
        CONF(['--config-file', env.conf_file], project='trove-mr')
        url = env.db_url_of(env.region_name)
        guests = Guests(add_guests(url, args.guests))
        idle = cpu_over(env, args.idle)
        counter = {}
        sender = threading.Thread(target=lambda: counter.update(
            sent=guests.heartbeat_every(interval, stop)))
        sender.start()
        # A first round: every key read once, as in a system running.
        time.sleep(interval + 2)
        busy = cpu_over(env, args.window)
        stop.set()
        sender.join()
        rate = args.guests / float(interval)
        many = Guests(add_guests(url, args.burst_guests))
        sustained = burst(env, url, many, args.rounds)
    finally:
        stop.set()
        env.stop(remove=True)
    needed = args.burst_guests / float(interval)
    total = busy['conductor'] + busy['taskmanager']
    per_heartbeat = 10.0 * (busy['conductor'] - idle['conductor']) / rate
    print('%d simulated guests, heartbeat every %d s (%.0f/s), debug %s'
          % (args.guests, interval, rate, 'on' if args.debug else 'off'))
    print('  %-44s %8s %8s' % ('CPU, % of one core', 'idle', 'guests'))
    for kind in hundred_instances_bench.WATCHED:
        label = 'taskmanagers' if kind == 'taskmanager' else kind
        print('  %-44s %8.2f %8.2f' % (label, idle[kind], busy[kind]))
    print('  %-44s %8.2f %8.2f' % ('control plane', sum(idle.values()),
                                   total))
    print('  conductor CPU per heartbeat: %.2f ms' % per_heartbeat)
    print('Heartbeats of %d guests through RabbitMQ and the conductor '
          '(%d worker process%s): sustained %.0f/s, needed %.0f/s, '
          'headroom %.2f' % (args.burst_guests, args.conductor_workers,
                             '' if args.conductor_workers == 1 else 'es',
                             sustained, needed, sustained / needed))
    for name, value, unit in (
            ('control_plane_cpu_%d_guests' % args.guests, total, 'percent'),
            ('conductor_cpu_%d_guests' % args.guests, busy['conductor'],
             'percent'),
            ('taskmanager_cpu_%d_guests' % args.guests, busy['taskmanager'],
             'percent'),
            ('conductor_cpu_idle', idle['conductor'], 'percent'),
            ('taskmanager_cpu_idle', idle['taskmanager'], 'percent'),
            ('conductor_cpu_per_heartbeat', per_heartbeat, 'ms'),
            ('bus_heartbeat_sustained', sustained, 'per_s'),
            ('bus_heartbeat_needed', needed, 'per_s'),
            ('bus_heartbeat_headroom', sustained / needed, 'ratio')):
        print('RESULT %s %.2f %s' % (name, value, unit))
    ok = total < CPU_GOAL and sustained / needed >= HEADROOM_GOAL
    print('CPU under %d%% of one core and headroom >= %d: %s'
          % (CPU_GOAL, HEADROOM_GOAL, 'yes' if ok else 'NO'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
