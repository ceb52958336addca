"""The replication lag of a heartbeat: checked, then recorded."""

import time

import pytest

from tests.unit.conductor.test_manager import _guest_context
from tests.unit.conductor.test_manager import make_instance  # noqa: F401
from tests.unit.conductor.test_manager import version  # noqa: F401
from tests.unit.db.conftest import ctx  # noqa: F401
from tests.unit.db.conftest import db_urls  # noqa: F401
from trove_mr.conductor import manager
from trove_mr.db.main import api as db_api


@pytest.mark.parametrize('payload, expected', [
    ({}, None),
    ({'replication': {'bytes': 120, 'seconds': 0}},
     {'bytes': 120, 'seconds': 0}),
    ({'replication': {'bytes': None, 'seconds': 3}},
     {'bytes': None, 'seconds': 3}),
    ({'replication': {'bytes': -1, 'seconds': 0}}, None),
    ({'replication': {'bytes': '12', 'seconds': 0}}, None),
    ({'replication': {'bytes': True, 'seconds': 0}}, None),
    ({'replication': [1, 2]}, None),
])
def test_replication_lag_is_checked(payload, expected):
    assert manager.replication_lag('i1', payload) == expected


def test_heartbeats_record_a_replicas_lag_and_keep_it_when_silent(
        ctx, make_instance):  # noqa: F811
    replica = make_instance()
    conductor = manager.ConductorManager(host='h')
    # The first report takes the single path (no status row yet), later
    # ones the grouped one; a report without a lag (the master does not
    # answer) keeps the last figures on record.
    conductor.heartbeat(_guest_context(ctx, replica), replica,
                        {'service_status': 'RUNNING',
                         'replication': {'bytes': 300, 'seconds': 1}},
                        time.time())
    row = db_api.instance_status_get(ctx, replica)
    assert (row.repl_lag_bytes, row.repl_lag_seconds) == (300, 1)
    db_api.instance_status_update_many(ctx, [
        {'instance_id': replica, 'status': 'RUNNING',
         'sent_at': time.time() + 1,
         'replication': {'bytes': 0, 'seconds': 0}}])
    row = db_api.instance_status_get(ctx, replica)
    assert (row.repl_lag_bytes, row.repl_lag_seconds) == (0, 0)
    db_api.instance_status_update_many(ctx, [
        {'instance_id': replica, 'status': 'RUNNING',
         'sent_at': time.time() + 2}])
    row = db_api.instance_status_get(ctx, replica)
    assert (row.repl_lag_bytes, row.repl_lag_seconds) == (0, 0)
