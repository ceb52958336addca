"""Heartbeats of many guests in one transaction, and the restarts of
redis-server the guests report, on a migrated SQLite."""

import datetime
import threading
import time

import pytest

from tests.unit.conductor.test_manager import _guest_context
from tests.unit.conductor.test_manager import make_instance  # noqa: F401
from tests.unit.conductor.test_manager import version  # noqa: F401
from tests.unit.db.conftest import ctx  # noqa: F401
from tests.unit.db.conftest import db_urls  # noqa: F401
from trove_mr.common import exceptions
from trove_mr.conductor import manager
from trove_mr.conductor import status_writer
from trove_mr.db.main import api as db_api


def test_update_many_applies_newer_and_ignores_older(
        ctx, make_instance):  # noqa: F811
    fresh, stale = make_instance(), make_instance()
    db_api.instance_status_update(ctx, stale, 'RUNNING', 2000.0)

    applied = db_api.instance_status_update_many(ctx, [
        {'instance_id': fresh, 'status': 'RUNNING', 'sent_at': 1000.0,
         'volume_used': 0.5},
        {'instance_id': stale, 'status': 'FAILED', 'sent_at': 1500.0}])

    assert applied == {fresh: True, stale: False}
    row = db_api.instance_status_get(ctx, fresh)
    assert (row.status, row.volume_used) == ('RUNNING', 0.5)
    assert db_api.instance_status_get(ctx, stale).status == 'RUNNING'


