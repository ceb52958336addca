"""The create-instance flow against fake clouds and a real database."""

from tests.unit.taskmanager.conftest import FakeGuest
from tests.unit.taskmanager.conftest import placement_for
from trove_mr.common import cfg
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import create_instance

CONF = cfg.CONF


def test_build_in_region_two_ends_active_with_volume_server_and_key(
        cloud, make_instance, ctx):
    instance = make_instance('RegionTwo')

    assert create_instance.run(ctx, instance, placement_for('RegionTwo'),
                               'pw-1') is True

    built = db_api.instance_get(ctx, instance.id)
    assert built.task_status == states.TASK_NONE
    region = cloud['RegionTwo']
    assert list(region.servers.items) == [built.server_id]
    assert list(region.volumes.items) == [built.volume_id]
    assert cloud['RegionOne'].servers.items == {}
    server = region.servers.items[built.server_id]
    assert server.name == 'trove-mr-%s' % instance.id
    assert server.metadata == {'trove_mr_instance_id': instance.id}
    kwargs = region.servers.created_kwargs[0]
    assert kwargs['config_drive'] is True
    assert kwargs['block_device_mapping_v2'][0]['uuid'] == built.volume_id
    assert kwargs['userdata'].startswith('#cloud-config')
    key = db_api.instance_rpc_key_get(ctx, instance.id)
    assert key and key in kwargs['userdata']
    assert built.encrypted_rpc_key != key
    prepare = [c for c in FakeGuest.calls if c[0] == 'prepare'][0]
    assert prepare[2] == key
    assert prepare[3] == {'password': 'pw-1', 'backup_info': None,
                          'cluster': None}
    assert '127.11.0.' in built.addresses


def test_server_create_failure_reverts_the_volume_and_marks_error(
        cloud, make_instance, ctx):
    cloud['RegionOne'].servers.fail_create = True
    instance = make_instance()

    assert create_instance.run(ctx, instance, placement_for('RegionOne'),
                               'pw') is False

    failed = db_api.instance_get(ctx, instance.id)
    assert failed.task_status == states.TASK_ERROR
    # The tenant reads the kind of failure; admins read why.
    assert 'no valid host' in failed.fault_details
    assert 'no valid host' not in failed.fault_message
    assert cloud['RegionOne'].volumes.items == {}


def test_guest_that_never_reports_times_out_and_leaves_nothing(
        cloud, make_instance, ctx):
    CONF.set_override('usage_timeout', 1)
    FakeGuest.behaviour = 'silent'
    try:
        instance = make_instance()
        assert create_instance.run(ctx, instance,
                                   placement_for('RegionOne'), 'pw') is False
    finally:
        CONF.clear_override('usage_timeout')

    failed = db_api.instance_get(ctx, instance.id)
    assert failed.task_status == states.TASK_ERROR
    # The tenant reads the kind of failure; admins read why.
    assert 'RUNNING heartbeat' in failed.fault_details
    assert 'RUNNING heartbeat' not in failed.fault_message
    assert cloud['RegionOne'].servers.items == {}
    assert cloud['RegionOne'].volumes.items == {}


def test_guest_reporting_failed_puts_the_instance_in_error(
        cloud, make_instance, ctx):
    FakeGuest.behaviour = 'fails'
    instance = make_instance()

    assert create_instance.run(ctx, instance, placement_for('RegionOne'),
                               'pw') is False

    failed = db_api.instance_get(ctx, instance.id)
    assert failed.task_status == states.TASK_ERROR
    # The tenant reads the kind of failure; admins read why.
    assert 'FAILED' in failed.fault_details
    assert 'FAILED' not in failed.fault_message
    assert cloud['RegionOne'].servers.items == {}


def test_server_going_to_error_is_reported_with_its_region(
        cloud, make_instance, ctx):
    cloud['RegionTwo'].servers.status_after_create = 'ERROR'
    instance = make_instance('RegionTwo')

    create_instance.run(ctx, instance, placement_for('RegionTwo'), 'pw')

    failed = db_api.instance_get(ctx, instance.id)
    assert failed.task_status == states.TASK_ERROR
    assert 'RegionTwo' in failed.fault_details
    assert failed.fault_message == 'A step of the operation failed.'
    assert cloud['RegionTwo'].volumes.items == {}


def test_instance_deleted_during_build_is_not_marked_error(
        cloud, make_instance, ctx, monkeypatch):
    instance = make_instance()

    def delete_meanwhile(self, config):
        db_api.instance_update(ctx, instance.id,
                               {'task_status': states.TASK_DELETING})
    monkeypatch.setattr(FakeGuest, 'prepare', delete_meanwhile)
    CONF.set_override('usage_timeout', 1)
    try:
        create_instance.run(ctx, instance, placement_for('RegionOne'), 'pw')
    finally:
        CONF.clear_override('usage_timeout')

    assert db_api.instance_get(ctx, instance.id).task_status == \
        states.TASK_DELETING
    assert cloud['RegionOne'].servers.items == {}
