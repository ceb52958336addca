"""A scale model past this machine: the global instance list over 10 cells
of 100,000 instances each, against one cell holding 100,000.

No guests run: rows are inserted straight into each cell's migrated
database (SQLite files by default, MariaDB databases with ``--mariadb``),
spread over ``--tenants`` projects with interleaved creation times, so
every page of a project draws from every cell. The API's own list code
(``api.domain.instances.list_page`` in global mode, the cells asked in
parallel) is timed for the first page and for a walk of 10 pages with
the markers, as the measured project; the one-cell and many-cell setups
are timed in turn, call by call, so that the machine's load falls on
both alike.

    .venv/bin/python bench/scale_model_bench.py [--cells 10]
        [--instances 100000] [--tenants 100] [--mariadb] [--keep DIR]

``--keep DIR`` (SQLite only) fills the databases under DIR once and
measures the same files again on later runs.

Prints medians and the many-cells / one-cell ratios, then RESULT lines.
"""

import argparse
import contextlib
import datetime
import os
import statistics
import sys
import tempfile
import time
import uuid

import sqlalchemy as sa

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from trove_mr.api.domain import instances as domain
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.db import cells
from trove_mr.db import engines
from trove_mr.db import migration
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api
from trove_mr.db.main import models

CONF = cfg.CONF
REPEAT = 21
PAGES = 10
T0 = datetime.datetime(2026, 1, 1)
BATCH = 5000
MARIADB = 'mysql+pymysql://root@127.0.0.1/%s'


def _database(kind, directory, name, line):
    if kind == 'sqlite':
        url = 'sqlite:///%s' % os.path.join(directory, name + '.sqlite')
    else:
        server = sa.create_engine(MARIADB % '', poolclass=sa.pool.NullPool)
        with server.begin() as connection:
            connection.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))
            connection.execute(sa.text('CREATE DATABASE %s' % name))
        server.dispose()
        url = MARIADB % name
    migration.upgrade(line, url)
    return url


def _drop(kind, names):
    if kind != 'mariadb':
        return
    server = sa.create_engine(MARIADB % '', poolclass=sa.pool.NullPool)
    with server.begin() as connection:
        for name in names:
            connection.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))
    server.dispose()


def _fill(url, region, version_id, count, tenants, offset, step):
    """``count`` instances over ``tenants`` projects, in batches."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    instances = models.Instance.__table__
    statuses = models.InstanceStatus.__table__
    with engine.begin() as connection:
        for start in range(0, count, BATCH):
            rows, status_rows = [], []
            for n in range(start, min(count, start + BATCH)):
                instance_id = str(uuid.uuid4())
                created = T0 + datetime.timedelta(seconds=offset + n * step)
                rows.append({
                    'id': instance_id, 'name': 'i-%d' % n,
                    'tenant_id': 'tenant-%d' % (n % tenants),
                    'region_name': region, 'flavor_id': '7',
                    'volume_size': 1, 'datastore_version_id': version_id,
                    'task_status': 'NONE', 'deleted': False,
                    'created': created})
                status_rows.append({'instance_id': instance_id,
                                    'status': 'RUNNING',
                                    'updated_at': created})
            connection.execute(sa.insert(instances), rows)
            connection.execute(sa.insert(statuses), status_rows)
        if engine.dialect.name == 'mysql':
            # As a table grown by use would have: the optimizer's
            # statistics of the rows just loaded.
            connection.execute(sa.text('ANALYZE TABLE instances, '
                                       'instance_status'))
    engine.dispose()


def _reuse(directory, cell_count):
    """Point the configuration at databases a previous ``--keep`` run
    filled under ``directory``; False when there are none."""
    if not os.path.exists(os.path.join(directory, 'filled')):
        return False
    CONF.set_override('connection', 'sqlite:///%s' % os.path.join(
        directory, 'scale_%d_api.sqlite' % cell_count),
        group='api_database')
    CONF.set_override('connection', 'sqlite:///%s' % os.path.join(
        directory, 'scale_%d_r1.sqlite' % cell_count), group='database')
    return True


def _setup(kind, directory, cell_count, per_cell, tenants, tag):
    names = ['scale_%s_api' % tag]
    api_url = _database(kind, directory, names[0], 'api')
    CONF.set_override('connection', api_url, group='api_database')
    ctx = trove_context.get_admin_context()
    for index in range(cell_count):
        region = 'Region%d' % (index + 1)
        names.append('scale_%s_r%d' % (tag, index + 1))
        url = _database(kind, directory, names[-1], 'region')
        if index == 0:
            CONF.set_override('connection', url, group='database')
        mapping = api_db.region_mapping_create(ctx, region, 'rabbit://h//',
                                               url)
        with cells.target_cell(ctx, mapping) as cctx:
            db_api.datastore_create(cctx, {'name': 'redis'})
            version = db_api.datastore_version_create(cctx, 'redis', {
                'name': '7.0', 'manager': 'redis',
                'image_name': 'trove-mr-redis', 'active': True,
                'default': True})
        _fill(url, region, version.id, per_cell, tenants, index, cell_count)
    return names


def _use(urls):
    """Point the API at one setup's API database (and its first cell)."""
    CONF.set_override('connection', urls[0], group='api_database')
    CONF.set_override('connection', urls[1], group='database')


