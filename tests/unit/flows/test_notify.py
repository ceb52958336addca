"""OperationNotifier: start, end and error once per operation."""

import contextlib

import oslo_messaging as messaging
import pytest
import taskflow.engines
from oslo_messaging.notify import _impl_test
from taskflow import states
from taskflow import task
from taskflow.patterns import linear_flow
from taskflow.patterns import unordered_flow
from taskflow.persistence.backends import impl_memory

from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import notifications
from trove_mr.flows import notify

CONF = cfg.CONF
GROUP = 'oslo_messaging_notifications'
OPERATION = 'trove.instance.create'

# What the tasks of the test flows did, in order; a task may also run a
# hook (suspend the engine) the test puts here.
RAN = []
HOOKS = {}


class Step(task.Task):
    def execute(self):
        RAN.append(self.name)
        HOOKS.pop(self.name, lambda: None)()


class Fail(task.Task):
    def execute(self):
        raise RuntimeError('injected: no valid host')


class FailRevert(task.Task):
    def execute(self):
        RAN.append(self.name)

    def revert(self, *args, **kwargs):
        raise ValueError('injected: volume stuck')


def two_steps():
    """Flow factory: a flow a jobboard can load from its flow detail."""
    return linear_flow.Flow('two-steps').add(Step('first'), Step('second'))


@pytest.fixture(autouse=True)
def _clean():
    RAN.clear()
    HOOKS.clear()
    yield
    RAN.clear()
    HOOKS.clear()


@pytest.fixture
def sent():
    """Notifications on, recorded by oslo.messaging's ``test`` driver."""
    CONF([], project='trove-mr')
    notifications.enabled()  # registers the options
    CONF.set_override('driver', ['test'], group=GROUP)
    CONF.set_override('transport_url', 'fake:///notifications', group=GROUP)
    _impl_test.reset()
    yield _impl_test.NOTIFICATIONS
    notifications.cleanup()
    _impl_test.reset()
    CONF.clear_override('driver', group=GROUP)
    CONF.clear_override('transport_url', group=GROUP)


def _context():
    return trove_context.RequestContext(project_id='tenant-a',
                                        user_id='user-a')


def _events(sent):
    return [(m['event_type'], priority) for _c, m, priority, _r in sent]


def _run(engine, payload_factory=None, resumed=False):
    """Run ``engine`` with a notifier attached; return what it raised."""
    payload_factory = payload_factory or (lambda: {'instance_id': 'i-1',
                                                   'ran': list(RAN)})
    with notify.OperationNotifier(engine, OPERATION, _context,
                                  payload_factory, resumed=resumed):
        try:
            engine.run()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            return exc
    return None


def test_success_sends_start_then_end_with_a_current_payload(sent):
    engine = taskflow.engines.load(two_steps())
    assert _run(engine) is None
    assert _events(sent) == [('trove.instance.create.start', 'INFO'),
                             ('trove.instance.create.end', 'INFO')]
    start, end = (m['payload'] for _c, m, _p, _r in sent)
    assert start['ran'] == [] and end['ran'] == ['first', 'second']
    assert sent[0][0]['project_id'] == 'tenant-a'


def test_failure_sends_error_with_the_fault(sent):
    flow = linear_flow.Flow('f').add(Step('first'), Fail('boom'))
    exc = _run(taskflow.engines.load(flow))
    assert isinstance(exc, RuntimeError)
    assert _events(sent) == [('trove.instance.create.start', 'INFO'),
                             ('trove.instance.create.error', 'ERROR')]
    error = sent[1][1]['payload']
    assert error['fault'] == 'injected: no valid host'
    assert error['instance_id'] == 'i-1'
    assert 'fault' not in sent[0][1]['payload']


def test_a_failed_revert_is_named_in_the_fault(sent):
    flow = linear_flow.Flow('f').add(FailRevert('undo'), Fail('boom'))
    engine = taskflow.engines.load(flow)
    _run(engine)
    assert engine.storage.get_flow_state() == states.FAILURE
    assert _events(sent)[-1] == ('trove.instance.create.error', 'ERROR')
    assert sent[-1][1]['payload']['fault'] == \
        'injected: no valid host; injected: volume stuck'


def test_parallel_engine_sends_one_error_for_many_failures(sent):
    flow = unordered_flow.Flow('f').add(Fail('a'), Fail('b'), Step('c'))
    _run(taskflow.engines.load(flow, engine='parallel', max_workers=2))
    assert _events(sent) == [('trove.instance.create.start', 'INFO'),
                             ('trove.instance.create.error', 'ERROR')]
    assert sent[1][1]['payload']['fault'] == 'injected: no valid host'


def test_resumed_flag_skips_the_start(sent):
    _run(taskflow.engines.load(two_steps()), resumed=True)
    assert _events(sent) == [('trove.instance.create.end', 'INFO')]


def test_a_vanished_resource_at_the_end_reuses_the_last_payload(sent):
    payloads = iter([{'instance_id': 'i-1', 'state': 'shutdown'}])

    def payload_factory():
        return next(payloads)  # the row is gone at the end of a delete

    _run(taskflow.engines.load(two_steps()), payload_factory)
    assert [m['payload']['state'] for _c, m, _p, _r in sent] == \
        ['shutdown', 'shutdown']


def test_listens_to_flow_transitions_only(sent):
    engine = taskflow.engines.load(two_steps())
    with notify.OperationNotifier(engine, OPERATION, _context, dict):
        assert all(not listeners for _event, listeners in
                   engine.atom_notifier.listeners_iter())
        assert any(listeners for _event, listeners in
                   engine.notifier.listeners_iter())
        engine.run()
    assert len(sent) == 2


def _persisted(backend):
    """A jobboard-like engine: flow saved with its factory."""
    return taskflow.engines.load_from_factory(two_steps, backend=backend)


def _reload(backend, flow_uuid):
    """The flow detail as a taskmanager picking the job up loads it."""
    with contextlib.closing(backend.get_connection()) as conn:
        detail = conn.get_flow_details(flow_uuid)
    return taskflow.engines.load_from_detail(detail, backend=backend)


def test_resuming_a_suspended_flow_sends_start_and_end_once(sent):
    backend = impl_memory.MemoryBackend()
    first = _persisted(backend)
    HOOKS['first'] = first.suspend
    _run(first)
    assert first.storage.get_flow_state() == states.SUSPENDED
    assert RAN == ['first']

    second = _reload(backend, first.storage.flow_uuid)
    _run(second)
    assert RAN == ['first', 'second']
    assert _events(sent) == [('trove.instance.create.start', 'INFO'),
                             ('trove.instance.create.end', 'INFO')]


def test_resuming_after_a_crash_sends_no_second_start(sent):
    backend = impl_memory.MemoryBackend()
    first = _persisted(backend)
    HOOKS['first'] = first.suspend
    _run(first)
    # A taskmanager that died mid-flow leaves the flow RUNNING; resuming
    # passes it through RESUMING and SUSPENDED back into RUNNING.
    first.storage.set_flow_state(states.RUNNING)

    _run(_reload(backend, first.storage.flow_uuid))
    assert _events(sent) == [('trove.instance.create.start', 'INFO'),
                             ('trove.instance.create.end', 'INFO')]


def test_driver_unset_sends_nothing_and_builds_no_transport(monkeypatch):
    CONF([], project='trove-mr')
    assert not notifications.enabled()

    def no_transport(*args, **kwargs):
        raise AssertionError('a transport was built')

    monkeypatch.setattr(messaging, 'get_notification_transport',
                        no_transport)
    assert _run(taskflow.engines.load(two_steps())) is None
    assert notifications._notifiers == {}
