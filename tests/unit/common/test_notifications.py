"""Operation notifications: payloads, routing, and off by default."""

import datetime

import oslo_messaging as messaging
import pytest
from oslo_messaging import opts as messaging_opts
from oslo_messaging.notify import _impl_test

from tests.unit.db.conftest import ctx  # noqa: F401
from tests.unit.db.conftest import db_urls  # noqa: F401
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import notifications
from trove_mr.common import rpc
from trove_mr.db import cells
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
GROUP = 'oslo_messaging_notifications'


@pytest.fixture
def conf():
    """CONF with the notification options registered; reset after."""
    CONF([], project='trove-mr')
    # Registered by oslo.messaging once a transport is made; here so that
    # tests can override them before.
    CONF.register_opts(dict(messaging_opts.list_opts())[None])
    notifications.enabled()  # registers the notification options
    set_in_group = []

    def override(name, value, group=GROUP):
        CONF.set_override(name, value, group=group)
        set_in_group.append((name, group))

    yield override
    notifications.cleanup()
    for name, group in set_in_group:
        CONF.clear_override(name, group=group)


@pytest.fixture
def sent(conf):
    """Notifications recorded by oslo.messaging's ``test`` driver."""
    conf('driver', ['test'])
    conf('transport_url', 'fake:///notifications')
    _impl_test.reset()
    yield _impl_test.NOTIFICATIONS
    _impl_test.reset()


def _request_context(**kwargs):
    kwargs.setdefault('project_id', 'tenant-a')
    kwargs.setdefault('user_id', 'user-a')
    kwargs.setdefault('auth_token', 'secret-token')
    return trove_context.RequestContext(**kwargs)


# Off by default -------------------------------------------------------

def test_notify_without_a_driver_builds_no_transport(conf, monkeypatch):
    def no_transport(*args, **kwargs):
        raise AssertionError('a transport was built')

    monkeypatch.setattr(messaging, 'get_notification_transport',
                        no_transport)
    assert CONF[GROUP].driver == []
    assert not notifications.enabled()
    notifications.notify(_request_context(), 'trove.instance.create.start',
                         {'instance_id': 'i-1'})
    assert notifications._notifiers == {}


def test_noop_driver_counts_as_off(conf):
    conf('driver', ['noop'])
    assert not notifications.enabled()
    conf('driver', ['noop', 'messagingv2'])
    assert notifications.enabled()


# Sending ---------------------------------------------------------------

def test_notify_sends_event_priority_and_publisher(sent):
    context = _request_context()
    notifications.notify(context, 'trove.instance.create.start',
                         {'instance_id': 'i-1'})
    notifications.notify(context, 'trove.instance.create.error',
                         {'instance_id': 'i-1', 'fault': 'boom'},
                         priority='error')
    (ctxt1, first, prio1, _), (_, second, prio2, _) = sent
    assert (first['event_type'], prio1) == ('trove.instance.create.start',
                                            'INFO')
    assert (second['event_type'], prio2) == ('trove.instance.create.error',
                                             'ERROR')
    assert first['publisher_id'] == 'trove-mr-taskmanager.%s' % CONF.host
    assert first['payload'] == {'instance_id': 'i-1',
                                'server_type': 'taskmanager'}
    assert second['payload']['fault'] == 'boom'
    assert ctxt1['project_id'] == 'tenant-a'
    # The caller's token never reaches the notification bus.
    assert 'secret-token' not in repr(ctxt1)


def test_notify_names_the_sending_service(sent):
    notifications.notify(None, 'trove.instance.restart.end', {},
                         service='conductor')
    message = sent[0][1]
    assert message['publisher_id'].startswith('trove-mr-conductor.')
    assert message['payload']['server_type'] == 'conductor'