def _measure(setups, tenant):
    """{setup: (first page, ten pages)} medians, the setups measured in
    turn (one call each, then the next setup), so that the load of the
    machine meanwhile falls on every setup alike."""
    ctx = trove_context.RequestContext(project_id=tenant, user_id='u')

    def first_page():
        rows, _marker, _limit, unavailable = domain.list_page(ctx, tenant)
        assert rows and unavailable == []

    def ten_pages():
        marker = None
        for _ in range(PAGES):
            rows, marker, _, _ = domain.list_page(ctx, tenant, marker=marker)
            assert rows
            if marker is None:
                break

    times = {}
    for work in (first_page, ten_pages):
        for urls in setups.values():
            _use(urls)
            work()  # warm: engines, mapping cache
        for _ in range(REPEAT):
            for count, urls in setups.items():
                _use(urls)
                started = time.perf_counter()
                work()
                times.setdefault((count, work), []).append(
                    time.perf_counter() - started)
    return {count: (statistics.median(times[(count, first_page)]),
                    statistics.median(times[(count, ten_pages)]))
            for count in setups}


def _kept(keep, count, per_cell, tenants):
    """A directory of its own under ``keep`` for one setup."""
    path = os.path.join(keep, '%dx%d-%d' % (count, per_cell, tenants))
    os.makedirs(path, exist_ok=True)
    if not os.path.exists(os.path.join(path, 'filled')):
        # What an interrupted fill left: start again.
        for name in os.listdir(path):
            os.remove(os.path.join(path, name))
    return contextlib.nullcontext(path)


def run(kind, cell_count, per_cell, tenants, keep=None):
    CONF([], project='trove-mr')
    CONF.set_override('instance_list_scope', 'global', group='api')
    setups, names = {}, []
    with contextlib.ExitStack() as stack:
        for count in (1, cell_count):
            tmp = stack.enter_context(
                _kept(keep, count, per_cell, tenants) if keep else
                tempfile.TemporaryDirectory(prefix='scale-model-'))
            started = time.perf_counter()
            if not (keep and _reuse(tmp, count)):
                names += _setup(kind, tmp, count, per_cell, tenants,
                                '%d' % count)
                if keep:
                    open(os.path.join(tmp, 'filled'), 'w').close()
            setups[count] = (CONF.api_database.connection,
                             CONF.database.connection)
            print('%d cell(s) x %d instances on %s: filled in %.0f s'
                  % (count, per_cell, kind, time.perf_counter() - started))
        try:
            figures = _measure(setups, 'tenant-0')
        finally:
            engines.dispose_all()
            cells.clear_cache()
            _drop(kind, names)
    (one_first, one_walk) = figures[1]
    (many_first, many_walk) = figures[cell_count]
    print('global list of one of %d projects, median of %d'
          % (tenants, REPEAT))
    print('  first page: 1 cell %.1f ms, %d cells %.1f ms, ratio %.2f'
          % (one_first * 1e3, cell_count, many_first * 1e3,
             many_first / one_first))
    print('  %d pages: 1 cell %.1f ms, %d cells %.1f ms, ratio %.2f'
          % (PAGES, one_walk * 1e3, cell_count, many_walk * 1e3,
             many_walk / one_walk))
    ok = many_first <= 2 * one_first
    print('first page over %d cells within twice one cell: %s'
          % (cell_count, 'yes' if ok else 'NO'))
    prefix = 'scale_%s_%dx%d' % (kind, cell_count, per_cell)
    for name, value, unit in (
            ('first_page_1_cell', one_first * 1e3, 'ms'),
            ('first_page_%d_cells' % cell_count, many_first * 1e3, 'ms'),
            ('first_page_ratio', many_first / one_first, 'ratio'),
            ('ten_pages_1_cell', one_walk * 1e3, 'ms'),
            ('ten_pages_%d_cells' % cell_count, many_walk * 1e3, 'ms'),
            ('ten_pages_ratio', many_walk / one_walk, 'ratio')):
        print('RESULT %s_%s %.2f %s' % (prefix, name, value, unit))
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cells', type=int, default=10)
    parser.add_argument('--instances', type=int, default=100000,
                        help='instances per cell')
    parser.add_argument('--tenants', type=int, default=100)
    parser.add_argument('--mariadb', action='store_true',
                        help='MariaDB on 127.0.0.1 (root, no password) '
                             'instead of SQLite files')
    parser.add_argument('--keep', metavar='DIR',
                        help='SQLite only: fill the databases under DIR '
                             'once, reuse them on later runs')
    args = parser.parse_args(argv)
    if args.keep and args.mariadb:
        parser.error('--keep is for SQLite files only')
    return run('mariadb' if args.mariadb else 'sqlite', args.cells,
               args.instances, args.tenants, keep=args.keep)


if __name__ == '__main__':
    sys.exit(main())
