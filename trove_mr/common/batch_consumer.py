"""Casts taken off RabbitMQ in batches, for topics of many small messages.

Every guest of a cell sends the conductor a heartbeat every
``agent_heartbeat_interval`` seconds: 10,000 guests are 1,000 casts a
second on one topic. An oslo.messaging RPC server costs about 0.3 ms of
CPU per message before any endpoint runs (its listener's polling, a hand
over to an executor thread, one acknowledgement each), which caps one
conductor process near 2,000 heartbeats a second however cheap the
endpoint. This consumer reads the same queue with kombu, the library
oslo.messaging's RabbitMQ driver is built on: it takes up to ``batch``
messages at once (``prefetch_count`` is twice that), opens and dispatches
each through the same dispatcher the RPC server would use (so sealed
envelopes, replay and key checks are unchanged), and acknowledges the
batch with one ``basic.ack`` (``multiple``).

The queue and exchange are declared exactly as the RPC server declares
them (topic exchange, queue named after the topic, durability from
``amqp_durable_queues``/``amqp_auto_delete``), so a conductor of the
previous release and one of this release share the queue during an
upgrade. Only casts are served; a call is refused (logged), since no
sender calls on such a topic. :func:`usable` says when the bus allows it:
a ``rabbit://`` transport without TLS, quorum, HA or stream queues;
otherwise the service falls back to an RPC server.

Delivery is at most once, as oslo.messaging's for casts (it acknowledges
a cast before dispatching it): a batch is acknowledged once each of its
messages has been dispatched or handed to a worker thread.

The wire format read is oslo.messaging's message envelope version 2.0
(``{"oslo.version": "2.0", "oslo.message": "<JSON>"}``), the context
packed as ``_context_<key>`` entries of the message.
"""

import concurrent.futures
import socket
import threading

import kombu
import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_messaging.rpc import dispatcher as rpc_dispatcher
from oslo_serialization import jsonutils

from trove_mr.common import cfg
from trove_mr.common import rpc

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

_VERSION_KEY = 'oslo.version'
_MESSAGE_KEY = 'oslo.message'
_CONTEXT_PREFIX = '_context_'
# Transport fields of a message that are not the call itself.
_TRANSPORT_KEYS = ('_unique_id', '_reply_q', '_timeout')
# Seconds one drain waits for a message while none is pending; also how
# soon a stop is noticed and how often the AMQP heartbeat is checked.
_IDLE_WAIT = 0.5
# Seconds a started batch waits for one more message before it is run.
_BATCH_WAIT = 0.005


class MalformedMessage(ValueError):
    """A message body that is not an oslo.messaging cast."""


class Incoming:
    """What a dispatcher reads of a message (as oslo.messaging's)."""

    __slots__ = ('ctxt', 'message', 'client_timeout')

    def __init__(self, ctxt, message):
        self.ctxt = ctxt
        self.message = message
        self.client_timeout = None


def parse(body):
    """``(ctxt, message, msg_id)`` of an oslo.messaging message body.

    ``msg_id`` is set for a call (which expects a reply), None for a cast.
    Raises MalformedMessage for anything else.
    """
    try:
        if isinstance(body, (bytes, bytearray)):
            body = body.decode('utf-8')
        if isinstance(body, str):
            body = jsonutils.loads(body)
        if isinstance(body, dict) and _MESSAGE_KEY in body:
            if body.get(_VERSION_KEY) != '2.0':
                raise MalformedMessage('message envelope version %r'
                                       % body.get(_VERSION_KEY))
            body = jsonutils.loads(body[_MESSAGE_KEY])
    except (UnicodeDecodeError, ValueError, TypeError) as exc:
        raise MalformedMessage(str(exc)) from None
    if not isinstance(body, dict) or not isinstance(body.get('method'),
                                                      str):
        raise MalformedMessage('not an RPC message')
    ctxt = {}
    for key in list(body):
        if key.startswith(_CONTEXT_PREFIX):
            ctxt[key[len(_CONTEXT_PREFIX):]] = body.pop(key)
    msg_id = body.pop('_msg_id', None)
    for key in _TRANSPORT_KEYS:
        body.pop(key, None)
    return ctxt, body, msg_id


def usable(transport_url=None):
    """Whether ``transport_url`` (default: this service's) can be read by
    this consumer: RabbitMQ, no TLS, classic queues."""
    url = messaging.TransportURL.parse(CONF, transport_url or
                                       CONF.transport_url)
    if url.transport != 'rabbit' or not url.hosts:
        return False
    # The driver registers its options when its first transport is made.
    rpc.get_transport(transport_url)
    rabbit = CONF.oslo_messaging_rabbit
    return not (rabbit.ssl or rabbit.rabbit_quorum_queue or
                rabbit.rabbit_ha_queues or rabbit.rabbit_stream_fanout)


