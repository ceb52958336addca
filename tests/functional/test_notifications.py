"""Operation notifications over the real RabbitMQ.

A small flow runs with an OperationNotifier attached while an
oslo.messaging notification listener consumes topic ``notifications``, in
a virtual host of the test's own (notification queues have fixed names).
"""

import threading
import time

import oslo_messaging as messaging
import pytest
import taskflow.engines
from oslo_messaging import opts as messaging_opts
from taskflow import task
from taskflow.patterns import linear_flow

from tests.functional.rpc_fixtures import TRANSPORT_URL
from tests.functional.rpc_fixtures import rabbit_vhost  # noqa: F401
from tests.functional.rpc_fixtures import rabbitmqctl
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import notifications
from trove_mr.flows import notify

CONF = cfg.CONF
GROUP = 'oslo_messaging_notifications'
# Long enough for a stray notification to arrive after the expected ones.
QUIET_SECONDS = 1.5


class Touch(task.Task):
    def execute(self, instance):
        instance['task_status'] = 'NONE'
        instance['status'] = 'RUNNING'


class Fail(task.Task):
    def execute(self):
        raise RuntimeError('injected: no valid host found')


class Collector:
    """Notification endpoint keeping what it receives."""

    def __init__(self):
        self.received = []
        self._cond = threading.Condition()

    def _keep(self, priority, ctxt, publisher_id, event_type, payload,
              metadata):
        with self._cond:
            self.received.append({'priority': priority, 'ctxt': ctxt,
                                  'publisher_id': publisher_id,
                                  'event_type': event_type,
                                  'payload': payload})
            self._cond.notify_all()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self._keep('info', ctxt, publisher_id, event_type, payload,
                   metadata)

    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        self._keep('error', ctxt, publisher_id, event_type, payload,
                   metadata)

    def wait_for(self, count, timeout=30):
        """Wait for ``count`` notifications, then a quiet spell; all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, 'got only %s' % self.received
                self._cond.wait(left)
        time.sleep(QUIET_SECONDS)
        with self._cond:
            return list(self.received)


@pytest.fixture
def conf():
    """CONF with the notification options; overrides undone after."""
    CONF([], project='trove-mr')
    # Registered by oslo.messaging once a transport is made; here so that
    # tests can override them before.
    CONF.register_opts(dict(messaging_opts.list_opts())[None])
    notifications.enabled()  # registers the notification options
    done = []

    def override(name, value, group=GROUP):
        CONF.set_override(name, value, group=group)
        done.append((name, group))

    yield override
    notifications.cleanup()
    for name, group in done:
        CONF.clear_override(name, group=group)


@pytest.fixture
def listen():
    """listen(url) -> Collector of topic 'notifications' on ``url``."""
    started = []

    def start(url):
        transport = messaging.get_notification_transport(CONF, url=url)
        collector = Collector()
        listener = messaging.get_notification_listener(
            transport, [messaging.Target(topic='notifications')],
            [collector], executor='threading')
        listener.start()
        started.append((listener, transport))
        return collector

    yield start
    for listener, transport in started:
        listener.stop()
        listener.wait()
        transport.cleanup()


def _context(cell_url=None):
    ctx = trove_context.RequestContext(project_id='tenant-a',
                                       user_id='user-a',
                                       auth_token='secret-token')
    ctx.cell_transport_url = cell_url
    return ctx


def _instance(instance_id):
    return {'id': instance_id, 'name': 'db-' + instance_id,
            'tenant_id': 'tenant-a', 'region_name': 'RegionTwo',
            'flavor_id': '7', 'volume_size': 2, 'server_id': 'srv-1',
            'task_status': 'BUILDING', 'status': 'NEW',
            'datastore': 'redis', 'datastore_version': '7.0'}


def _run_operation(operation, flow, instance, context):
    engine = taskflow.engines.load(flow, store={'instance': instance})
    with notify.OperationNotifier(
            engine, operation, lambda: context,
            lambda: notifications.instance_payload(instance,
                                                   user_id='user-a')):
        try:
            engine.run()
        except RuntimeError:
            pass


def _connected_vhosts():
    return set(rabbitmqctl('list_connections', '--no-table-headers',
                           'vhost').split())


def _queues(vhost):
    return rabbitmqctl('list_queues', '-p', vhost, '--no-table-headers',
                       'name', 'messages').strip()


def test_operations_send_one_start_and_one_end_or_error_each(
        conf, listen, rabbit_vhost):  # noqa: F811
    vhost = rabbit_vhost()
    url = TRANSPORT_URL + vhost
    conf('driver', ['messagingv2'])
    conf('transport_url', url)
    collector = listen(url)
    context = _context()

    ok = _instance('i-ok')
    _run_operation(notifications.INSTANCE_CREATE,
                   linear_flow.Flow('create').add(Touch('touch')), ok,
                   context)
    bad = _instance('i-bad')
    _run_operation(notifications.INSTANCE_DELETE,
                   linear_flow.Flow('delete').add(Touch('touch'),
                                                  Fail('fail')),
                   bad, context)

    received = collector.wait_for(4)
    assert [(n['event_type'], n['priority']) for n in received] == [
        ('trove.instance.create.start', 'info'),
        ('trove.instance.create.end', 'info'),
        ('trove.instance.delete.start', 'info'),
        ('trove.instance.delete.error', 'error')]
    start, end, _, error = (n['payload'] for n in received)
    assert {k: start[k] for k in (
        'instance_id', 'instance_name', 'tenant_id', 'user_id', 'region',
        'region_name', 'flavor_id', 'volume_size', 'state', 'datastore',
        'datastore_version', 'nova_instance_id', 'server_type')} == {
        'instance_id': 'i-ok', 'instance_name': 'db-i-ok',
        'tenant_id': 'tenant-a', 'user_id': 'user-a', 'region': 'RegionTwo',
        'region_name': 'RegionTwo', 'flavor_id': '7', 'volume_size': 2,
        'state': 'build', 'datastore': 'redis', 'datastore_version': '7.0',
        'nova_instance_id': 'srv-1', 'server_type': 'taskmanager'}
    # The payload is built when the event is sent.
    assert end['state'] == 'active'
    assert error['instance_id'] == 'i-bad'
    assert error['fault'] == 'injected: no valid host found'
    for n in received:
        assert n['publisher_id'] == 'trove-mr-taskmanager.%s' % CONF.host
        assert n['ctxt']['project_id'] == 'tenant-a'
        assert 'secret-token' not in repr(n['ctxt'])
    # The check the next test relies on sees this test's connections.
    assert vhost in _connected_vhosts()


def test_a_context_targeted_at_a_cell_notifies_on_the_cells_bus(
        conf, listen, rabbit_vhost):  # noqa: F811
    own, cell = rabbit_vhost(), rabbit_vhost()
    CONF.set_override('transport_url', TRANSPORT_URL + own)
    try:
        conf('driver', ['messagingv2'])
        collector = listen(TRANSPORT_URL + cell)
        _run_operation(notifications.INSTANCE_RESTART,
                       linear_flow.Flow('restart').add(Touch('touch')),
                       _instance('i-cell'),
                       _context(cell_url=TRANSPORT_URL + cell))
        received = collector.wait_for(2)
        assert [n['event_type'] for n in received] == [
            'trove.instance.restart.start', 'trove.instance.restart.end']
        assert _queues(own) == ''
    finally:
        CONF.clear_override('transport_url')


def test_without_a_driver_nothing_is_sent_and_no_connection_made(
        conf, rabbit_vhost):  # noqa: F811
    vhost = rabbit_vhost()
    url = TRANSPORT_URL + vhost
    conf('transport_url', url)
    CONF.set_override('transport_url', url)
    try:
        assert CONF[GROUP].driver == []
        _run_operation(notifications.INSTANCE_CREATE,
                       linear_flow.Flow('create').add(Touch('touch')),
                       _instance('i-off'), _context())
        _run_operation(notifications.INSTANCE_DELETE,
                       linear_flow.Flow('delete').add(Fail('fail')),
                       _instance('i-off'), _context(cell_url=url))
        assert notifications._notifiers == {}
        assert vhost not in _connected_vhosts()
        # Not even the queues a notification would declare exist.
        assert _queues(vhost) == ''
    finally:
        CONF.clear_override('transport_url')
