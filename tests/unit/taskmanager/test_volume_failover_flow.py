"""The volume failover flow against fake Nova/Cinder and a real SQLite
cell; and replication enabled at create for a replication-capable type.
"""

import json
import time

import pytest
from cinderclient import exceptions as cinder_exc

from tests.unit.taskmanager.conftest import FakeGuest
from tests.unit.taskmanager.conftest import placement_for
from trove_mr.common import cfg
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import create_instance
from trove_mr.flows import engine
from trove_mr.flows import volume_failover

CONF = cfg.CONF


@pytest.fixture
def reboots(cloud, ctx):
    """Nova's reboot: the guest comes back and reports RUNNING."""
    done = []

    def install(region):
        servers = cloud[region].servers

        def reboot_server(server_id, reboot_type='SOFT'):
            done.append((region, server_id, reboot_type))
            instance_id = servers.get(server_id).name[len('trove-mr-'):]
            db_api.instance_status_update(
                ctx, instance_id, states.SERVICE_RUNNING, time.time() + 0.5)
        servers.reboot = reboot_server
    for region in cloud:
        install(region)
    return done


def _replicated(cloud, make_instance, ctx, region='RegionTwo',
                task=states.TASK_FAILING_OVER, volume_type='replicated'):
    instance = make_instance(region, task_status=task,
                             volume_type=volume_type)
    server = cloud[region].servers.create('trove-mr-%s' % instance.id,
                                          'image-1', 'flavor-1')
    volume = cloud[region].volumes.create(1, volume_type=volume_type)
    cloud[region].volumes._action('os-enable_replication', volume.id)
    return db_api.instance_update(ctx, instance.id, {
        'server_id': server.id, 'volume_id': volume.id,
        'volume_replication_status': 'enabled'})


def _payload(row):
    return {'region_name': row.region_name, 'volume_id': row.volume_id,
            'server_id': row.server_id, 'secondary': None}


def _run(ctx, row, timeout=30):
    store = {'instance_id': row.id, 'failover': _payload(row),
             'deadline_at': common.deadline_at(timeout), 'timeout': timeout}
    try:
        engine.run_here(ctx, volume_failover.get_flow, store)
    except Exception:  # noqa: BLE001 - the row tells what happened
        pass
    return db_api.instance_get(ctx, row.id)


def test_failover_stops_redis_switches_volume_reboots_and_ends_active(
        cloud, make_instance, ctx, reboots):
    row = _replicated(cloud, make_instance, ctx)
    after = _run(ctx, row)
    assert after.task_status == states.TASK_NONE
    assert after.volume_replication_status == 'failed-over'
    assert (after.server_id, after.region_name) == (row.server_id,
                                                    'RegionTwo')
    volumes = cloud['RegionTwo'].volumes
    assert ('os-failover_replication', row.volume_id, {}) in volumes.actions
    assert volumes.get(row.volume_id)._info['replication_status'] == \
        'failed-over'
    assert reboots == [('RegionTwo', row.server_id, 'HARD')]
    assert ('stop', row.id, None) in [c[:3] for c in FakeGuest.calls]


def test_failover_without_an_answering_guest_still_fails_over(
        cloud, make_instance, ctx, reboots, monkeypatch):
    row = _replicated(cloud, make_instance, ctx, task=states.TASK_FAILING_OVER)

    def lost(self, timeout=None):
        raise TimeoutError('no answer')
    monkeypatch.setattr(FakeGuest, 'stop', lost)
    after = _run(ctx, row)
    assert after.task_status == states.TASK_NONE
    assert cloud['RegionTwo'].volumes.get(row.volume_id)._info[
        'replication_status'] == 'failed-over'


def test_refused_failover_boots_on_the_primary_and_marks_error(
        cloud, make_instance, ctx, reboots):
    row = _replicated(cloud, make_instance, ctx)
    cloud['RegionTwo'].volumes.failover_error = cinder_exc.BadRequest(
        400, 'Invalid volume: replication status is copying.')
    after = _run(ctx, row)
    assert after.task_status == states.TASK_ERROR
    # Never on no volume: the server booted again on the primary (its
    # volume unchanged) and Redis was started there.
    volume = cloud['RegionTwo'].volumes.get(row.volume_id)
    assert volume._info['replication_status'] == 'enabled'
    assert reboots == [('RegionTwo', row.server_id, 'HARD')]
    assert ('restart', row.id) in [c[:2] for c in FakeGuest.calls]
    # The tenant's fault names no replication; admins get the details.
    assert 'replica' not in after.fault_message.lower()
    assert 'failover' not in after.fault_message.lower()
    assert 'replication status is copying' in after.fault_details


