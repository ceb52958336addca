"""Recovery of abandoned builds, build leases, and Nova reconciliation."""

import datetime

from tests.unit.taskmanager.conftest import placement_for
from trove_mr.common import cfg
from trove_mr.common import states
from trove_mr.db import rows
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import create_instance
from trove_mr.taskmanager import recovery

CONF = cfg.CONF


def _expire_lease(ctx, instance_id):
    stale = rows.now() - datetime.timedelta(
        seconds=CONF.build_lease_expiry + 1)
    db_api.instance_update(ctx, instance_id, {'task_updated': stale})


def _orphans(cloud, region, instance_id):
    """A volume and a server of a build cut short, ids never recorded."""
    fake = cloud[region]
    volume = fake.volumes.create(1, name=common.resource_name(instance_id))
    server = fake.servers.create(common.resource_name(instance_id), 'i',
                                 'f', block_device_mapping_v2=[
                                     {'uuid': volume.id}])
    return server, volume


def test_live_lease_of_another_process_of_this_host_is_left_alone(
        cloud, make_instance, ctx):
    # Several taskmanagers run on one host: another boot id's fresh
    # lease is a live process's build, not an abandoned one.
    instance = make_instance('RegionTwo')
    assert db_api.instance_lease_take(ctx, instance.id, 'tm-1:otherboot',
                                     states.TASK_BUILDING, None)
    keeper = recovery.LeaseKeeper(ctx, 'tm-1:newboot')

    assert recovery.recover_abandoned_builds(ctx, keeper) == []
    assert db_api.instance_get(ctx, instance.id).task_status == \
        states.TASK_BUILDING


def test_build_of_a_dead_process_of_this_host_is_cleaned_up(
        cloud, make_instance, ctx):
    instance = make_instance('RegionTwo')
    assert db_api.instance_lease_take(ctx, instance.id, 'tm-1:oldboot',
                                     states.TASK_BUILDING, None)
    _expire_lease(ctx, instance.id)
    _orphans(cloud, 'RegionTwo', instance.id)
    keeper = recovery.LeaseKeeper(ctx, 'tm-1:newboot')

    assert recovery.recover_abandoned_builds(ctx, keeper) == [instance.id]

    failed = db_api.instance_get(ctx, instance.id)
    assert failed.task_status == states.TASK_ERROR
    assert 'interrupted' in failed.fault_message
    assert cloud['RegionTwo'].servers.items == {}
    assert cloud['RegionTwo'].volumes.items == {}


def test_live_lease_of_another_host_is_left_alone_until_it_expires(
        cloud, make_instance, ctx):
    instance = make_instance()
    db_api.instance_lease_take(ctx, instance.id, 'tm-2:boot',
                              states.TASK_BUILDING, None)
    keeper = recovery.LeaseKeeper(ctx, 'tm-1:boot')

    assert recovery.recover_abandoned_builds(ctx, keeper) == []
    assert db_api.instance_get(ctx, instance.id).task_status == \
        states.TASK_BUILDING

    stale = rows.now() - datetime.timedelta(
        seconds=CONF.build_lease_expiry + 1)
    db_api.instance_update(ctx, instance.id, {'task_updated': stale})
    assert recovery.recover_abandoned_builds(ctx, keeper) == [instance.id]


def test_unclaimed_build_waits_until_usage_timeout(cloud, make_instance,
                                                   ctx):
    fresh = make_instance()
    old = make_instance(created=rows.now() - datetime.timedelta(
        seconds=CONF.usage_timeout + CONF.build_lease_expiry + 1))
    keeper = recovery.LeaseKeeper(ctx, 'tm-1:boot')

    assert recovery.recover_abandoned_builds(ctx, keeper) == [old.id]
    assert db_api.instance_get(ctx, fresh.id).task_status == \
        states.TASK_BUILDING


