"""The conductor's heartbeat recording and expiry, on a migrated SQLite."""

import collections
import datetime

import pytest
import sqlalchemy as sa

from tests.unit.db.conftest import ctx  # noqa: F401
from tests.unit.db.conftest import db_urls  # noqa: F401
from trove_mr.common import cfg
from trove_mr.common import crypto
from trove_mr.common import rpc
from trove_mr.common import states
from trove_mr.conductor import manager
from trove_mr.db import engines
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
NOW = datetime.datetime(2030, 1, 1, 12, 0, 0,
                        tzinfo=datetime.timezone.utc)


@pytest.fixture
def version(ctx):  # noqa: F811
    store = db_api.datastore_create(ctx, {'name': 'redis'})
    return db_api.datastore_version_create(
        ctx, store.id, {'name': '7.0', 'manager': 'redis',
                        'image_name': 'img', 'active': True})


@pytest.fixture
def make_instance(ctx, version):  # noqa: F811
    def make(status='NEW', heartbeat_at=None, deleted=False):
        row = db_api.instance_create(ctx, {
            'tenant_id': 'tenant-a', 'datastore_version_id': version.id,
            'status': status})
        if heartbeat_at is not None:
            db_api.instance_status_update(ctx, row.id, status, heartbeat_at)
        if deleted:
            db_api.instance_soft_delete(ctx, row.id)
        return row.id
    return make


def _guest_context(ctx, instance_id):  # noqa: F811
    # What the server serializer leaves on a message opened with this key.
    rpc.set_sender_key_id(ctx, rpc.instance_key_id(instance_id))
    return ctx


def _ts(delta_seconds):
    return (NOW + datetime.timedelta(seconds=delta_seconds)).timestamp()


def _receive_at(monkeypatch, *times):
    clock = iter(times)
    monkeypatch.setattr(manager, 'receive_time', lambda: next(clock))


def test_heartbeat_applies_newer_and_ignores_older_messages(
        ctx, make_instance, monkeypatch):  # noqa: F811
    instance_id = make_instance()
    conductor = manager.ConductorManager(host='h')
    guest_ctx = _guest_context(ctx, instance_id)
    # Handled out of order: the one received first is applied last.
    _receive_at(monkeypatch, _ts(0.000002), _ts(0.000001))

    conductor.heartbeat(guest_ctx, instance_id,
                        {'service_status': 'SHUTDOWN', 'volume_used': 1.5},
                        _ts(0.000001))
    conductor.heartbeat(guest_ctx, instance_id,
                        {'service_status': 'RUNNING', 'volume_used': 0.1},
                        _ts(0.000002))

    row = db_api.instance_status_get(ctx, instance_id)
    assert row.status == 'SHUTDOWN'
    assert row.volume_used == 1.5
    assert states.display_status('NONE', row.status) == 'SHUTDOWN'


def test_heartbeat_under_another_instances_key_is_dropped(
        ctx, make_instance):  # noqa: F811
    victim = make_instance()
    sender = make_instance()

    manager.ConductorManager(host='h').heartbeat(
        _guest_context(ctx, sender), victim,
        {'service_status': 'FAILED'}, _ts(0))

    assert db_api.instance_status_get(ctx, victim).status == 'NEW'


def test_heartbeat_with_unknown_status_is_dropped(
        ctx, make_instance):  # noqa: F811
    instance_id = make_instance()

    manager.ConductorManager(host='h').heartbeat(
        _guest_context(ctx, instance_id), instance_id,
        {'service_status': 'LOST'}, _ts(0))

    assert db_api.instance_status_get(ctx, instance_id).status == 'NEW'


