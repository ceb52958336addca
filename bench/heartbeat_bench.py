"""How many guest heartbeats one conductor records per second, against
what 10,000 guests need at the default interval.

10,000 simulated guests (``--guests``), each an instance row with its
status row in a migrated region database (an SQLite file as ./run.sh
uses, or a MariaDB database with ``--mariadb``), send heartbeats to the
conductor's heartbeat path: ``ConductorManager.heartbeat`` called
directly, as oslo.messaging's RPC server calls it, from 64 threads (its
default executor pool), each heartbeat checked (sender key, status) and
recorded in the real database; the RabbitMQ hop is not in this figure.
``--rounds`` rounds of one heartbeat per guest, in a shuffled order; the
clock stops when the last one is in the database.

Needed: guests / ``agent_heartbeat_interval`` (10 s by default) =
1,000 heartbeats per second. Headroom = sustained / needed. The same run
also times the per-heartbeat transactions of before (one
``instance_status_update`` per heartbeat) as the floor it is compared to.

    .venv/bin/python bench/heartbeat_bench.py [--guests 10000]
        [--rounds 3] [--threads 64] [--mariadb]
"""

import argparse
import datetime
import os
import random
import sys
import tempfile
import threading
import time
import uuid

import sqlalchemy as sa

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import rpc
from trove_mr.conductor import manager
from trove_mr.db import engines
from trove_mr.db import migration
from trove_mr.db.main import api as db_api
from trove_mr.db.main import models

CONF = cfg.CONF
MARIADB = 'mysql+pymysql://root@127.0.0.1/%s'
HEADROOM_FLOOR = 3
SINGLE_SAMPLE = 500


def _database(kind, directory):
    if kind == 'sqlite':
        return 'sqlite:///%s' % os.path.join(directory, 'region.sqlite'), \
            None
    name = 'heartbeat_bench_%s' % uuid.uuid4().hex[:8]
    server = sa.create_engine(MARIADB % '', poolclass=sa.pool.NullPool)
    with server.begin() as connection:
        connection.execute(sa.text('CREATE DATABASE %s' % name))
    server.dispose()
    return MARIADB % name, name


def _drop(name):
    if name is None:
        return
    server = sa.create_engine(MARIADB % '', poolclass=sa.pool.NullPool)
    with server.begin() as connection:
        connection.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))
    server.dispose()


def _fill(url, guests):
    """``guests`` instances with a status row each; their ids."""
    ctx = trove_context.get_admin_context()
    db_api.datastore_create(ctx, {'name': 'redis'})
    version = db_api.datastore_version_create(ctx, 'redis', {
        'name': '7.0', 'manager': 'redis', 'image_name': 'trove-mr-redis',
        'active': True, 'default': True})
    ids = [str(uuid.uuid4()) for _ in range(guests)]
    created = datetime.datetime(2026, 1, 1)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(sa.insert(models.Instance.__table__), [
            {'id': instance_id, 'name': 'g', 'tenant_id': 'bench',
             'region_name': 'RegionOne', 'datastore_version_id': version.id,
             'task_status': 'NONE', 'deleted': False, 'created': created}
            for instance_id in ids])
        connection.execute(sa.insert(models.InstanceStatus.__table__), [
            {'instance_id': instance_id, 'status': 'BUILD',
             'updated_at': created} for instance_id in ids])
    engine.dispose()
    return ids


def _guest_context(instance_id):
    # As the conductor's serializer leaves it after opening a message
    # sealed under the guest's own key.
    context = trove_context.RequestContext(project_id='bench',
                                           overwrite=False)
    rpc.set_sender_key_id(context, rpc.instance_key_id(instance_id))
    return context


def _feed(conductor, order, threads):
    """Send every heartbeat of ``order`` from ``threads`` threads."""
    payload = {'service_status': 'RUNNING', 'volume_used': 0.01}
    contexts = {}
    for instance_id in set(order):
        contexts[instance_id] = _guest_context(instance_id)

    def work(part):
        for instance_id in part:
            conductor.heartbeat(contexts[instance_id], instance_id,
                                payload, time.time())

    workers = [threading.Thread(target=work, args=(order[k::threads],))
               for k in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    manager._status_writer.flush()
    return time.perf_counter() - started


def _single(ids):
    """Heartbeats per second with one transaction each (the old path)."""
    ctx = trove_context.get_admin_context()
    sample = ids[:SINGLE_SAMPLE]
    started = time.perf_counter()
    for instance_id in sample:
        db_api.instance_status_update(ctx, instance_id, 'RUNNING',
                                      time.time(), volume_used=0.01)
    return len(sample) / (time.perf_counter() - started)


def _recorded_since(url, since):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    table = models.InstanceStatus.__table__
    with engine.connect() as connection:
        count = connection.execute(
            sa.select(sa.func.count()).select_from(table)
            .where(table.c.heartbeat_at >= since,
                   table.c.status == 'RUNNING')).scalar()
    engine.dispose()
    return count


def run(kind, guests, rounds, threads):
    CONF([], project='trove-mr')
    CONF.set_override('enable_secure_rpc_messaging', True)
    name = None
    with tempfile.TemporaryDirectory(prefix='heartbeat-bench-') as tmp:
        try:
            url, name = _database(kind, tmp)
            migration.upgrade('region', url)
            CONF.set_override('connection', url, group='database')
            ids = _fill(url, guests)
            conductor = manager.ConductorManager(host='bench')
            order = []
            for _ in range(rounds):
                shuffled = list(ids)
                random.shuffle(shuffled)
                order.extend(shuffled)
            since = datetime.datetime.now(datetime.timezone.utc).replace(
                tzinfo=None) - datetime.timedelta(seconds=1)
            elapsed = _feed(conductor, order, threads)
            recorded = _recorded_since(url, since)
            single = _single(ids)
        finally:
            engines.dispose_all()
            _drop(name)
    sustained = len(order) / elapsed
    needed = guests / float(CONF.agent_heartbeat_interval)
    headroom = sustained / needed
    print('Conductor heartbeat path: ConductorManager.heartbeat called '
          'directly on %s' % ('MariaDB' if kind == 'mariadb' else
                              'an SQLite file'))
    print('  %-52s %10s' % ('figure', 'value'))
    print('  %-52s %10d' % ('simulated guests', guests))
    print('  %-52s %10d' % ('heartbeats sent (%d rounds, %d threads)'
                            % (rounds, threads), len(order)))
    print('  %-52s %10d' % ('guests whose last heartbeat is recorded',
                            recorded))
    print('  %-52s %8.0f/s' % ('needed (guests / %d s interval)'
                               % CONF.agent_heartbeat_interval, needed))
    print('  %-52s %8.0f/s' % ('sustained, grouped transactions',
                               sustained))
    print('  %-52s %8.0f/s' % ('floor: one transaction per heartbeat',
                               single))
    print('RESULT heartbeat_sustained %.0f per_s' % sustained)
    print('RESULT heartbeat_needed %.0f per_s' % needed)
    print('RESULT heartbeat_headroom %.2f ratio' % headroom)
    print('RESULT heartbeat_single_transaction %.0f per_s' % single)
    ok = headroom >= HEADROOM_FLOOR and recorded == guests
    print('every guest recorded, headroom >= %d: %s'
          % (HEADROOM_FLOOR, 'yes' if ok else 'NO'))
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--guests', type=int, default=10000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--threads', type=int, default=64)
    parser.add_argument('--mariadb', action='store_true')
    args = parser.parse_args(argv)
    return run('mariadb' if args.mariadb else 'sqlite', args.guests,
               args.rounds, args.threads)


if __name__ == '__main__':
    sys.exit(main())
