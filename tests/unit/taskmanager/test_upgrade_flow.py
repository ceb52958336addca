"""The upgrade flow against fake clouds and guests, and its checks."""

import pytest

from tests.unit.taskmanager.conftest import FakeGuest
from tests.unit.taskmanager.conftest import Resource
from tests.unit.taskmanager.conftest import placement_for
from trove_mr.api.domain import upgrade as upgrade_domain
from trove_mr.cluster.redis.flows import upgrade as cluster_upgrade
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import create_instance
from trove_mr.flows import engine
from trove_mr.flows import upgrade as upgrade_flow
from trove_mr.guestagent import rpcapi as guest_rpcapi

TARGET_IMAGE = 'image-72'


class UpgradingGuest(FakeGuest):
    """A guest that stops, starts and reports the configured version."""

    reports = '7.2'

    def pre_upgrade(self):
        FakeGuest.calls.append(('pre_upgrade', self.instance_id))
        self._report(states.SERVICE_SHUTDOWN)
        return {'datastore_version': '7.0'}

    def post_upgrade(self):
        FakeGuest.calls.append(('post_upgrade', self.instance_id))
        self._report(states.SERVICE_RUNNING)
        return {'datastore_version': UpgradingGuest.reports,
                'image_version': UpgradingGuest.reports}


@pytest.fixture
def upgrading(cloud, monkeypatch):
    """Servers that rebuild at once; the API's decision taken as is."""
    rebuilds = []

    def rebuild(server_id, image, userdata=None):
        server = cloud['RegionTwo'].servers.get(server_id)
        server.image = {'id': image}
        rebuilds.append((server_id, image, userdata))
        return server

    for region in cloud.values():
        region.servers.rebuild = rebuild
    monkeypatch.setattr(clients, 'create_nova_client_at',
                        lambda context, region_name, version:
                        cloud[region_name])
    monkeypatch.setattr(regions, 'recheck_placement',
                        lambda context, payload, version=None: payload)
    monkeypatch.setattr(guest_rpcapi, 'GuestAgentAPI', UpgradingGuest)
    UpgradingGuest.reports = '7.2'
    return rebuilds


def _built_with_target(ctx, make_instance):
    instance = make_instance('RegionTwo')
    assert create_instance.run(ctx, instance, placement_for('RegionTwo'),
                               'pw')
    target = db_api.datastore_version_create(ctx, 'redis', {
        'name': '7.2', 'manager': 'redis',
        'image_name': 'trove-mr-redis-7.2'})
    return db_api.instance_get(ctx, instance.id), target


def _upgrade(target):
    placement = dict(placement_for('RegionTwo'), image_id=TARGET_IMAGE)
    return {'version_id': target.id, 'version_name': target.name,
            'placement': placement}


def _run(ctx, instance_id, upgrade):
    db_api.instance_update(ctx, instance_id,
                           {'task_status': states.TASK_UPGRADING})
    try:
        engine.run_here(ctx, upgrade_flow.get_flow,
                        upgrade_flow.instance_store(instance_id, upgrade))
    except Exception:  # noqa: BLE001 - the row says what happened
        return False
    return True


def _server(cloud, instance):
    return cloud['RegionTwo'].servers.get(instance.server_id)


def test_upgrade_rebuilds_with_the_target_config_and_records_version(
        cloud, upgrading, make_instance, ctx):
    instance, target = _built_with_target(ctx, make_instance)
    _server(cloud, instance).image = {'id': 'image-1'}

    assert _run(ctx, instance.id, _upgrade(target))

    ((server_id, image, userdata),) = upgrading
    assert (server_id, image) == (instance.server_id, TARGET_IMAGE)
    # The guest's configuration is given again, naming the new version.
    assert 'datastore_version = 7.2' in userdata
    assert [c[0] for c in FakeGuest.calls[-2:]] == ['pre_upgrade',
                                                    'post_upgrade']
    row = db_api.instance_get(ctx, instance.id)
    assert row.datastore_version_id == target.id
    assert row.task_status == states.TASK_NONE
    assert row.server_id == instance.server_id