def test_mark_lost_guests_marks_only_silent_reporting_live_guests(
        ctx, make_instance):  # noqa: F811
    silent = make_instance('RUNNING', _ts(-100))
    silent_failed = make_instance('FAILED', _ts(-100))
    fresh = make_instance('RUNNING', _ts(-5))
    never_heard = make_instance()
    gone = make_instance('RUNNING', _ts(-100), deleted=True)

    count = manager.mark_lost_guests(expiry=60, now=NOW)

    assert count == 2
    statuses = {i: db_api.instance_status_get(ctx, i).status
                for i in (silent, silent_failed, fresh, never_heard, gone)}
    assert statuses == {silent: 'LOST', silent_failed: 'LOST',
                        fresh: 'RUNNING', never_heard: 'NEW',
                        gone: 'RUNNING'}
    assert states.display_status('NONE', 'LOST') == 'SHUTDOWN'


def test_mark_lost_guests_is_one_update_statement(
        ctx, make_instance):  # noqa: F811
    for _ in range(5):
        make_instance('RUNNING', _ts(-100))
    engine = engines.main_context_manager().writer.get_engine()
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, 'before_cursor_execute', record)
    try:
        assert manager.mark_lost_guests(expiry=60, now=NOW) == 5
    finally:
        sa.event.remove(engine, 'before_cursor_execute', record)

    updates = [s for s in statements if s.lstrip().upper().startswith(
        'UPDATE')]
    assert len(updates) == 1


def test_heartbeat_is_aged_by_receive_time_not_the_guest_clock(
        ctx, make_instance, monkeypatch):  # noqa: F811
    instance_id = make_instance()
    _receive_at(monkeypatch, _ts(-100), _ts(-90))
    conductor = manager.ConductorManager(host='h')
    # A guest whose clock runs a day ahead cannot keep itself alive...
    conductor.heartbeat(_guest_context(ctx, instance_id), instance_id,
                        {'service_status': 'RUNNING'}, _ts(86400))
    row = db_api.instance_status_get(ctx, instance_id)
    assert row.heartbeat_at == _naive(-100)
    assert manager.mark_lost_guests(expiry=60, now=NOW) == 1
    assert db_api.instance_status_get(ctx, instance_id).status == 'LOST'
    # ...and one running behind is not ignored for it.
    conductor.heartbeat(_guest_context(ctx, instance_id), instance_id,
                        {'service_status': 'SHUTDOWN'}, _ts(-86400))
    assert db_api.instance_status_get(ctx, instance_id).status == \
        'SHUTDOWN'


def _naive(delta_seconds):
    return (NOW + datetime.timedelta(seconds=delta_seconds)).replace(
        tzinfo=None)


def test_guest_heard_again_after_being_lost_is_running(
        ctx, make_instance, monkeypatch):  # noqa: F811
    instance_id = make_instance('RUNNING', _ts(-100))
    manager.mark_lost_guests(expiry=60, now=NOW)
    _receive_at(monkeypatch, _ts(0))

    manager.ConductorManager(host='h').heartbeat(
        _guest_context(ctx, instance_id), instance_id,
        {'service_status': 'RUNNING'}, _ts(0))

    assert db_api.instance_status_get(ctx, instance_id).status == 'RUNNING'


def test_instance_rpc_key_is_read_once_and_cached(
        ctx, make_instance, monkeypatch):  # noqa: F811
    instance_id = make_instance()
    key = crypto.generate_key()
    db_api.instance_rpc_key_set(ctx, instance_id, key)
    reads = []
    real = db_api.instance_rpc_key_get
    monkeypatch.setattr(db_api, 'instance_rpc_key_get',
                        lambda c, i: reads.append(i) or real(c, i))
    monkeypatch.setattr(manager, '_key_cache', collections.OrderedDict())

    assert manager.instance_rpc_key(instance_id) == key
    assert manager.instance_rpc_key(instance_id) == key
    assert reads == [instance_id]
    assert manager.instance_rpc_key('no-such-instance') is None


