"""Service heartbeats on every supported database (``binary`` is a
reserved word of MySQL and PostgreSQL)."""

import pytest

from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.db import migration
from trove_mr.db.main import api as db_api

TM = 'trove-mr-taskmanager'


@pytest.fixture
def region_database(database_url):
    migration.upgrade('region', database_url)
    cfg.CONF.set_override('connection', database_url, group='database')
    yield database_url
    cfg.CONF.clear_override('connection', group='database')


def test_heartbeats_count_each_process_until_it_stops(region_database):
    ctx = trove_context.get_admin_context()
    for boot_id in ('boot-a', 'boot-b', 'boot-a'):
        db_api.service_heartbeat(ctx, 'tm-1', TM, TM, boot_id,
                                 forget_stale_after=60)
    db_api.service_heartbeat(ctx, 'tm-1', 'trove-mr-conductor',
                             'trove-mr-conductor', 'boot-c')

    assert db_api.service_alive_count(ctx, TM, 60) == 2
    assert {(r.boot_id, r.report_count)
            for r in db_api.service_get_all(ctx, TM)} == {('boot-a', 2),
                                                         ('boot-b', 1)}
    assert db_api.service_delete(ctx, 'tm-1', TM, 'boot-a') == 1
    assert db_api.service_alive_count(ctx, TM, 60) == 1
