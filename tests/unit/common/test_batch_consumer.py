"""The batch consumer of guest reports: oslo.messaging's wire format
read back, and casts sent by a real oslo.messaging client over the
machine's RabbitMQ taken off in batches, each dispatched once."""

import threading
import time
import uuid

import oslo_messaging as messaging
import pytest
from oslo_serialization import jsonutils

from trove_mr.common import batch_consumer
from trove_mr.common import cfg
from trove_mr.common import rpc

CONF = cfg.CONF
BUS = 'rabbit://guest:guest@127.0.0.1:5672/'


def _wire(message, version='2.0'):
    return jsonutils.dumps({'oslo.version': version,
                            'oslo.message': jsonutils.dumps(message)})


def test_parse_reads_a_cast_and_unpacks_its_context():
    ctxt, message, msg_id = batch_consumer.parse(_wire({
        'method': 'heartbeat', 'args': {'a': 1}, 'version': '1.0',
        '_context_project_id': 'p', '_context_trove_mr_rpc_key_id': 'k',
        '_unique_id': 'u'}).encode())
    assert ctxt == {'project_id': 'p', 'trove_mr_rpc_key_id': 'k'}
    assert message == {'method': 'heartbeat', 'args': {'a': 1},
                       'version': '1.0'}
    assert msg_id is None


def test_parse_tells_a_call_by_its_message_id():
    _ctxt, message, msg_id = batch_consumer.parse(_wire({
        'method': 'ping', 'args': {}, '_msg_id': 'm1', '_reply_q': 'q'}))
    assert msg_id == 'm1'
    assert '_reply_q' not in message


@pytest.mark.parametrize('body', [
    b'\xff\xfe', 'not json', '[]', _wire({'args': {}}),
    _wire({'method': 'x'}, version='3.0'), jsonutils.dumps({'method': 7})])
def test_parse_refuses_what_is_not_a_cast(body):
    with pytest.raises(batch_consumer.MalformedMessage):
        batch_consumer.parse(body)


def test_usable_only_on_plain_rabbitmq():
    rpc.register_bus_options()
    CONF.set_override('transport_url', BUS)
    try:
        assert batch_consumer.usable()
        assert not batch_consumer.usable('fake:///')
        CONF.set_override('ssl', True, group='oslo_messaging_rabbit')
        assert not batch_consumer.usable()
    finally:
        CONF.clear_override('ssl', group='oslo_messaging_rabbit')
        CONF.clear_override('transport_url')


class _Recorder:
    """A dispatcher that keeps what it is given."""

    def __init__(self, expected):
        self.seen = []
        self.threads = set()
        self._lock = threading.Lock()
        self._expected = expected
        self.done = threading.Event()

    def dispatch(self, incoming):
        with self._lock:
            self.seen.append((incoming.message['method'],
                              incoming.message['args'].get('n'),
                              incoming.ctxt.get('who')))
            self.threads.add(threading.current_thread().name)
            if len(self.seen) >= self._expected:
                self.done.set()


@pytest.fixture
def bus():
    rpc.register_bus_options()
    CONF.set_override('transport_url', BUS)
    yield rpc.get_transport(BUS)
    CONF.clear_override('transport_url')


def _queue_depth(topic):
    with rpc.bus_connection(BUS) as conn:
        _name, ready, consumers = conn.default_channel.queue_declare(
            queue=topic, passive=True)
    return ready, consumers


def test_casts_from_a_real_client_are_dispatched_once_and_acknowledged(
        bus):
    exchange = 'batch-test-%s' % uuid.uuid4().hex[:8]
    topic = '%s-reports' % exchange
    count = 700  # more than two batches of 256
    recorder = _Recorder(count)
    consumer = batch_consumer.BatchConsumer(
        exchange, topic, recorder, batch=256, inline=('heartbeat',),
        transport_url=BUS)
    consumer.start()
    client = messaging.get_rpc_client(
        bus, messaging.Target(exchange=exchange, topic=topic))
    try:
        for n in range(count - 1):
            client.cast({'who': 'guest'}, 'heartbeat', n=n)
        client.cast({'who': 'guest'}, 'update_backup', n=count - 1)
        # A call is refused, never dispatched (and never answered).
        with pytest.raises(messaging.MessagingTimeout):
            client.prepare(timeout=1).call({'who': 'guest'}, 'ping', n=-1)
        assert recorder.done.wait(30)
        time.sleep(0.2)
    finally:
        consumer.stop()
    heartbeats = [n for method, n, _who in recorder.seen
                  if method == 'heartbeat']
    # In order on the consumer's thread, each exactly once.
    assert heartbeats == list(range(count - 1))
    assert ('update_backup', count - 1, 'guest') in recorder.seen
    assert all(method != 'ping' for method, _n, _who in recorder.seen)
    assert consumer.received == count + 1
    assert any(name.endswith('-consumer') for name in recorder.threads)
    assert any('-worker' in name for name in recorder.threads)
    # Everything was acknowledged: nothing waits in the queue, and the
    # stopped consumer left it.
    assert _queue_depth(topic) == (0, 0)
    rpc.delete_queues([topic], BUS)


def test_a_malformed_message_is_dropped_and_the_rest_dispatched(bus):
    exchange = 'batch-test-%s' % uuid.uuid4().hex[:8]
    topic = '%s-reports' % exchange
    recorder = _Recorder(2)
    consumer = batch_consumer.BatchConsumer(
        exchange, topic, recorder, batch=8, inline=('heartbeat',),
        transport_url=BUS)
    consumer.start()
    try:
        with rpc.bus_connection(BUS) as conn:
            producer = conn.Producer(exchange=consumer._queue(
                conn.default_channel).exchange, routing_key=topic)
            producer.publish('garbage', content_type='application/json')
        client = messaging.get_rpc_client(
            bus, messaging.Target(exchange=exchange, topic=topic))
        client.cast({'who': 'a'}, 'heartbeat', n=1)
        client.cast({'who': 'b'}, 'heartbeat', n=2)
        assert recorder.done.wait(30)
    finally:
        consumer.stop()
    assert recorder.seen == [('heartbeat', 1, 'a'), ('heartbeat', 2, 'b')]
    assert consumer.received == 3
    assert _queue_depth(topic) == (0, 0)
    rpc.delete_queues([topic], BUS)