def test_own_build_in_progress_is_not_recovered_and_lease_is_renewed(
        cloud, make_instance, ctx):
    instance = make_instance()
    keeper = recovery.LeaseKeeper(ctx, 'tm-1:boot')
    keeper.stop()  # renew by hand only
    with keeper.hold(ctx, instance.id) as taken:
        assert taken
        assert recovery.recover_abandoned_builds(ctx, keeper) == []
        before = db_api.instance_get(ctx, instance.id).task_updated
        assert keeper.renew() == 1
        assert db_api.instance_get(ctx, instance.id).task_updated >= before
    # Held no more, yet still leased to us: a crash of the flow's thread.
    assert recovery.recover_abandoned_builds(ctx, keeper) == [instance.id]


def test_a_build_is_taken_by_one_taskmanager_only(cloud, make_instance,
                                                  ctx):
    instance = make_instance()
    first = recovery.LeaseKeeper(ctx, 'tm-1:boot')
    second = recovery.LeaseKeeper(ctx, 'tm-2:boot')
    with first.hold(ctx, instance.id) as taken_first:
        with second.hold(ctx, instance.id) as taken_second:
            assert (taken_first, taken_second) == (True, False)


def test_reconcile_marks_vanished_and_failed_servers_with_one_list_per_region(
        cloud, make_instance, ctx):
    instances = [make_instance(region) for region in
                 ('RegionOne', 'RegionOne', 'RegionTwo', 'RegionTwo')]
    for instance in instances:
        assert create_instance.run(ctx, instance,
                                   placement_for(instance.region_name), 'p')
    rows_ = [db_api.instance_get(ctx, i.id) for i in instances]
    cloud['RegionOne'].servers.delete(rows_[0].server_id)
    cloud['RegionTwo'].servers.items[rows_[2].server_id].status = 'ERROR'
    calls = {r: cloud[r].servers.list_calls for r in cloud}

    failed = recovery.reconcile_with_nova(ctx)

    assert sorted(failed) == sorted([rows_[0].id, rows_[2].id])
    assert {r: cloud[r].servers.list_calls - calls[r] for r in cloud} == {
        'RegionOne': 1, 'RegionTwo': 1}
    # Every page of servers, not Nova's first page only.
    assert all(cloud[r].servers.list_limits[-1] == -1 for r in cloud)
    assert 'vanished' in db_api.instance_get(ctx, rows_[0].id).fault_message
    assert db_api.instance_get(ctx, rows_[1].id).task_status == \
        states.TASK_NONE


def test_live_lease_of_a_long_restore_is_never_taken(cloud, make_instance,
                                                     ctx):
    """A peer renewing its lease keeps its build, however old."""
    restore = make_instance(created=rows.now() - datetime.timedelta(
        seconds=CONF.usage_timeout * 2))
    db_api.instance_update(ctx, restore.id, {
        'task_owner': 'tm-2:boot', 'task_updated': rows.now()})
    keeper = recovery.LeaseKeeper(ctx, 'tm-1:boot')
    keeper.stop()
    assert recovery.recover_abandoned_builds(ctx, keeper) == []
    assert db_api.instance_get(ctx, restore.id).task_status == \
        states.TASK_BUILDING


def _busy_cluster(ctx, task_name, age, version_id):
    task_id, description = states.CLUSTER_TASKS[task_name]
    cluster = db_api.cluster_create(ctx, {
        'name': 'c-%s' % task_name, 'tenant_id': ctx.project_id,
        'datastore_version_id': version_id,
        'task_id': task_id, 'task_name': task_name,
        'task_description': description})
    stamp = rows.now() - datetime.timedelta(seconds=age)
    db_api.cluster_update(ctx, cluster.id, {'created': stamp,
                                            'updated': stamp})
    return cluster


