"""The heartbeat of the taskmanager and conductor services: written at
start-up, renewed every report_interval, deleted on a clean stop before
the RPC server drains. The RPC server is a fake; the database is real."""

import time

import pytest

from trove_mr.common import cfg
from trove_mr.common import rpc
from trove_mr.common import service
from trove_mr.conductor import service as conductor_service
from trove_mr.db.main import api as db_api
from trove_mr.taskmanager import service as taskmanager_service

CONF = cfg.CONF
TM = 'trove-mr-taskmanager'


class FakeRPCServer:
    def __init__(self, events):
        self.events = events

    def start(self):
        self.events.append('rpc start')

    def stop(self):
        self.events.append('rpc stop')

    def wait(self):
        self.events.append('rpc wait')


@pytest.fixture
def events(monkeypatch):
    """What the fake RPC server was asked, in order."""
    happened = []
    monkeypatch.setattr(rpc, 'get_server',
                        lambda *args, **kwargs: FakeRPCServer(happened))
    return happened


def _service(binary=TM, host='tm-1', record=None, forget=None):
    rpc_service = service.RPCService('topic-x', lambda: [], host=host)
    rpc_service.report_state(binary, record or db_api.service_heartbeat,
                             forget or db_api.service_delete)
    return rpc_service


def _alive(ctx):
    return db_api.service_alive_count(ctx, TM, CONF.service_down_time)


def test_a_started_service_is_alive_at_once_and_gone_once_stopped(
        ctx, events):
    rpc_service = _service()
    rpc_service.start()
    try:
        assert _alive(ctx) == 1
        [row] = db_api.service_get_all(ctx, TM)
        assert (row.host, row.topic, row.boot_id) == \
            ('tm-1', 'topic-x', rpc_service.boot_id)
    finally:
        rpc_service.stop()
    assert _alive(ctx) == 0
    assert db_api.service_get_all(ctx) == []


def test_the_heartbeat_is_renewed_every_report_interval(ctx, events):
    CONF.set_override('report_interval', 1)
    rpc_service = _service()
    rpc_service.start()
    try:
        deadline = time.monotonic() + 5
        while db_api.service_get_all(ctx, TM)[0].report_count < 2:
            assert time.monotonic() < deadline, 'no second heartbeat'
            time.sleep(0.1)
    finally:
        rpc_service.stop()
        CONF.clear_override('report_interval')


def test_two_processes_of_one_host_are_counted_apart(ctx, events):
    first, second = _service(), _service()
    first.start()
    second.start()
    try:
        assert first.boot_id != second.boot_id
        assert _alive(ctx) == 2
        first.stop()
        assert _alive(ctx) == 1
    finally:
        second.stop()
    assert _alive(ctx) == 0


def test_the_heartbeat_goes_before_the_rpc_server_drains(ctx, events):
    def forget(*args):
        events.append('forget')
        return db_api.service_delete(*args)

    rpc_service = _service(forget=forget)
    rpc_service.start()
    rpc_service.stop()
    assert events == ['rpc start', 'forget', 'rpc stop', 'rpc wait']


def test_a_failing_heartbeat_is_logged_and_the_service_runs(
        ctx, events, caplog):
    def record(*args, **kwargs):
        raise RuntimeError('database gone')

    rpc_service = _service(record=record)
    rpc_service.start()
    rpc_service.stop()
    assert 'Could not record the heartbeat of %s' % TM in caplog.text
    assert 'database gone' not in caplog.text
    assert events[:1] == ['rpc start']


def test_taskmanager_and_conductor_report_under_their_binaries(db_urls):
    assert taskmanager_service.create_service().binary == TM
    assert conductor_service.create_service().binary == 'trove-mr-conductor'
