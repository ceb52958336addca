"""The admin reboot flow against a fake Nova and a real SQLite cell."""

import time

import pytest

from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import engine
from trove_mr.flows import reboot


def _rebootable(cloud, make_instance, ctx, region='RegionTwo'):
    instance = make_instance(region, task_status=states.TASK_REBOOTING)
    server = cloud[region].servers.create('trove-mr-%s' % instance.id,
                                          'image-1', 'flavor-1')
    return db_api.instance_update(ctx, instance.id,
                                  {'server_id': server.id})


def _run(ctx, instance_id, timeout=30):
    store = {'instance_id': instance_id,
             'deadline_at': common.deadline_at(timeout),
             'timeout': timeout}
    engine.run_here(ctx, reboot.get_flow, store)


@pytest.fixture
def reboots(cloud, ctx):
    """Nova's reboot: the guest comes back and reports RUNNING (unless
    ``comes_back`` is False)."""
    done = []
    behaviour = {'comes_back': True, 'reports': states.SERVICE_RUNNING}

    def install(region):
        servers = cloud[region].servers

        def reboot_server(server_id):
            done.append((region, server_id))
            instance_id = servers.get(server_id).name[len('trove-mr-'):]
            if behaviour['comes_back']:
                db_api.instance_status_update(
                    ctx, instance_id, behaviour['reports'],
                    time.time() + 0.5)
        servers.reboot = reboot_server
    for region in cloud:
        install(region)
    return done, behaviour


def test_reboot_reboots_the_server_in_its_region_and_ends_active(
        cloud, make_instance, ctx, reboots):
    done, _ = reboots
    instance = _rebootable(cloud, make_instance, ctx)
    # The redis-server that died before the reboot was reported: not
    # a failure of the reboot.
    db_api.instance_status_update(ctx, instance.id, states.SERVICE_FAILED,
                                  time.time() - 1)
    _run(ctx, instance.id)
    assert done == [('RegionTwo', instance.server_id)]
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_NONE
    assert row.status.status == states.SERVICE_RUNNING


def test_a_guest_that_never_comes_back_leaves_error_with_the_wait(
        cloud, make_instance, ctx, reboots):
    _, behaviour = reboots
    behaviour['comes_back'] = False
    instance = _rebootable(cloud, make_instance, ctx)
    db_api.instance_status_update(ctx, instance.id, states.SERVICE_RUNNING,
                                  time.time() - 1)
    with pytest.raises(common.BuildTimeout):
        _run(ctx, instance.id, timeout=1)
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_ERROR
    assert 'RUNNING heartbeat after the reboot' in row.fault_details


def test_an_errored_server_fails_the_reboot_naming_the_region(
        cloud, make_instance, ctx, reboots):
    instance = _rebootable(cloud, make_instance, ctx)
    server = cloud['RegionTwo'].servers.get(instance.server_id)
    server.status = 'ERROR'
    server.fault = {'message': 'host on fire'}
    with pytest.raises(common.StepFailed):
        _run(ctx, instance.id)
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_ERROR
    assert 'RegionTwo' in row.fault_details
    assert 'host on fire' in row.fault_details
    assert 'host on fire' not in row.fault_message


@pytest.mark.parametrize('kept_stopped', [True, False])
def test_a_shutdown_report_ends_the_reboot_only_if_stopped_on_request(
        cloud, make_instance, ctx, reboots, monkeypatch, kept_stopped):
    """After an admin's stop the guest keeps Redis stopped across the
    reboot: its SHUTDOWN report ends the wait when the guest says so; a
    SHUTDOWN that is no stop on request does not."""
    from tests.unit.taskmanager.conftest import FakeGuest
    from trove_mr.guestagent import rpcapi as guest_rpcapi
    done, behaviour = reboots
    behaviour['reports'] = states.SERVICE_SHUTDOWN
    monkeypatch.setattr(guest_rpcapi, 'GuestAgentAPI', FakeGuest)
    monkeypatch.setattr(FakeGuest, 'get_status', lambda self, timeout=None: {
        'status': 'shutdown', 'volume_used': 0.0,
        'stopped_on_request': kept_stopped})
    instance = _rebootable(cloud, make_instance, ctx)
    if kept_stopped:
        _run(ctx, instance.id)
    else:
        with pytest.raises(common.BuildTimeout):
            _run(ctx, instance.id, timeout=1)
    assert done == [('RegionTwo', instance.server_id)]
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == (states.TASK_NONE if kept_stopped
                               else states.TASK_ERROR)
    assert row.status.status == states.SERVICE_SHUTDOWN
