"""Region DB API: service heartbeats (alive, stale, one row per process)."""

import datetime

import pytest
import sqlalchemy as sa

from trove_mr.db import cells
from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

TM = 'trove-mr-taskmanager'
CONDUCTOR = 'trove-mr-conductor'
T0 = datetime.datetime(2026, 1, 1, 12, 0, 0)


@pytest.fixture
def clock(monkeypatch):
    """Frozen time of the DB API; ``clock(seconds)`` moves it on."""
    now = [T0]
    monkeypatch.setattr(rows, 'now', lambda: now[0])

    def advance(seconds):
        now[0] += datetime.timedelta(seconds=seconds)
    return advance


def _beat(ctx, boot_id, host='tm-1', binary=TM, **kwargs):
    return db_api.service_heartbeat(ctx, host, binary, binary, boot_id,
                                    **kwargs)


def test_first_heartbeat_creates_the_row_and_later_ones_count(ctx, clock):
    row = _beat(ctx, 'boot-a')
    assert (row.host, row.binary, row.topic, row.report_count) == \
        ('tm-1', TM, TM, 1)
    assert row.created_at == row.last_seen_up == T0
    clock(10)
    row = _beat(ctx, 'boot-a')
    assert row.report_count == 2
    assert row.created_at == T0
    assert row.last_seen_up == T0 + datetime.timedelta(seconds=10)
    assert len(db_api.service_get_all(ctx)) == 1


def test_a_process_is_alive_within_the_window_and_stale_after(ctx, clock):
    _beat(ctx, 'boot-a')
    clock(60)
    assert db_api.service_alive_count(ctx, TM, 60) == 1
    clock(1)
    assert db_api.service_alive_count(ctx, TM, 60) == 0
    _beat(ctx, 'boot-a')
    assert db_api.service_alive_count(ctx, TM, 60) == 1


def test_only_the_asked_binary_counts(ctx, clock):
    _beat(ctx, 'boot-c', binary=CONDUCTOR)
    assert db_api.service_alive_count(ctx, TM, 60) == 0
    assert db_api.service_alive_count(ctx, CONDUCTOR, 60) == 1
    assert [r.binary for r in db_api.service_get_all(ctx, TM)] == []


def test_two_processes_with_the_same_host_are_two_services(ctx, clock):
    _beat(ctx, 'boot-a')
    _beat(ctx, 'boot-b')
    assert db_api.service_alive_count(ctx, TM, 60) == 2
    db_api.service_delete(ctx, 'tm-1', TM, 'boot-a')
    assert db_api.service_alive_count(ctx, TM, 60) == 1
    assert [r.boot_id for r in db_api.service_get_all(ctx, TM)] == \
        ['boot-b']


def test_clean_stop_deletes_only_that_processes_row(ctx, clock):
    _beat(ctx, 'boot-a')
    _beat(ctx, 'boot-c', binary=CONDUCTOR)
    assert db_api.service_delete(ctx, 'tm-1', TM, 'boot-a') == 1
    assert db_api.service_alive_count(ctx, TM, 60) == 0
    assert db_api.service_delete(ctx, 'tm-1', TM, 'boot-a') == 0
    assert [r.binary for r in db_api.service_get_all(ctx)] == [CONDUCTOR]


def test_disabled_service_is_not_counted(ctx, clock, db_urls):
    row = _beat(ctx, 'boot-a')
    engine = engines.create_context_manager(
        db_urls['region']).writer.get_engine()
    with engine.begin() as conn:
        conn.execute(sa.text('UPDATE services SET disabled = :yes '
                             'WHERE id = :id'), {'yes': True, 'id': row.id})
    assert db_api.service_alive_count(ctx, TM, 60) == 0


def test_a_restart_forgets_stale_rows_of_its_host_only(ctx, clock):
    _beat(ctx, 'killed', forget_stale_after=60)
    _beat(ctx, 'other-host', host='tm-2', forget_stale_after=60)
    clock(30)
    _beat(ctx, 'running', forget_stale_after=60)
    clock(40)
    # 'killed' was last seen 70 s ago; 'running' 40 s ago keeps its row.
    _beat(ctx, 'restarted', forget_stale_after=60)
    found = db_api.service_get_all(ctx, TM)
    assert sorted((r.host, r.boot_id) for r in found) == [
        ('tm-1', 'restarted'), ('tm-1', 'running'), ('tm-2', 'other-host')]


def test_heartbeats_go_to_the_targeted_cell(ctx, clock, other_region_url):
    two = api_db.region_mapping_create(ctx, 'RegionTwo', 'rabbit://h2//',
                                       other_region_url)
    with cells.target_cell(ctx, two) as cctx:
        _beat(cctx, 'boot-two')
        assert db_api.service_alive_count(cctx, TM, 60) == 1
    assert db_api.service_alive_count(ctx, TM, 60) == 0