def test_cluster_left_busy_by_a_dead_taskmanager_becomes_failed(
        cloud, make_instance, ctx):
    old = CONF.usage_timeout + CONF.build_lease_expiry + 5
    version_id = make_instance().datastore_version_id
    stuck = _busy_cluster(ctx, 'GROWING_CLUSTER', old, version_id)
    fresh = _busy_cluster(ctx, 'BUILDING_INITIAL', 1, version_id)
    working = _busy_cluster(ctx, 'BUILDING_INITIAL', old, version_id)
    member = make_instance(cluster_id=working.id)
    db_api.instance_update(ctx, member.id, {
        'task_owner': 'tm-2:boot', 'task_updated': rows.now()})

    assert recovery.recover_stuck_clusters(ctx) == [stuck.id]
    assert db_api.cluster_get(ctx, stuck.id).task_name == 'FAILED'
    assert db_api.cluster_get(ctx, fresh.id).task_name == 'BUILDING_INITIAL'
    assert db_api.cluster_get(ctx, working.id).task_name == \
        'BUILDING_INITIAL'


def _busy(ctx, make_instance, task, age, **values):
    instance = make_instance(task_status=task, **values)
    stamp = rows.now() - datetime.timedelta(seconds=age)
    db_api.instance_update(ctx, instance.id, {'updated': stamp})
    return instance


def _board(monkeypatch, open_ids, enabled=True):
    monkeypatch.setattr(recovery.flow_engine, 'jobboard_enabled',
                        lambda: enabled)
    monkeypatch.setattr(recovery.flow_engine, 'open_resource_ids',
                        lambda *a, **k: set(open_ids))


def test_operations_whose_job_left_the_board_are_ended(
        monkeypatch, cloud, make_instance, ctx):
    old = CONF.build_lease_expiry + CONF.taskmanager_submit_timeout + 5
    lost = _busy(ctx, make_instance, states.TASK_RESIZING, old)
    running = _busy(ctx, make_instance, states.TASK_UPGRADING, old)
    fresh = _busy(ctx, make_instance, states.TASK_CONFIGURING, 1)
    backing = _busy(ctx, make_instance, states.TASK_BACKING_UP, old)
    backup = db_api.backup_create(ctx, {
        'name': 'b', 'tenant_id': ctx.project_id, 'instance_id': backing.id,
        'state': 'BUILDING', 'region_name': 'RegionOne'})
    backing_with_job = _busy(ctx, make_instance, states.TASK_BACKING_UP, old)
    other = db_api.backup_create(ctx, {
        'name': 'b2', 'tenant_id': ctx.project_id,
        'instance_id': backing_with_job.id, 'state': 'NEW',
        'region_name': 'RegionOne'})
    _board(monkeypatch, {running.id, other.id})

    acted = recovery.recover_lost_operations(ctx)

    assert sorted(acted) == sorted([lost.id, backing.id])
    failed = db_api.instance_get(ctx, lost.id)
    assert failed.task_status == states.TASK_ERROR
    assert 'resize' in failed.fault_message
    assert db_api.instance_get(ctx, running.id).task_status == \
        states.TASK_UPGRADING
    assert db_api.instance_get(ctx, fresh.id).task_status == \
        states.TASK_CONFIGURING
    assert db_api.instance_get(ctx, backing.id).task_status == \
        states.TASK_NONE
    assert db_api.backup_get(ctx, backup.id).state == 'FAILED'
    assert db_api.instance_get(ctx, backing_with_job.id).task_status == \
        states.TASK_BACKING_UP
    assert db_api.backup_get(ctx, other.id).state == 'NEW'


def test_no_operation_is_judged_without_a_persistent_jobboard(
        monkeypatch, cloud, make_instance, ctx):
    old = CONF.build_lease_expiry + CONF.taskmanager_submit_timeout + 5
    lost = _busy(ctx, make_instance, states.TASK_RESIZING, old)
    _board(monkeypatch, set(), enabled=False)
    assert recovery.recover_lost_operations(ctx) == []
    assert db_api.instance_get(ctx, lost.id).task_status == \
        states.TASK_RESIZING