def test_notify_never_raises_on_a_broker_error(sent, monkeypatch, caplog):
    def broken(self, *args, **kwargs):
        raise messaging.MessageDeliveryFailure('broker is down')

    monkeypatch.setattr(messaging.Notifier, 'info', broken)
    notifications.notify(None, 'trove.instance.delete.end', {})
    assert 'Could not send notification trove.instance.delete.end' in \
        caplog.text


def test_notify_refuses_an_unknown_priority_without_raising(sent):
    notifications.notify(None, 'trove.instance.create.end', {},
                         priority='loud')
    assert sent == []


def test_topics_come_from_the_configuration(conf, monkeypatch):
    conf('driver', ['messagingv2'])
    conf('transport_url', 'fake:///notifications')
    conf('topics', ['notifications', 'trove_events'])
    seen = []
    monkeypatch.setattr(
        'oslo_messaging.transport.Transport._send_notification',
        lambda self, target, ctxt, message, version, retry=None:
            seen.append(target.topic))
    notifications.notify(None, 'trove.cluster.create.start', {})
    assert seen == ['notifications.info', 'trove_events.info']


# Which bus -------------------------------------------------------------

def test_a_context_targeted_at_a_cell_notifies_on_its_bus(conf):
    cell_ctx = _request_context()
    cell_ctx.cell_transport_url = 'fake:///cell-two'
    assert notifications.transport_url_for(_request_context()) is None
    assert notifications.transport_url_for(cell_ctx) == 'fake:///cell-two'
    # A bus set for notifications wins: the operator chose it.
    conf('transport_url', 'fake:///dedicated')
    assert notifications.transport_url_for(cell_ctx) is None


def test_one_notifier_per_bus_cached(conf):
    conf('driver', ['test'])
    cell_ctx = _request_context()
    cell_ctx.cell_transport_url = 'fake:///cell-two'
    CONF.set_override('transport_url', 'fake:///own')
    try:
        own = notifications.get_notifier(None)
        assert notifications.get_notifier(_request_context()).transport \
            is own.transport
        cell = notifications.get_notifier(cell_ctx)
        assert cell.transport is not own.transport
        assert notifications.get_notifier(cell_ctx).transport \
            is cell.transport
        assert set(notifications._notifiers) == {None, 'fake:///cell-two'}
    finally:
        CONF.clear_override('transport_url')


def test_target_cell_carries_the_cells_transport_url(ctx):  # noqa: F811
    mapping = type('Mapping', (), {
        'uuid': 'cell-2', 'name': 'RegionTwo',
        'transport_url': 'fake:///region-two',
        'database_connection': CONF.database.connection})()
    try:
        with cells.target_cell(ctx, mapping) as cctx:
            assert cctx.cell_transport_url == 'fake:///region-two'
            assert cctx.elevated().cell_transport_url == \
                'fake:///region-two'
        assert ctx.cell_transport_url is None
    finally:
        rpc.cleanup()


# Payloads --------------------------------------------------------------

@pytest.fixture
def version(ctx):  # noqa: F811
    db_api.datastore_create(ctx, {'name': 'redis'})
    return db_api.datastore_version_create(
        ctx, 'redis', {'name': '7.0', 'manager': 'redis',
                       'image_name': 'redis-7', 'default': True})


def test_instance_payload_has_upstream_trove_fields(ctx, version):  # noqa: F811
    created = datetime.datetime(2024, 5, 6, 7, 8, 9, 123)
    row = db_api.instance_create(ctx, {
        'name': 'db1', 'tenant_id': 'tenant-a', 'region_name': 'RegionTwo',
        'flavor_id': '7', 'volume_size': 2, 'volume_id': 'vol-1',
        'server_id': 'srv-1', 'datastore_version_id': version.id,
        'task_status': 'BUILDING', 'created': created})
    payload = notifications.instance_payload(row, user_id='user-a',
                                             instance_size=512)
    assert payload == {
        'instance_id': row.id, 'instance_name': 'db1', 'name': 'db1',
        'tenant_id': 'tenant-a', 'user_id': 'user-a',
        'region': 'RegionTwo', 'region_name': 'RegionTwo',
        'availability_zone': None, 'flavor_id': '7',
        'instance_type_id': '7', 'instance_type': None,
        'instance_size': 512, 'volume_size': 2, 'nova_volume_id': 'vol-1',
        'nova_instance_id': 'srv-1', 'state': 'build',
        'state_description': 'build', 'service_id': None,
        'datastore': 'redis', 'datastore_version': '7.0',
        'datastore_version_id': version.id, 'cluster_id': None,
        'replica_of': None, 'created_at': '2024-05-06T07:08:09Z',
        'launched_at': '2024-05-06T07:08:09Z', 'deleted_at': None}