def test_upgrade_run_again_neither_stops_nor_rebuilds_twice(
        cloud, upgrading, make_instance, ctx):
    instance, target = _built_with_target(ctx, make_instance)
    _server(cloud, instance).image = {'id': 'image-1'}
    assert _run(ctx, instance.id, _upgrade(target))
    calls = len(FakeGuest.calls)

    # As a taskmanager that died after the rebuild would leave it.
    assert _run(ctx, instance.id, _upgrade(target))

    assert len(upgrading) == 1
    assert [c[0] for c in FakeGuest.calls[calls:]] == ['post_upgrade']
    assert db_api.instance_get(ctx, instance.id).task_status == \
        states.TASK_NONE


def test_guest_on_another_version_after_rebuild_is_error_with_fault(
        cloud, upgrading, make_instance, ctx):
    instance, target = _built_with_target(ctx, make_instance)
    _server(cloud, instance).image = {'id': 'image-1'}
    UpgradingGuest.reports = '7.0'

    assert not _run(ctx, instance.id, _upgrade(target))

    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_ERROR
    assert 'runs datastore version 7.0 after the rebuild, not 7.2' in \
        row.fault_details
    assert row.datastore_version_id == instance.datastore_version_id


def test_a_rebuild_posted_before_the_rebuilding_task_still_ends(
        cloud, rebuilding, make_instance, ctx, monkeypatch):
    """The previous release moved a rebuild's instance to UPGRADING: its
    job, resumed by this one, ends it all the same."""
    instance, _target = _built_with_target(ctx, make_instance)
    _server(cloud, instance).image = {'id': 'image-1'}
    monkeypatch.setattr(UpgradingGuest, 'reports',
                        instance.datastore_version.name)
    assert _rebuild(ctx, instance, 'image-1', task=states.TASK_UPGRADING)
    assert db_api.instance_get(ctx, instance.id).task_status == \
        states.TASK_NONE


@pytest.mark.parametrize('admin_rebuild', [False, True])
def test_server_failing_its_rebuild_is_error_with_nova_fault(
        cloud, rebuilding, make_instance, ctx, admin_rebuild):
    """An upgrade's, or an admin's rebuild of the image it runs."""
    instance, target = _built_with_target(ctx, make_instance)
    server = _server(cloud, instance)
    server.image = {'id': 'image-1'}
    region = cloud['RegionTwo']

    def failing_rebuild(server_id, image, userdata=None):
        server.status = 'ERROR'
        server.fault = {'message': 'no valid host'}
    region.servers.rebuild = failing_rebuild

    if admin_rebuild:
        assert not _rebuild(ctx, instance, 'image-1')
    else:
        assert not _run(ctx, instance.id, _upgrade(target))

    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_ERROR
    assert 'no valid host' in row.fault_details


def _rebuild(ctx, instance, image, task=states.TASK_REBUILDING):
    """Run an admin's rebuild of ``instance`` from ``image`` (task
    REBUILDING, as the API leaves it); whether it succeeded."""
    version = instance.datastore_version
    upgrade = {'version_id': version.id, 'version_name': version.name,
               'placement': dict(placement_for('RegionTwo'),
                                 image_id=image, rebuild=True)}
    db_api.instance_update(ctx, instance.id, {'task_status': task})
    try:
        engine.run_here(ctx, upgrade_flow.get_flow,
                        upgrade_flow.instance_store(instance.id, upgrade))
    except Exception:  # noqa: BLE001 - the row says what happened
        return False
    return True


@pytest.fixture
def rebuilding(upgrading, monkeypatch):
    """``upgrading``, and every image active in its region."""
    monkeypatch.setattr(regions, 'image_in_region',
                        lambda context, region, image: {
                            'id': image, 'status': 'active'})
    return upgrading


