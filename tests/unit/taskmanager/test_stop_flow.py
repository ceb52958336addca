"""The admin stop flow against a fake guest and a real SQLite cell."""

import time

import pytest

from tests.unit.taskmanager.conftest import FakeGuest
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import engine
from trove_mr.flows import stop_datastore
from trove_mr.guestagent import rpcapi as guest_rpcapi


class StoppingGuest(FakeGuest):
    """A guest whose stop reports SHUTDOWN (unless told it hangs)."""

    reports = True

    def stop(self, timeout=None):
        FakeGuest.calls.append(('stop', self.instance_id))
        if StoppingGuest.reports:
            self._report(states.SERVICE_SHUTDOWN)
        return {'status': 'shutdown'}


@pytest.fixture
def guests(monkeypatch):
    monkeypatch.setattr(guest_rpcapi, 'GuestAgentAPI', StoppingGuest)
    monkeypatch.setattr(StoppingGuest, 'reports', True)
    return StoppingGuest


def _run(ctx, instance_id, timeout=30):
    store = {'instance_id': instance_id,
             'deadline_at': common.deadline_at(timeout),
             'timeout': timeout}
    engine.run_here(ctx, stop_datastore.get_flow, store)


def _stopping(make_instance, ctx):
    instance = make_instance('RegionTwo', task_status=states.TASK_STOPPING)
    db_api.instance_status_update(ctx, instance.id, states.SERVICE_RUNNING,
                                  time.time() - 1)
    return instance


def test_stop_asks_the_guest_and_ends_shutdown_with_no_task(
        make_instance, ctx, guests):
    instance = _stopping(make_instance, ctx)
    assert states.display_status(states.TASK_STOPPING,
                                 states.SERVICE_RUNNING) == 'SHUTDOWN'
    _run(ctx, instance.id)
    assert ('stop', instance.id) in FakeGuest.calls
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_NONE
    assert states.display_status(row.task_status, row.status.status) == \
        'SHUTDOWN'
    # A restart is what brings it back.
    assert states.next_task(row.task_status, 'restart') == \
        states.TASK_REBOOTING


def test_a_guest_that_never_reports_shutdown_leaves_error(
        make_instance, ctx, guests):
    guests.reports = False
    instance = _stopping(make_instance, ctx)
    with pytest.raises(common.BuildTimeout):
        _run(ctx, instance.id, timeout=1)
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_ERROR
    assert 'SHUTDOWN report after the stop' in row.fault_details