def test_instance_state_follows_the_guest_once_no_task_runs(
        ctx, version):  # noqa: F811
    row = db_api.instance_create(ctx, {
        'tenant_id': 'tenant-a', 'datastore_version_id': version.id,
        'status': 'RUNNING'})
    assert notifications.instance_payload(row)['state'] == 'active'
    db_api.instance_update(ctx, row.id, {'task_status': 'DELETING'})
    row = db_api.instance_get(ctx, row.id)
    assert notifications.instance_payload(row)['state'] == 'shutdown'


def test_instance_payload_from_a_plain_dict():
    payload = notifications.instance_payload({
        'id': 'i-1', 'name': 'db1', 'tenant_id': 't', 'flavor_id': '3',
        'volume_size': 1, 'task_status': 'NONE', 'status': 'FAILED',
        'datastore': 'redis', 'datastore_version': '7.0',
        'deleted_at': datetime.datetime(2024, 1, 2, 3, 4, 5,
                                        tzinfo=datetime.timezone.utc)})
    assert payload['instance_id'] == 'i-1'
    assert payload['state'] == 'error'
    assert (payload['datastore'], payload['datastore_version']) == \
        ('redis', '7.0')
    # No region recorded: the control plane's own.
    assert payload['region'] == CONF.region_name
    assert payload['deleted_at'] == '2024-01-02T03:04:05Z'


def test_cluster_payload_counts_members_and_their_regions(
        ctx, version):  # noqa: F811
    cluster = db_api.cluster_create(ctx, {
        'name': 'c1', 'tenant_id': 'tenant-a', 'region_name': 'RegionOne',
        'datastore_version_id': version.id, 'task_id': 2,
        'task_name': 'BUILDING_INITIAL'})
    members = [{'region_name': 'RegionOne'}, {'region_name': 'RegionTwo'},
               {'region_name': 'RegionTwo'}]
    payload = notifications.cluster_payload(cluster, members)
    assert payload['cluster_id'] == cluster.id
    assert payload['cluster_name'] == 'c1'
    assert payload['tenant_id'] == 'tenant-a'
    assert payload['region'] == 'RegionOne'
    assert payload['regions'] == ['RegionOne', 'RegionTwo']
    assert payload['instance_count'] == 3
    assert (payload['datastore'], payload['datastore_version']) == \
        ('redis', '7.0')
    assert payload['state'] == 'building'
    assert payload['state_description'] == 'Building the initial cluster.'
    assert notifications.cluster_payload(cluster)['instance_count'] is None


def test_backup_payload(ctx):  # noqa: F811
    backup = db_api.backup_create(ctx, {
        'name': 'b1', 'tenant_id': 'tenant-a', 'instance_id': 'i-1',
        'region_name': 'RegionTwo', 'size': 1.5, 'state': 'COMPLETED'})
    payload = notifications.backup_payload(backup, user_id='user-a')
    assert {k: payload[k] for k in (
        'backup_id', 'backup_name', 'instance_id', 'tenant_id', 'user_id',
        'region', 'size', 'state')} == {
        'backup_id': backup.id, 'backup_name': 'b1', 'instance_id': 'i-1',
        'tenant_id': 'tenant-a', 'user_id': 'user-a',
        'region': 'RegionTwo', 'size': 1.5, 'state': 'completed'}