class BatchConsumer:
    """Reads the casts of ``topic`` on ``exchange`` in batches.

    :param dispatcher: an RPC dispatcher (``dispatch(incoming)``), e.g.
        rpc_envelope.EnvelopeDispatcher for the same target.
    :param inline: methods dispatched on the consumer's own thread, in
        order; they must not block (the conductor's ``heartbeat`` only
        queues its write). Others run on ``workers`` threads, so that a
        slow one never holds the batch back.
    :param thread_setup: called first on the consumer's thread (e.g. to
        tell a writer that this thread does not wait for its writes).
    """

    def __init__(self, exchange, topic, dispatcher, batch=256,
                 inline=(), workers=8, transport_url=None,
                 thread_setup=None):
        self.exchange = exchange
        self.topic = topic
        self._dispatcher = dispatcher
        self._batch = max(1, batch)
        self._inline = frozenset(inline)
        self._transport_url = transport_url
        self._thread_setup = thread_setup
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='%s-worker' % topic,
            initializer=thread_setup)
        self._stop = threading.Event()
        self._declared = threading.Event()
        self._thread = None
        self.received = 0

    def start(self, timeout=30):
        """Start reading; returns once the queue is declared (messages
        sent from then on wait for this consumer), or after ``timeout``
        seconds of a bus that does not answer (it keeps trying)."""
        self._thread = threading.Thread(target=self._run,
                                        name='%s-consumer' % self.topic,
                                        daemon=True)
        self._thread.start()
        if not self._declared.wait(timeout):
            LOG.warning('The queue %s is not declared yet: the bus does not '
                        'answer; still trying.', self.topic)

    def stop(self):
        """Stop reading and wait for the messages handed to workers."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=True)

    def wait(self):
        """As an RPC server's: :meth:`stop` has waited already."""

    def _run(self):
        if self._thread_setup is not None:
            self._thread_setup()
        delay = 1.0
        while not self._stop.is_set():
            try:
                heartbeat = CONF.oslo_messaging_rabbit.\
                    heartbeat_timeout_threshold
                with rpc.bus_connection(self._transport_url,
                                        connect_timeout=5,
                                        heartbeat=heartbeat) as conn:
                    conn.ensure_connection(max_retries=1)
                    delay = 1.0
                    self._consume(conn)
            except Exception as exc:  # noqa: BLE001 - reconnect, always
                if self._stop.is_set():
                    return
                LOG.warning('Reading %s from the bus failed (%s: %s); '
                            'again in %.0f s.', self.topic,
                            type(exc).__name__, exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 30.0)

    def _queue(self, channel):
        rabbit = CONF.oslo_messaging_rabbit
        exchange = kombu.Exchange(self.exchange, type='topic',
                                  durable=rabbit.amqp_durable_queues,
                                  auto_delete=rabbit.amqp_auto_delete)
        return kombu.Queue(self.topic, exchange, routing_key=self.topic,
                           durable=rabbit.amqp_durable_queues,
                           auto_delete=rabbit.amqp_auto_delete,
                           channel=channel)

    def _consume(self, conn):
        channel = conn.channel()
        queue = self._queue(channel)
        queue.declare()
        pending = []
        channel.basic_qos(0, 2 * self._batch, False)
        # py-amqp's own consumer: each delivery is appended as it comes,
        # without kombu's message wrapper (a tenth of the cost here).
        tag = channel.basic_consume(queue=self.topic, no_ack=False,
                                    callback=pending.append)
        self._declared.set()
        LOG.info('Reading %s on %s in batches of up to %d.', self.topic,
                 self.exchange, self._batch)
        try:
            while not self._stop.is_set():
                try:
                    conn.drain_events(
                        timeout=_BATCH_WAIT if pending else _IDLE_WAIT)
                    if len(pending) < self._batch:
                        continue
                except socket.timeout:
                    if not pending:
                        conn.heartbeat_check()
                        continue
                batch = pending[:]
                del pending[:]
                self._handle(batch)
                channel.basic_ack(batch[-1].delivery_tag, multiple=True)
        finally:
            if self._stop.is_set():
                channel.basic_cancel(tag)

    def _handle(self, batch):
        self.received += len(batch)
        for message in batch:
            try:
                ctxt, body, msg_id = parse(message.body)
            except MalformedMessage as exc:
                LOG.warning('Dropped a malformed message on %s: %s',
                            self.topic, exc)
                continue
            if msg_id is not None:
                LOG.warning('Refused a call of %r on %s: only casts are '
                            'served on this topic.', body.get('method'),
                            self.topic)
                continue
            incoming = Incoming(ctxt, body)
            if body['method'] in self._inline:
                self._dispatch(incoming)
            else:
                self._pool.submit(self._dispatch, incoming)

    def _dispatch(self, incoming):
        try:
            self._dispatcher.dispatch(incoming)
        except rpc_dispatcher.ExpectedException:
            pass  # refused by the dispatcher, which logged why
        except Exception:  # noqa: BLE001 - one message, not the consumer
            LOG.exception('Dispatching %r from %s failed',
                          incoming.message.get('method'), self.topic)
