"""Flavor and volume resize flows against fake Nova, Cinder and guest."""

import pytest

from tests.unit.taskmanager.conftest import FakeGuest
from tests.unit.taskmanager.conftest import placement_for
from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import notifications
from trove_mr.common import states
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api
from trove_mr.flows import create_instance
from trove_mr.flows import engine
from trove_mr.flows import resize
from trove_mr.guestagent import rpcapi as guest_rpcapi

CONF = cfg.CONF
MB = 1024 * 1024
OLD = {'id': '1', 'name': 'm1.tiny', 'ram': 512, 'vcpus': 1, 'disk': 1}
NEW = {'id': '7', 'name': 'm1.redis', 'ram': 1024, 'vcpus': 1, 'disk': 5}


class ResizeGuest(FakeGuest):
    """The guest as a resize sees it: memory figures, restart, resize_fs.
    """

    memory_used = 10 * MB

    def get_status(self, timeout=None):
        answer = super().get_status(timeout)
        answer['memory_used'] = ResizeGuest.memory_used
        return answer

    def restart(self):
        super().restart()
        return {'status': 'running'}

    def resize_fs(self, volume_size):
        FakeGuest.calls.append(('resize_fs', self.instance_id, volume_size))
        return {'volume_size': volume_size, 'grown': False, 'device': None}


class NovaResize:
    """Nova's resize actions on the fake servers of one region."""

    def __init__(self, servers, outcome='VERIFY_RESIZE'):
        self.servers = servers
        self.outcome = outcome
        self.calls = []

    def resize(self, server_id, flavor_id):
        self.calls.append(('resize', server_id, flavor_id))
        server = self.servers.get(server_id)
        server.old_flavor = server.flavor
        if self.outcome == 'VERIFY_RESIZE':
            server.flavor = {'id': flavor_id}
            server.status = 'VERIFY_RESIZE'
        else:  # Nova failed the migration: back on the old flavor
            server.status = 'ACTIVE'
            server.fault = {'message': 'No valid host was found.'}

    def confirm_resize(self, server_id):
        self.calls.append(('confirm', server_id))
        self.servers.get(server_id).status = 'ACTIVE'

    def revert_resize(self, server_id):
        self.calls.append(('revert', server_id))
        server = self.servers.get(server_id)
        server.flavor, server.status = server.old_flavor, 'ACTIVE'


@pytest.fixture
def resizing(cloud, make_instance, ctx, monkeypatch):
    """An instance of flavor OLD in RegionTwo, built and now RESIZING."""
    monkeypatch.setattr(guest_rpcapi, 'GuestAgentAPI', ResizeGuest)
    ResizeGuest.memory_used = 10 * MB
    region = cloud['RegionTwo']
    nova = NovaResize(region.servers)
    for name in ('resize', 'confirm_resize', 'revert_resize'):
        monkeypatch.setattr(region.servers, name, getattr(nova, name),
                            raising=False)
    monkeypatch.setattr(clients, 'create_cinder_client_at',
                        lambda context, region_name, version: region)
    instance = make_instance('RegionTwo', flavor_id=OLD['id'])
    assert create_instance.run(ctx, instance, placement_for('RegionTwo'),
                               'pw')
    region.servers.get(db_api.instance_get(ctx, instance.id).server_id) \
        .flavor = {'id': OLD['id']}
    db_api.instance_update(ctx, instance.id,
                           {'task_status': states.TASK_RESIZING})
    FakeGuest.calls = []
    return db_api.instance_get(ctx, instance.id), nova, region


def _run_flavor(ctx, instance, flavor=NEW):
    engine.run_here(ctx, resize.flavor_flow,
                    resize.flavor_store(instance, flavor))


def _guest_calls():
    return [call[0] for call in FakeGuest.calls]


def test_flavor_resize_stops_redis_resizes_confirms_and_starts_it(
        resizing, ctx):
    instance, nova, region = resizing
    _run_flavor(ctx, instance)
    row = db_api.instance_get(ctx, instance.id)
    assert row.flavor_id == NEW['id']
    assert row.task_status == states.TASK_NONE
    assert [c[0] for c in nova.calls] == ['resize', 'confirm']
    assert nova.calls[0][2] == NEW['id']
    server = region.servers.get(instance.server_id)
    assert (server.status, server.flavor) == ('ACTIVE', {'id': NEW['id']})
    assert _guest_calls() == ['stop', 'restart']


def test_flavor_resize_run_again_after_nova_resized_does_not_resize_twice(
        resizing, ctx):
    instance, nova, region = resizing
    # A taskmanager died after Nova took the resize: the job runs again.
    nova.resize(instance.server_id, NEW['id'])
    nova.calls.clear()
    _run_flavor(ctx, instance)
    assert [c[0] for c in nova.calls] == ['confirm']
    assert db_api.instance_get(ctx, instance.id).flavor_id == NEW['id']


def test_flavor_resize_nova_fails_leaves_instance_active_on_old_flavor(
        resizing, ctx):
    instance, nova, region = resizing
    nova.outcome = 'fail'
    with pytest.raises(Exception, match='did not resize'):
        _run_flavor(ctx, instance)
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_NONE
    assert row.flavor_id == OLD['id']
    assert 'No valid host' in row.fault_details
    assert row.fault_message.startswith('Resize failed: ')
    # Redis was stopped for the reboot and started again by the revert.
    assert _guest_calls() == ['stop', 'restart']