def test_admin_rebuild_shows_rebuild_and_rebuilds_even_the_same_image(
        cloud, rebuilding, make_instance, ctx, monkeypatch):
    instance, _target = _built_with_target(ctx, make_instance)
    _server(cloud, instance).image = {'id': 'image-1'}
    monkeypatch.setattr(UpgradingGuest, 'reports',
                        instance.datastore_version.name)
    assert states.next_task(states.TASK_NONE, 'rebuild') == \
        states.TASK_REBUILDING
    assert states.display_status(states.TASK_REBUILDING,
                                 states.SERVICE_RUNNING) == 'REBUILD'

    assert _rebuild(ctx, instance, 'image-1')

    ((server_id, image, _userdata),) = rebuilding
    assert (server_id, image) == (instance.server_id, 'image-1')
    assert [c[0] for c in FakeGuest.calls[-2:]] == ['pre_upgrade',
                                                    'post_upgrade']
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_NONE
    assert row.datastore_version_id == instance.datastore_version_id


def test_target_version_checks(ctx, make_instance):
    instance = make_instance()
    current = instance.datastore_version
    db_api.datastore_version_create(ctx, 'redis', {
        'name': '7.2', 'manager': 'redis', 'image_name': 'i72'})
    db_api.datastore_version_create(ctx, 'redis', {
        'name': '6.2', 'manager': 'redis', 'image_name': 'i62',
        'active': False})
    db_api.datastore_update(ctx, 'other')
    db_api.datastore_version_create(ctx, 'other', {
        'name': '1.0', 'manager': 'redis', 'image_name': 'o'})
    field = 'instance.datastore_version'

    found = upgrade_domain.target_version(ctx, current, '7.2', field)
    assert found.name == '7.2'
    assert upgrade_domain.target_version(ctx, current, found.id,
                                         field).id == found.id
    with pytest.raises(exceptions.DatastoreVersionNotFound):
        upgrade_domain.target_version(ctx, current, '9.9', field)
    with pytest.raises(exceptions.BadRequest, match='already'):
        upgrade_domain.target_version(ctx, current, '7.0', field)
    with pytest.raises(exceptions.BadRequest, match='not active'):
        upgrade_domain.target_version(ctx, current, '6.2', field)
    with pytest.raises(exceptions.BadRequest, match="datastore 'other'"):
        upgrade_domain.target_version(ctx, current, '1.0', field)


def test_cluster_upgrade_order_is_replicas_first_then_masters():
    members = [Resource(id='m1', type='master', related_to=None),
               Resource(id='r1', type='slave', related_to='m1'),
               Resource(id='m2', type=None, related_to=None),
               Resource(id='r2', type='slave', related_to='m2')]
    assert cluster_upgrade.upgrade_order(members) == ['r1', 'r2', 'm1',
                                                      'm2']


def test_cluster_store_gives_each_member_its_region_decision():
    upgrades = {'version_id': 'v72', 'version_name': '7.2',
                'placements': {'a': placement_for('RegionOne'),
                               'b': placement_for('RegionTwo')}}
    store = cluster_upgrade.cluster_store('c1', ['b', 'a'], upgrades)
    assert store['member0-instance_id'] == 'b'
    assert store['member0-upgrade']['placement']['region_name'] == \
        'RegionTwo'
    assert store['member1-upgrade']['version_name'] == '7.2'
    assert store['cluster_task'] == 'UPGRADING_CLUSTER'
    flow = cluster_upgrade.get_flow(2)
    names = [node.name for node, _ in flow.iter_nodes()]
    assert names[0].endswith('ClusterFailedOnRevert')
    assert names[1] == 'member0-upgrade-instance'
    assert names[-1].endswith('EndClusterUpgrade')


def test_upgrade_states():
    assert states.next_task(states.TASK_NONE, 'upgrade') == \
        states.TASK_UPGRADING
    assert states.display_status(states.TASK_UPGRADING,
                                 states.SERVICE_RUNNING) == 'UPGRADE'
    with pytest.raises(exceptions.Conflict):
        states.next_task(states.TASK_UPGRADING, 'upgrade')
    with pytest.raises(exceptions.Conflict):
        states.next_task(states.TASK_BUILDING, 'upgrade')
