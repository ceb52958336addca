"""Global instance list latency: 1,000 instances in one cell against the
same 1,000 split over two cells.

With ``--http`` it measures what a tenant sees instead: GET /instances
through the real API (gunicorn, keystonemiddleware, Pecan, JSON) of a
running system, one cell (``instance_list_scope = global`` over a single
cell) against a cell per region, rows inserted straight into each cell's
database.

Both setups run the API's own list code (``api.domain.instances.
list_page`` with ``[api] instance_list_scope = global``) on migrated SQLite
databases: an API database with the region mappings and one cell database
per region, rows inserted straight into each cell. Prints, for each setup,
the median latency of the first page (default page size) and of walking
every page with the markers, and the two-cell / one-cell ratios. The cells
are asked in parallel, so two cells must stay within twice one cell.

    .venv/bin/python bench/global_list_bench.py [--instances 1000]
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
import uuid

import sqlalchemy as sa
from oslo_serialization import jsonutils
from sqlalchemy import orm

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from trove_mr.api.domain import instances as domain
from trove_mr.api.views import instances as views
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.db import cells
from trove_mr.db import engines
from trove_mr.db import migration
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api
from trove_mr.db.main import models

CONF = cfg.CONF
TENANT = 'bench-tenant'
REPEAT = 15
T0 = datetime.datetime(2026, 1, 1)


def _sqlite(directory, name, line):
    url = 'sqlite:///%s' % os.path.join(directory, name)
    migration.upgrade(line, url)
    return url


def _instance_rows(region, tenant, version_id, count, offset, step):
    """``count`` running instances created at offset, offset+step, ..."""
    rows = []
    for n in range(count):
        instance_id = str(uuid.uuid4())
        created = T0 + datetime.timedelta(seconds=offset + n * step)
        rows.append(models.Instance(
            id=instance_id, name='i-%d' % n, tenant_id=tenant,
            region_name=region, flavor_id='7', volume_size=1,
            datastore_version_id=version_id, task_status='NONE',
            deleted=False, created=created))
        rows.append(models.InstanceStatus(
            instance_id=instance_id, status='RUNNING',
            updated_at=created))
    return rows


def _fill_cell(ctx, mapping, region, count, offset, step):
    """``count`` instances in one cell, created at offset, offset+step..."""
    with cells.target_cell(ctx, mapping) as cctx:
        db_api.datastore_create(cctx, {'name': 'redis'})
        version = db_api.datastore_version_create(cctx, 'redis', {
            'name': '7.0', 'manager': 'redis',
            'image_name': 'trove-mr-redis', 'active': True,
            'default': True})
        rows = _instance_rows(region, TENANT, version.id, count, offset,
                              step)
        with cctx.db_connection.writer.using(cctx) as session:
            session.add_all(rows)


def _setup(directory, cell_count, total):
    """API database + ``cell_count`` cells sharing ``total`` instances."""
    api_url = _sqlite(directory, 'api.sqlite', 'api')
    CONF.set_override('connection', api_url, group='api_database')
    ctx = trove_context.get_admin_context()
    for index in range(cell_count):
        region = 'Region%d' % (index + 1)
        url = _sqlite(directory, '%s.sqlite' % region, 'region')
        if index == 0:
            CONF.set_override('connection', url, group='database')
        mapping = api_db.region_mapping_create(ctx, region, 'rabbit://h//',
                                               url)
        # Interleaved creation times: every page draws from every cell.
        _fill_cell(ctx, mapping, region, total // cell_count, index,
                   cell_count)


def median(func, repeat=REPEAT):
    """Median seconds of ``repeat`` calls of ``func``, after a warm one
    (engines, mapping cache)."""
    func()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _measure(total):
    ctx = trove_context.RequestContext(project_id=TENANT, user_id='u')

    def first_page():
        # What the API does for GET /instances short of HTTP: the page
        # and its JSON answer.
        rows, marker, limit, unavailable = domain.list_page(ctx, TENANT)
        assert rows and unavailable == []
        jsonutils.dumps(views.list_view(rows, 'http://api', TENANT, marker,
                                        limit,
                                        unavailable_regions=unavailable))

    def every_page():
        seen, marker = 0, None
        while True:
            rows, marker, _, _ = domain.list_page(ctx, TENANT, limit=100,
                                                  marker=marker)
            seen += len(rows)
            if marker is None:
                break
        assert seen == total, seen

    return median(first_page), median(every_page)


def run(total):
    CONF([], project='trove-mr')
    CONF.set_override('instance_list_scope', 'global', group='api')
    figures = {}
    for cell_count in (1, 2):
        with tempfile.TemporaryDirectory(prefix='global-list-') as tmp:
            _setup(tmp, cell_count, total)
            figures[cell_count] = _measure(total)
            engines.dispose_all()
            cells.clear_cache()
    (one_page, one_all), (two_page, two_all) = figures[1], figures[2]
    print('global list, %d instances, median of %d' % (total, REPEAT))
    print('  first page (%d rows): 1 cell %.1f ms, 2 cells %.1f ms, '
          'ratio %.2f' % (CONF.api.default_limit, one_page * 1e3,
                          two_page * 1e3, two_page / one_page))
    print('  every page (limit 100): 1 cell %.1f ms, 2 cells %.1f ms, '
          'ratio %.2f' % (one_all * 1e3, two_all * 1e3, two_all / one_all))
    ok = two_page <= 2 * one_page and two_all <= 2 * one_all
    print('two cells within twice one cell: %s' % ('yes' if ok else 'NO'))
    for name, value, unit in (
            ('global_list_first_page_1_cell', one_page * 1e3, 'ms'),
            ('global_list_first_page_2_cells', two_page * 1e3, 'ms'),
            ('global_list_every_page_1_cell', one_all * 1e3, 'ms'),
            ('global_list_every_page_2_cells', two_all * 1e3, 'ms'),
            ('global_list_first_page_2_over_1', two_page / one_page,
             'ratio')):
        print('RESULT %s %.2f %s' % (name, value, unit))
    return 0 if ok else 1


def _fill_url(url, region, tenant, count, offset, step):
    """Insert ``count`` instances of ``tenant`` into a cell database."""
    engine = sa.create_engine(url)
    with orm.Session(engine) as session:
        version = session.execute(
            sa.select(models.DatastoreVersion)).scalars().first()
        session.add_all(_instance_rows(region, tenant, version.id, count,
                                       offset, step))
        session.commit()
    engine.dispose()


def _http_median(session, url):
    session.get(url)  # warm: token cache, engines, mapping cache
    times = []
    for _ in range(REPEAT * 2):
        started = time.perf_counter()
        resp = session.get(url)
        times.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.text
    return statistics.median(times)


def run_http(total):
    """GET /instances through the API: one cell vs a cell per region."""
    import requests

    from tests.fixtures import devenv

    figures = {}
    for two_cells in (False, True):
        with tempfile.TemporaryDirectory(prefix='global-http-') as tmp:
            env = devenv.DevEnv(tmp, cells=two_cells, conf_overrides={
                'api': {'instance_list_scope': 'global'}})
            env.start()
            try:
                demo = env.session('demo')
                tenant = demo.get_project_id()
                cells_ = env.cell_regions
                for index, region in enumerate(cells_):
                    _fill_url(env.db_url_of(region), region, tenant,
                              total // len(cells_), index, len(cells_))
                http = requests.Session()
                http.headers['X-Auth-Token'] = demo.get_token()
                url = '%s/v1.0/%s/instances' % (env.api_url, tenant)
                figures[len(cells_)] = _http_median(http, url)
            finally:
                env.stop()
    one, two = figures[1], figures[2]
    print('GET /instances through the API, %d instances, median of %d'
          % (total, REPEAT * 2))
    print('  first page (%d rows): 1 cell %.1f ms, 2 cells %.1f ms, '
          'ratio %.2f' % (CONF.api.default_limit, one * 1e3, two * 1e3,
                          two / one))
    ok = two <= 2 * one
    print('two cells within twice one cell: %s' % ('yes' if ok else 'NO'))
    print('RESULT http_instances_first_page_1_cell %.2f ms' % (one * 1e3))
    print('RESULT http_instances_first_page_2_cells %.2f ms' % (two * 1e3))
    print('RESULT http_instances_first_page_2_over_1 %.2f ratio'
          % (two / one))
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', type=int, default=1000)
    parser.add_argument('--http', action='store_true',
                        help='measure GET /instances through a running '
                             'API instead of the list code in-process')
    args = parser.parse_args(argv)
    if args.http:
        CONF([], project='trove-mr')
        return run_http(args.instances)
    return run(args.instances)


if __name__ == '__main__':
    sys.exit(main())