def test_writer_records_concurrent_heartbeats_in_few_transactions(
        ctx, make_instance, monkeypatch):  # noqa: F811
    ids = [make_instance() for _ in range(40)]
    calls = []
    real = db_api.instance_status_update_many

    def counting(context, reports):
        calls.append(len(reports))
        time.sleep(0.05)
        return real(context, reports)

    monkeypatch.setattr(db_api, 'instance_status_update_many', counting)
    writer = status_writer.StatusWriter()
    threads = [threading.Thread(target=writer.record,
                                args=(ctx, instance_id, 'RUNNING',
                                      time.time()))
               for instance_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert writer.flush(timeout=10)

    assert sum(calls) == len(ids)
    assert len(calls) < len(ids) / 2
    assert {db_api.instance_status_get(ctx, i).status for i in ids} == {
        'RUNNING'}


def test_heartbeats_of_an_idle_moment_share_one_transaction(
        ctx, make_instance, monkeypatch):  # noqa: F811
    ids = [make_instance() for _ in range(5)]
    calls = []
    real = db_api.instance_status_update_many

    def counting(context, reports):
        calls.append(sorted(r['instance_id'] for r in reports))
        return real(context, reports)

    monkeypatch.setattr(db_api, 'instance_status_update_many', counting)
    writer = status_writer.StatusWriter(window=0.5)
    answers = {}
    first = threading.Thread(target=lambda: answers.update(
        first=writer.record(ctx, ids[0], 'RUNNING', time.time())))
    started = time.monotonic()
    first.start()
    time.sleep(0.05)
    # The writer gathers: these neither wait nor get a transaction each.
    later = [writer.record(ctx, i, 'RUNNING', time.time())
             for i in ids[1:]]
    first.join(10)
    assert writer.flush(timeout=10)

    assert later == [None] * 4 and answers == {'first': True}
    assert time.monotonic() - started >= 0.5
    assert calls == [sorted(ids)]
    assert {db_api.instance_status_get(ctx, i).status for i in ids} == {
        'RUNNING'}


def test_writer_idle_answers_whether_it_applied_and_raises_errors(
        ctx, make_instance):  # noqa: F811
    instance_id = make_instance()
    writer = status_writer.StatusWriter()

    assert writer.record(ctx, instance_id, 'RUNNING', 2000.0) is True
    assert writer.record(ctx, instance_id, 'FAILED', 1000.0) is False
    with pytest.raises(exceptions.InstanceNotFound):
        writer.record(ctx, 'no-such-instance', 'RUNNING', 3000.0)


def test_heartbeat_records_restarts_for_admins(
        ctx, make_instance):  # noqa: F811
    instance_id = make_instance()
    restarts = {'count': 2, 'last_at': 1700000000.5,
                'last_reason': 'killed by SIGKILL'}

    manager.ConductorManager(host='h').heartbeat(
        _guest_context(ctx, instance_id), instance_id,
        {'service_status': 'RUNNING', 'volume_used': 0.1,
         'datastore_restarts': restarts}, time.time())

    row = db_api.instance_status_get(ctx, instance_id)
    assert row.status == 'RUNNING'
    assert row.datastore_restarts == 2
    assert row.last_restart_reason == 'killed by SIGKILL'
    assert row.last_restart_at == datetime.datetime(2023, 11, 14, 22, 13,
                                                    20, 500000)


@pytest.mark.parametrize('restarts', [
    {'count': 0}, {'count': 'many'}, {'last_reason': 'x'}, 'three',
    {'count': 1, 'last_at': 'yesterday'}])
def test_malformed_restart_counts_are_dropped(restarts):
    assert manager.guest_restarts(
        'i', {'datastore_restarts': restarts}) is None


def test_restart_reason_is_cut_to_its_column():
    checked = manager.guest_restarts('i', {'datastore_restarts': {
        'count': 1, 'last_at': 5, 'last_reason': 'x' * 1000}})
    assert checked == {'count': 1, 'last_at': 5.0,
                       'last_reason': 'x' * 255}


def test_heartbeats_record_a_cluster_members_slots(
        ctx, make_instance):  # noqa: F811
    first, second = make_instance(), make_instance()
    conductor = manager.ConductorManager(host='h')
    # The first report of an instance takes the single path (no status
    # row yet), later ones the grouped one: both keep the slots.
    conductor.heartbeat(_guest_context(ctx, first), first,
                        {'service_status': 'RUNNING',
                         'cluster_slots': 5461}, time.time())
    applied = db_api.instance_status_update_many(ctx, [
        {'instance_id': first, 'status': 'RUNNING',
         'sent_at': time.time() + 1, 'cluster_slots': 5462},
        {'instance_id': second, 'status': 'RUNNING',
         'sent_at': time.time() + 1}])
    assert applied[first] is True
    assert db_api.instance_status_get(ctx, first).cluster_slots == 5462


@pytest.mark.parametrize('slots', [-1, 16385, '12', 1.5, True])
def test_malformed_slot_counts_are_dropped(slots):
    assert manager.cluster_slots('i', {'cluster_slots': slots}) is None


def test_slot_counts_in_range_are_kept():
    assert manager.cluster_slots('i', {'cluster_slots': 0}) == 0
    assert manager.cluster_slots('i', {'cluster_slots': 16384}) == 16384
    assert manager.cluster_slots('i', {}) is None


def test_a_thread_that_does_not_wait_hands_over_and_goes_on(
        ctx, make_instance):  # noqa: F811
    instance_id = make_instance()
    writer = status_writer.StatusWriter(window=0.5)
    outcome = {}

    def consumer():
        status_writer.callers_wait(False)
        started = time.monotonic()
        outcome['answer'] = writer.record(ctx, instance_id, 'RUNNING',
                                          time.time(), volume_used=0.25)
        outcome['seconds'] = time.monotonic() - started

    thread = threading.Thread(target=consumer)
    thread.start()
    thread.join()
    # Not waited for: no answer, and far less than the write window.
    assert outcome['answer'] is None
    assert outcome['seconds'] < 0.25
    assert writer.flush(timeout=10)
    row = db_api.instance_status_get(ctx, instance_id)
    assert (row.status, row.volume_used) == ('RUNNING', 0.25)
    # Other threads still wait for their write when the writer is idle.
    assert writer.record(ctx, instance_id, 'SHUTDOWN',
                         time.time() + 1) is True


def test_update_many_when_every_report_applies(
        ctx, make_instance):  # noqa: F811
    ids = [make_instance() for _ in range(3)]
    for instance_id in ids:
        db_api.instance_status_update(ctx, instance_id, 'BUILD', 1000.0)
    applied = db_api.instance_status_update_many(ctx, [
        {'instance_id': instance_id, 'status': 'RUNNING',
         'sent_at': 2000.0} for instance_id in ids])
    assert applied == dict.fromkeys(ids, True)
    assert {db_api.instance_status_get(ctx, i).status for i in ids} == \
        {'RUNNING'}
