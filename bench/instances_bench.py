"""Instance create and list figures on the embedded system.

Prints

* POST -> ACTIVE for 1 instance, and for 20 created at once (wall time of
  the batch and the slowest member), with the ratio 20 / 1: work done in
  parallel keeps it far below 20;
* GET /instances latency (median of repeated calls, one page of the
  default size) with 10 and with 1,000 instances of the tenant in the
  database, with the ratio: reads come from the database in a fixed number
  of queries, so the figure follows the page size, not the table size;
* the floor for both: an unauthenticated GET of the versions document,
  the cheapest request the API serves, measured in the same run.

    .venv/bin/python bench/instances_bench.py [--skip-create]
"""

import argparse
import concurrent.futures
import datetime
import statistics
import sys
import tempfile
import time
import uuid

import requests

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.fixtures import devenv

REPEAT = 30


def _wait_active(trove, instance_id, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inst = trove.instances.get(instance_id)
        if inst.status == 'ACTIVE':
            return time.monotonic()
        if inst.status == 'ERROR':
            raise RuntimeError('instance %s ERROR: %s'
                               % (instance_id, getattr(inst, 'fault', '')))
        time.sleep(0.1)
    raise RuntimeError('instance %s not ACTIVE in %ss' % (instance_id,
                                                          timeout))


def _create(trove, name, region):
    return trove.instances.create(
        name, '7', volume={'size': 1}, datastore=devenv.DATASTORE,
        datastore_version=devenv.DATASTORE_VERSION, region_name=region)


def create_batch(env, count, region='RegionOne'):
    """Seconds from the first POST to the last ACTIVE, and each's time."""
    trove = env.trove('demo')
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        created = list(pool.map(
            lambda i: (time.monotonic(), _create(
                env.trove('demo'), 'bench-%d-%s' % (i, uuid.uuid4().hex[:4]),
                region)), range(count)))
        done = list(pool.map(
            lambda c: _wait_active(env.trove('demo'), c[1].id) - c[0],
            created))
    wall = time.monotonic() - start
    for _, inst in created:
        trove.instances.delete(inst.id)
    return wall, done


def _median_get(session, url, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        resp = session.get(url)
        times.append(time.perf_counter() - start)
        assert resp.status_code == 200, resp.text
    return statistics.median(times)


def fill_instances(env, tenant_id, count):
    """Insert instance rows straight into the region database."""
    from trove_mr.common import cfg
    from trove_mr.common import context
    from trove_mr.db.main import api as db_api
    cfg.CONF(['--config-file', env.conf_file], project='trove-mr')
    ctx = context.get_admin_context()
    version = db_api.datastore_version_get_by_name(
        ctx, devenv.DATASTORE, devenv.DATASTORE_VERSION)
    base = datetime.datetime(2026, 1, 1)
    for i in range(count):
        db_api.instance_create(ctx, {
            'id': str(uuid.uuid4()), 'name': 'filler-%d' % i,
            'tenant_id': tenant_id, 'region_name': env.region_name,
            'flavor_id': '7', 'volume_size': 1, 'task_status': 'NONE',
            'datastore_version_id': version.id,
            'created': base + datetime.timedelta(seconds=i),
            'status': 'RUNNING'})


def list_latency(env, sizes=(10, 1000)):
    """Median GET /instances with ``size`` instances of the tenant."""
    results = {}
    for size in sizes:
        # A fresh tenant per size: the demo tenants may hold other rows.
        tenant = uuid.uuid4().hex
        fill_instances(env, tenant, size)
        session = requests.Session()
        session.headers.update({'X-Auth-Token': _admin_token(env)})
        url = '%s/v1.0/%s/instances' % (env.api_url, tenant)
        results[size] = _median_get(session, url)
    return results


def _admin_token(env):
    return env.session('admin').get_token()


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--skip-create', action='store_true')
    parser.add_argument('--concurrent', type=int, default=20)
    args = parser.parse_args(argv)
    env = devenv.DevEnv(tempfile.mkdtemp(prefix='trove-mr-bench-'),
                        conf_overrides={'DEFAULT': {
                            'max_instances_per_tenant': 1000,
                            'max_volumes_per_tenant': 1000}})
    env.start()
    try:
        floor = _median_get(requests.Session(), env.api_url + '/')
        print('floor: GET / (versions)            %7.1f ms'
              % (floor * 1000))
        if not args.skip_create:
            one, _ = create_batch(env, 1)
            print('create 1 instance, POST->ACTIVE    %7.2f s' % one)
            wall, each = create_batch(env, args.concurrent)
            print('create %d at once, POST->all ACTIVE %7.2f s '
                  '(slowest %.2f s, median %.2f s)'
                  % (args.concurrent, wall, max(each),
                     statistics.median(each)))
            print('ratio %d-at-once / 1              %7.2f  (serial '
                  'work would be %d)' % (args.concurrent, wall / one,
                                         args.concurrent))
        lat = list_latency(env)
        for size, seconds in lat.items():
            print('GET /instances, %4d in DB          %7.1f ms  '
                  '(%.1f x floor)' % (size, seconds * 1000,
                                       seconds / floor))
        print('ratio 1000 / 10 rows               %7.2f'
              % (lat[1000] / lat[10]))
        print('RESULT get_root_floor %.2f ms' % (floor * 1000))
        if not args.skip_create:
            print('RESULT create_1_instance %.2f s' % one)
            print('RESULT create_%d_at_once %.2f s' % (args.concurrent,
                                                        wall))
            print('RESULT create_%d_at_once_over_1 %.2f ratio'
                  % (args.concurrent, wall / one))
        for size, seconds in lat.items():
            print('RESULT get_instances_%d_in_db %.2f ms'
                  % (size, seconds * 1000))
        print('RESULT get_instances_1000_over_10 %.2f ratio'
              % (lat[1000] / lat[10]))
    finally:
        env.stop(remove=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