def test_a_full_key_cache_drops_its_least_recently_used_key(
        ctx, make_instance, monkeypatch):  # noqa: F811
    ids = [make_instance() for _ in range(3)]
    for instance_id in ids:
        db_api.instance_rpc_key_set(ctx, instance_id, crypto.generate_key())
    monkeypatch.setattr(manager, '_key_cache', collections.OrderedDict())
    monkeypatch.setattr(manager, '_KEY_CACHE_MAX', 2)
    manager.instance_rpc_key(ids[0])
    manager.instance_rpc_key(ids[1])
    manager.instance_rpc_key(ids[0])      # used again: kept
    manager.instance_rpc_key(ids[2])      # makes room by dropping ids[1]
    assert list(manager._key_cache) == [ids[0], ids[2]]


class _Wakes:
    def __init__(self, fail=False):
        self.sent = []
        self.fail = fail

    def instance_ready(self, context, target, instance_id):
        if self.fail:
            raise RuntimeError('bus down')
        self.sent.append((target, instance_id))


def test_guest_ready_records_the_status_then_wakes_its_taskmanager(
        ctx, make_instance, monkeypatch):  # noqa: F811
    instance_id = make_instance()
    wakes = _Wakes()
    monkeypatch.setattr(manager, '_wake_api', lambda: wakes)

    def woken_after_the_record(context, target, woken_id):
        # The woken flow reads the row at once: it must be there.
        assert db_api.instance_status_get(ctx, woken_id).status == \
            'RUNNING'
        wakes.sent.append((target, woken_id))
    monkeypatch.setattr(wakes, 'instance_ready', woken_after_the_record)

    manager.ConductorManager(host='h').guest_ready(
        _guest_context(ctx, instance_id), instance_id,
        {'service_status': 'RUNNING', 'volume_used': 0.1},
        'vm.77.abcd1234', _ts(0))

    assert wakes.sent == [('vm.77.abcd1234', instance_id)]
    assert db_api.instance_status_get(ctx, instance_id).volume_used == 0.1


def test_guest_ready_of_another_instance_or_bad_target_wakes_nobody(
        ctx, make_instance, monkeypatch):  # noqa: F811
    victim = make_instance()
    sender = make_instance()
    wakes = _Wakes()
    monkeypatch.setattr(manager, '_wake_api', lambda: wakes)
    conductor = manager.ConductorManager(host='h')

    conductor.guest_ready(_guest_context(ctx, sender), victim,
                          {'service_status': 'RUNNING'}, 'vm.1.a', _ts(0))
    assert db_api.instance_status_get(ctx, victim).status == 'NEW'

    conductor.guest_ready(_guest_context(ctx, sender), sender,
                          {'service_status': 'RUNNING'}, 'bad target',
                          _ts(0))
    # Recorded (it is the sender's own), but no wake to a bad name.
    assert db_api.instance_status_get(ctx, sender).status == 'RUNNING'
    assert wakes.sent == []


def test_guest_ready_with_wakes_off_or_failing_still_records(
        ctx, make_instance, monkeypatch):  # noqa: F811
    first = make_instance()
    second = make_instance()
    conductor = manager.ConductorManager(host='h')
    wakes = _Wakes()
    monkeypatch.setattr(manager, '_wake_api', lambda: wakes)
    CONF.set_override('guest_ready_wake', False)
    try:
        conductor.guest_ready(_guest_context(ctx, first), first,
                              {'service_status': 'FAILED'}, 'vm.1.a',
                              _ts(0))
    finally:
        CONF.clear_override('guest_ready_wake')
    assert wakes.sent == []
    assert db_api.instance_status_get(ctx, first).status == 'FAILED'

    monkeypatch.setattr(manager, '_wake_api', lambda: _Wakes(fail=True))
    conductor.guest_ready(_guest_context(ctx, second), second,
                          {'service_status': 'RUNNING'}, 'vm.1.a', _ts(0))
    assert db_api.instance_status_get(ctx, second).status == 'RUNNING'
