"""The admin migrate flow against fake Nova and guest."""

import pytest

from tests.unit.taskmanager.conftest import FakeGuest
from tests.unit.taskmanager.conftest import placement_for
from tests.unit.taskmanager.test_resize_flow import NovaResize
from tests.unit.taskmanager.test_resize_flow import ResizeGuest
from trove_mr.common import clients
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import create_instance
from trove_mr.flows import engine
from trove_mr.flows import migrate
from trove_mr.guestagent import rpcapi as guest_rpcapi

HOST = migrate.HOST_ATTR


class NovaMigrate(NovaResize):
    """Nova's cold migration on the fake servers: another host, then
    VERIFY_RESIZE (or Nova's refusal of an unknown host)."""

    hosts = ('host-a', 'host-b')

    def migrate(self, server_id, host=None):
        self.calls.append(('migrate', server_id, host))
        server = self.servers.get(server_id)
        if host is not None and host not in self.hosts:
            raise RuntimeError('Compute host %s could not be found.' % host)
        server.old_flavor = server.flavor
        server.old_host = getattr(server, HOST)
        setattr(server, HOST, host or next(
            h for h in self.hosts if h != server.old_host))
        server.status = 'VERIFY_RESIZE'

    def revert_resize(self, server_id):
        super().revert_resize(server_id)
        server = self.servers.get(server_id)
        setattr(server, HOST, server.old_host)


@pytest.fixture
def migrating(cloud, make_instance, ctx, monkeypatch):
    """An instance in RegionTwo on host-a, built and now MIGRATING."""
    monkeypatch.setattr(guest_rpcapi, 'GuestAgentAPI', ResizeGuest)
    region = cloud['RegionTwo']
    nova = NovaMigrate(region.servers)
    for name in ('migrate', 'confirm_resize', 'revert_resize'):
        monkeypatch.setattr(region.servers, name, getattr(nova, name),
                            raising=False)
    monkeypatch.setattr(clients, 'create_nova_client_at',
                        lambda context, region_name, version: region)
    instance = make_instance('RegionTwo', flavor_id='7')
    assert create_instance.run(ctx, instance, placement_for('RegionTwo'),
                               'pw')
    server = region.servers.get(
        db_api.instance_get(ctx, instance.id).server_id)
    server.flavor = {'id': '7'}
    setattr(server, HOST, 'host-a')
    db_api.instance_update(ctx, instance.id,
                           {'task_status': states.TASK_MIGRATING})
    FakeGuest.calls = []
    return db_api.instance_get(ctx, instance.id), nova, server


def _run(ctx, instance, host=None):
    engine.run_here(ctx, migrate.get_flow, migrate.store(
        instance, {'id': '7', 'name': '7'}, host, old_host='host-a'))


def test_migrate_stops_redis_moves_confirms_and_starts_it(migrating, ctx):
    instance, nova, server = migrating
    assert states.display_status(states.TASK_MIGRATING,
                                 states.SERVICE_RUNNING) == 'MIGRATE'

    _run(ctx, instance, 'host-b')

    assert [c[0] for c in nova.calls] == ['migrate', 'confirm']
    assert (server.status, getattr(server, HOST)) == ('ACTIVE', 'host-b')
    assert [c[0] for c in FakeGuest.calls] == ['stop', 'restart']
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_NONE
    assert row.server_id == instance.server_id


def test_migrate_run_again_after_nova_moved_it_does_not_move_twice(
        migrating, ctx):
    instance, nova, server = migrating
    # A taskmanager died after Nova took the migration: the job runs again.
    nova.migrate(instance.server_id)
    nova.calls.clear()
    _run(ctx, instance)
    assert [c[0] for c in nova.calls] == ['confirm']
    assert getattr(server, HOST) == 'host-b'
    assert db_api.instance_get(ctx, instance.id).task_status == \
        states.TASK_NONE


def test_a_host_nova_refuses_leaves_the_instance_active_with_the_fault(
        migrating, ctx):
    instance, nova, server = migrating
    with pytest.raises(Exception, match='could not be found'):
        _run(ctx, instance, 'host-x')
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_NONE
    assert row.fault_message.startswith('Migration failed: ')
    assert 'host-x' in row.fault_details
    assert getattr(server, HOST) == 'host-a'
    # Redis was stopped for the move and started again by the revert.
    assert [c[0] for c in FakeGuest.calls] == ['stop', 'restart']


def test_a_move_to_the_host_it_is_on_fails_before_redis_stops(
        migrating, ctx):
    instance, nova, server = migrating
    with pytest.raises(Exception, match='on host host-a already'):
        _run(ctx, instance, 'host-a')
    assert nova.calls == []
    assert FakeGuest.calls == []
    row = db_api.instance_get(ctx, instance.id)
    assert row.task_status == states.TASK_NONE
    assert row.fault_message.startswith('Migration failed: ')


def test_the_job_records_the_host_the_server_left(migrating, ctx):
    instance, _nova, server = migrating
    assert migrate.server_host(ctx, instance) == 'host-a'
    setattr(server, HOST, 'host-b')
    assert migrate.server_host(ctx, instance) == 'host-b'