def test_flavor_resize_reverts_nova_when_the_guest_fails_to_come_back(
        resizing, ctx, monkeypatch):
    instance, nova, region = resizing

    def confirm_fails(server_id):
        raise RuntimeError('confirm refused')
    monkeypatch.setattr(region.servers, 'confirm_resize', confirm_fails)
    with pytest.raises(RuntimeError):
        _run_flavor(ctx, instance)
    assert [c[0] for c in nova.calls] == ['resize', 'revert']
    server = region.servers.get(instance.server_id)
    assert server.flavor == {'id': OLD['id']}
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_NONE
    assert 'confirm refused' in row.fault_details


def test_flavor_resize_refuses_data_larger_than_the_new_limit(
        resizing, ctx):
    instance, nova, _region = resizing
    ResizeGuest.memory_used = 700 * MB  # more than 75% of 512 MB
    with pytest.raises(Exception, match='less than the 700.0 MB'):
        _run_flavor(ctx, instance, OLD)
    assert nova.calls == [] and _guest_calls() == []
    assert db_api.instance_get(ctx, instance.id).task_status == \
        states.TASK_NONE


def test_flavor_resize_is_error_when_redis_does_not_run_again(
        resizing, ctx):
    instance, nova, _region = resizing
    nova.outcome = 'fail'
    FakeGuest.behaviour = 'fails'
    with pytest.raises(Exception, match='did not resize'):
        _run_flavor(ctx, instance)
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_ERROR
    assert row.fault_message.startswith('Resize failed')


def _extend(region):
    def extend(volume_id, new_size):
        region.volumes.get(volume_id).size = new_size
    return extend


def _run_volume(ctx, instance, size):
    engine.run_here(ctx, resize.volume_flow,
                    resize.volume_store(instance, size))


def test_volume_resize_extends_records_and_grows_the_filesystem(
        resizing, ctx, monkeypatch):
    instance, _nova, region = resizing
    monkeypatch.setattr(region.volumes, 'extend', _extend(region),
                        raising=False)
    api_db.quota_reserve(ctx, instance.tenant_id, 'volumes', 3, None)
    _run_volume(ctx, instance, 3)
    row = db_api.instance_get(ctx, instance.id)
    assert row.volume_size == 3 and row.task_status == states.TASK_NONE
    assert region.volumes.get(instance.volume_id).size == 3
    assert FakeGuest.calls[-1] == ('resize_fs', instance.id, 3)
    # The growth the API counted stays counted.
    assert api_db.quota_usage_get_all(ctx, instance.tenant_id)[
        'volumes'] == 3
    # Run again (a resumed job): nothing more is asked of Cinder.
    db_api.instance_update(ctx, instance.id,
                           {'task_status': states.TASK_RESIZING})
    monkeypatch.setattr(region.volumes, 'extend', None)
    _run_volume(ctx, instance, 3)
    assert db_api.instance_get(ctx, instance.id).volume_size == 3


def test_volume_resize_cinder_refuses_gives_the_growth_back(
        resizing, ctx, monkeypatch):
    instance, _nova, region = resizing

    def refuse(volume_id, new_size):
        raise RuntimeError('cinder refused the extend')
    monkeypatch.setattr(region.volumes, 'extend', refuse, raising=False)
    api_db.quota_reserve(ctx, instance.tenant_id, 'volumes', 3, None)
    with pytest.raises(RuntimeError):
        _run_volume(ctx, instance, 3)
    row = db_api.instance_get(ctx, instance.id)
    assert row.volume_size == 1 and row.task_status == states.TASK_NONE
    assert 'cinder refused' in row.fault_details
    assert api_db.quota_usage_get_all(ctx, instance.tenant_id)[
        'volumes'] == 1


@pytest.fixture
def sent(monkeypatch):
    """Notifications emitted, with the in-memory engine (no jobboard)."""
    events = []
    monkeypatch.setattr(notifications, 'enabled', lambda: True)
    monkeypatch.setattr(
        notifications, 'notify',
        lambda context, event_type, payload, priority='info',
        service='taskmanager': events.append((event_type, payload)))
    CONF.set_override('jobboard_backend', 'none', group='taskflow')
    yield events
    CONF.clear_override('jobboard_backend', group='taskflow')


def test_submitted_resizes_notify_modify_flavor_and_modify_volume(
        resizing, ctx, sent, monkeypatch):
    instance, _nova, region = resizing
    resize.submit_flavor(ctx, instance, NEW)
    assert [e for e, _ in sent] == ['trove.instance.modify_flavor.start',
                                    'trove.instance.modify_flavor.end']
    assert sent[-1][1]['instance_id'] == instance.id
    db_api.instance_update(ctx, instance.id,
                           {'task_status': states.TASK_RESIZING})
    monkeypatch.setattr(region.volumes, 'extend', _extend(region),
                        raising=False)
    del sent[:]
    resize.submit_volume(ctx, db_api.instance_get(ctx, instance.id), 2)
    assert [e for e, _ in sent] == ['trove.instance.modify_volume.start',
                                    'trove.instance.modify_volume.end']


def test_a_resized_replica_follows_its_master_again(
        resizing, ctx, make_instance, monkeypatch):
    instance, _nova, _region = resizing
    master = make_instance('RegionOne', task_status=states.TASK_NONE)
    db_api.instance_update(ctx, instance.id, {'replica_of_id': master.id})
    followed = []
    monkeypatch.setattr(
        resize.replica, 'follow',
        lambda context, replica_id, master_id: followed.append(
            (replica_id, master_id)))
    _run_flavor(ctx, db_api.instance_get(ctx, instance.id))
    assert followed == [(instance.id, master.id)]
    assert db_api.instance_get(ctx, instance.id).task_status == \
        states.TASK_NONE
