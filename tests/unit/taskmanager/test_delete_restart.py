"""Delete and restart of instances against fake clouds."""

import pytest

from tests.unit.taskmanager.conftest import FakeGuest
from tests.unit.taskmanager.conftest import placement_for
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api
from trove_mr.flows import create_instance
from trove_mr.flows import delete_instance
from trove_mr.flows import restart_instance


def _built(ctx, make_instance, region='RegionTwo'):
    instance = make_instance(region)
    assert create_instance.run(ctx, instance, placement_for(region), 'pw')
    return db_api.instance_get(ctx, instance.id)


def test_delete_removes_server_volume_row_and_mapping(
        cloud, make_instance, ctx):
    instance = _built(ctx, make_instance)
    mapping = api_db.region_mapping_create(
        ctx, 'RegionOne', 'rabbit://127.0.0.1/', 'sqlite://')
    api_db.instance_mapping_create(ctx, instance.id, mapping.uuid,
                                   ctx.project_id)

    assert delete_instance.run(ctx, instance.id) is True

    assert cloud['RegionTwo'].servers.items == {}
    assert cloud['RegionTwo'].volumes.items == {}
    with pytest.raises(exceptions.InstanceNotFound):
        db_api.instance_get(ctx, instance.id)
    with pytest.raises(exceptions.ResourceMappingNotFound):
        api_db.instance_mapping_get(ctx, instance.id)
    assert ('stop', instance.id) == FakeGuest.calls[-1][:2]


def test_delete_finishes_a_half_deleted_instance_and_runs_twice(
        cloud, make_instance, ctx):
    instance = _built(ctx, make_instance)
    region = cloud['RegionTwo']
    region.servers.delete(instance.server_id)  # the server went already
    db_api.instance_update(ctx, instance.id, {'volume_id': None})

    assert delete_instance.run(ctx, instance.id) is True
    assert delete_instance.run(ctx, instance.id) is True

    # The volume whose id was not recorded is found by its name.
    assert region.volumes.items == {}


def test_delete_failure_leaves_error_with_the_reason(
        cloud, make_instance, ctx, monkeypatch):
    instance = _built(ctx, make_instance)

    def refuse(volume_id):
        raise RuntimeError('cinder is down')
    monkeypatch.setattr(cloud['RegionTwo'].volumes, 'delete', refuse)

    assert delete_instance.run(ctx, instance.id) is False

    failed = db_api.instance_get(ctx, instance.id)
    assert failed.task_status == states.TASK_ERROR
    # The tenant reads the kind of failure; admins read why.
    assert 'cinder is down' in failed.fault_details
    assert 'cinder is down' not in failed.fault_message


def test_restart_goes_through_rebooting_back_to_none(
        cloud, make_instance, ctx):
    instance = _built(ctx, make_instance)

    assert restart_instance.run(ctx, instance.id) is True

    assert db_api.instance_get(ctx, instance.id).task_status == \
        states.TASK_NONE
    assert FakeGuest.calls[-1][:2] == ('restart', instance.id)


def test_restart_without_running_heartbeat_ends_in_error(
        cloud, make_instance, ctx):
    instance = _built(ctx, make_instance)
    FakeGuest.behaviour = 'silent'
    restart_instance.CONF.set_override('agent_call_high_timeout', 1)
    try:
        assert restart_instance.run(ctx, instance.id) is False
    finally:
        restart_instance.CONF.clear_override('agent_call_high_timeout')

    failed = db_api.instance_get(ctx, instance.id)
    assert failed.task_status == states.TASK_ERROR
    assert failed.fault_message.startswith('Restart failed')


def test_quota_comes_back_once_however_often_a_failed_delete_is_retried(
        cloud, make_instance, ctx, monkeypatch):
    instance = _built(ctx, make_instance)
    # As the API does: the cell's mapping and the instance's.
    cell = api_db.region_mapping_create(ctx, 'RegionOne', 'rabbit://h//',
                                        'sqlite://')
    api_db.instance_mapping_create(ctx, instance.id, cell.uuid,
                                   instance.tenant_id)
    api_db.quota_reserve(ctx, instance.tenant_id, 'instances', 1, 10)
    api_db.quota_reserve(ctx, instance.tenant_id, 'volumes',
                         instance.volume_size, 100)
    volumes = cloud['RegionTwo'].volumes
    real_delete = volumes.delete

    def refuse(volume_id):
        raise RuntimeError('cinder is down')
    monkeypatch.setattr(volumes, 'delete', refuse)
    assert delete_instance.run(ctx, instance.id) is False
    usage = api_db.quota_usage_get_all(ctx, instance.tenant_id)
    assert usage['instances'] == 1  # nothing given back for a failure

    monkeypatch.setattr(volumes, 'delete', real_delete)
    assert delete_instance.run(ctx, instance.id) is True
    assert delete_instance.run(ctx, instance.id) is True
    assert api_db.quota_usage_get_all(ctx, instance.tenant_id) == {
        'instances': 0, 'volumes': 0}


def _wait_build_over(monkeypatch, building, build_over_by):
    from trove_mr.flows import common
    from trove_mr.flows import engine
    monkeypatch.setattr(engine, 'jobboard_enabled', lambda: True)
    monkeypatch.setattr(engine, 'building_ids', lambda: set(building))
    task = delete_instance.WaitBuildOver()
    try:
        task.execute(None, 'inst-1', build_over_by)
    except common.NotReady:
        return 'waits'
    return 'goes on'


def test_a_delete_waits_for_the_build_of_its_instance_to_end(monkeypatch):
    import time
    later = time.time() + 60
    # A job still builds the instance: the delete waits...
    assert _wait_build_over(monkeypatch, {'inst-1'}, later) == 'waits'
    # ...not for builds of other instances...
    assert _wait_build_over(monkeypatch, {'inst-2'}, later) == 'goes on'
    # ...and not for ever.
    assert _wait_build_over(monkeypatch, {'inst-1'},
                            time.time() - 1) == 'goes on'


def test_builds_on_the_board_are_the_jobs_leased_instances():
    from trove_mr.flows import engine

    class Job:
        def __init__(self, details):
            self.details = details

    class Board:
        def iterjobs(self, ensure_fresh=False, only_unclaimed=False):
            return iter([Job({'operation': 'trove.instance.create',
                              'resource_id': 'a', 'lease_ids': ['a']}),
                         Job({'operation': 'trove.instance.delete',
                              'resource_id': 'b'}),
                         Job({'operation': 'trove.cluster.create',
                              'resource_id': 'c',
                              'lease_ids': ['c1', 'c2']})])

        def find_owner(self, job):
            return None

    assert engine.building_ids(Board()) == {'a', 'c1', 'c2'}