def test_cluster_members_fail_over_one_after_another(
        cloud, make_instance, ctx, reboots):
    rows = [_replicated(cloud, make_instance, ctx, region='RegionOne',
                        task=states.TASK_NONE) for _ in range(2)]
    timeout = 60
    store = {'deadline_at': common.deadline_at(timeout), 'timeout': timeout}
    for index, row in enumerate(rows):
        store['m%d-instance_id' % index] = row.id
        store['m%d-failover' % index] = _payload(row)
    engine.run_here(ctx, volume_failover.get_cluster_flow, store,
                    factory_kwargs={'count': 2})
    assert [r[1] for r in reboots] == [rows[0].server_id, rows[1].server_id]
    for row in rows:
        after = db_api.instance_get(ctx, row.id)
        assert after.task_status == states.TASK_NONE
        assert after.volume_replication_status == 'failed-over'
    stops = [c[1] for c in FakeGuest.calls if c[0] == 'stop']
    assert stops == [rows[0].id, rows[1].id]


@pytest.mark.parametrize('volume_type,expected', [
    ('replicated', 'enabled'), (None, None)])
def test_create_enables_replication_only_for_capable_types(
        cloud, make_instance, ctx, volume_type, expected):
    instance = make_instance('RegionTwo', volume_type=volume_type)
    assert create_instance.run(ctx, instance, placement_for('RegionTwo'),
                               'pw') is True
    row = db_api.instance_get(ctx, instance.id)
    assert row.volume_replication_status == expected
    volume = cloud['RegionTwo'].volumes.get(row.volume_id)
    assert volume._info['replication_status'] == (expected or 'disabled')


def test_a_failed_member_leaves_the_members_done_before_it_alone(
        cloud, make_instance, ctx, reboots):
    rows = [_replicated(cloud, make_instance, ctx, region='RegionOne',
                        task=states.TASK_NONE) for _ in range(2)]
    volumes = cloud['RegionOne'].volumes
    real_action = volumes._action

    def second_refused(action, volume_id, info=None):
        if action == 'os-failover_replication' and \
                volume_id == rows[1].volume_id:
            raise cinder_exc.BadRequest(400, 'refused')
        return real_action(action, volume_id, info)
    volumes._action = second_refused
    timeout = 60
    store = {'deadline_at': common.deadline_at(timeout), 'timeout': timeout}
    for index, row in enumerate(rows):
        store['m%d-instance_id' % index] = row.id
        store['m%d-failover' % index] = _payload(row)
    with pytest.raises(Exception):  # noqa: B017 - the flow's failure
        engine.run_here(ctx, volume_failover.get_cluster_flow, store,
                        factory_kwargs={'count': 2})
    first = db_api.instance_get(ctx, rows[0].id)
    second = db_api.instance_get(ctx, rows[1].id)
    assert first.task_status == states.TASK_NONE
    assert second.task_status == states.TASK_ERROR
    # The first member was rebooted once (its failover), not again.
    assert [r[1] for r in reboots].count(rows[0].server_id) == 1
    assert [r[1] for r in reboots].count(rows[1].server_id) == 1


@pytest.fixture
def sent():
    """Notifications on, recorded by oslo.messaging's ``test`` driver."""
    from oslo_messaging.notify import _impl_test

    from trove_mr.common import notifications
    group = 'oslo_messaging_notifications'
    notifications.enabled()  # registers the options
    CONF.set_override('driver', ['test'], group=group)
    CONF.set_override('transport_url', 'fake:///notifications', group=group)
    _impl_test.reset()
    yield _impl_test.NOTIFICATIONS
    notifications.cleanup()
    _impl_test.reset()
    CONF.clear_override('driver', group=group)
    CONF.clear_override('transport_url', group=group)


def test_notifications_name_no_replication(cloud, make_instance, ctx,
                                           reboots, sent):
    row = _replicated(cloud, make_instance, ctx)
    timeout = 30
    store = {'instance_id': row.id, 'failover': _payload(row),
             'deadline_at': common.deadline_at(timeout), 'timeout': timeout}
    engine.run_here(ctx, volume_failover.get_flow, store,
                    operation=volume_failover.OPERATION,
                    resource_type='instance', resource_id=row.id)
    events = [m['event_type'] for _c, m, _p, _r in sent]
    assert events == ['trove.instance.storage_switch.start',
                      'trove.instance.storage_switch.end']
    for _c, message, _p, _r in sent:
        # (``replica_of`` is upstream's field for Redis replicas.)
        text = json.dumps(message['payload'], default=str).lower()
        assert 'replication' not in text and 'failover' not in text
        assert 'failed-over' not in text and '#replica' not in text


def test_create_goes_on_when_replication_cannot_be_enabled(
        cloud, make_instance, ctx):
    volumes = cloud['RegionTwo'].volumes

    def refused(action, volume_id, info=None):
        raise cinder_exc.BadRequest(400, 'backend busy')
    volumes._action = refused
    instance = make_instance('RegionTwo', volume_type='replicated')
    assert create_instance.run(ctx, instance, placement_for('RegionTwo'),
                               'pw') is True
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_NONE
    assert row.volume_replication_status == 'error'
