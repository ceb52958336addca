"""The sealed RPC envelope (version 2) and the replay guard.

A client seals, under the key of its key id, one JSON document holding
everything a receiver acts on::

    {"v": 2, "method": ..., "target": {"exchange", "topic", "server",
     "fanout"}, "version": ..., "namespace": ..., "request_id": ...,
     "nonce": 128 random bits, "ts": send time, "args": {...},
     "context": {...}}

and sends it as the message context with no arguments of its own; the
method travels in clear too, because oslo.messaging dispatches on it. The
server's dispatcher opens the envelope before any endpoint runs and
refuses the message (logged at WARNING) when:

* it cannot be opened with the key the sender's key id names;
* the clear method, version or namespace differs from the sealed ones,
  or the sealed target is not this server's (another exchange or topic,
  another named server): a relabelled or redirected message;
* its timestamp is more than ``rpc_message_window`` seconds away from
  the receiver's clock;
* its nonce was already seen within the window: a replay. Servers of
  the control plane share the record of nonces through memcached
  (``rpc_replay_cache_servers``), since a replay of a message to a topic
  may reach another process than the first copy; a guest, the only
  consumer of its topic, keeps its own.

A reply is sealed under the same key with the request's nonce in its
associated data, so it can neither be read by others nor be given to
another call.
"""

import os
import threading
import time

from oslo_log import log as logging
from oslo_messaging.rpc import dispatcher as rpc_dispatcher
from oslo_serialization import jsonutils

from trove_mr.common import cfg
from trove_mr.common import crypto

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

VERSION = 2
# Wire fields of the message context.
KEY_ID_FIELD = 'trove_mr_rpc_key_id'
ENVELOPE_FIELD = 'trove_mr_envelope'
VERSION_FIELD = 'trove_mr_envelope_version'
REPLY_FIELD = 'trove_mr_sealed_reply'

_AD_REQUEST = b'trove-mr-rpc-v2|'
_AD_REPLY = b'trove-mr-rpc-v2-reply|'


class SecureRPCError(Exception):
    """A message could not be decrypted, or was not encrypted at all."""


class RefusedMessage(SecureRPCError):
    """A sealed message opened fine but is not acceptable here."""


def as_ring(key, key_id):
    """``key`` as a KeyRing of the RPC purpose its key id names."""
    if isinstance(key, crypto.KeyRing):
        return key
    purpose = 'rpc-control' if key_id == 'control' else 'rpc-instance'
    return crypto.KeyRing([key], purpose)


def _request_ad(key_id):
    return _AD_REQUEST + key_id.encode('utf-8')


def _reply_ad(key_id, nonce):
    return _AD_REPLY + key_id.encode('utf-8') + b'|' + nonce.encode('ascii')


class ReplayGuard:
    """Nonces seen within the window, forgotten once they expire."""

    def __init__(self):
        self._seen = {}
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def check_and_remember(self, nonce, expires_at, now):
        """False when ``nonce`` was seen already, else remember it."""
        with self._lock:
            if now >= self._next_prune:
                self._seen = {n: t for n, t in self._seen.items() if t > now}
                self._next_prune = now + 10
            seen_until = self._seen.get(nonce)
            if seen_until is not None and seen_until > now:
                return False
            self._seen[nonce] = expires_at
            return True

    def clear(self):
        with self._lock:
            self._seen.clear()


REPLAY_GUARD = ReplayGuard()


class SharedReplayGuard:
    """Nonces recorded in memcached, shared by every server of a topic.

    Several taskmanagers consume one topic: a replay may reach another
    process than the first copy did. memcached's ``add`` stores a key only
    when absent, atomically, so exactly one receiver accepts a nonce.
    When memcached cannot be reached the process's own record still
    refuses what this process saw (logged).
    """

    _PREFIX = 'trove-mr-rpc-nonce-'

    def __init__(self, servers, local=None, client=None):
        if client is None:
            import memcache  # python-memcached, as keystonemiddleware
            client = memcache.Client(list(servers), socket_timeout=2,
                                     dead_retry=5)
        self._client = client
        self._local = local or ReplayGuard()

    def check_and_remember(self, nonce, expires_at, now):
        fresh_here = self._local.check_and_remember(nonce, expires_at, now)
        key = self._PREFIX + nonce
        ttl = max(1, int(expires_at - now) + 1)
        if self._client.add(key, '1', time=ttl):
            return fresh_here
        if self._client.get(key) is not None:
            return False  # another receiver took it first
        LOG.warning('The RPC nonce cache (memcached) cannot be reached; '
                    'replays are refused by this process only.')
        return fresh_here

    def clear(self):
        self._local.clear()


_guard = None
_guard_lock = threading.Lock()


def replay_guard():
    """The guard of this process: shared when ``rpc_replay_cache_servers``
    is set, else its own."""
    global _guard
    with _guard_lock:
        if _guard is None:
            servers = CONF.rpc_replay_cache_servers
            _guard = SharedReplayGuard(servers) if servers else REPLAY_GUARD
        return _guard


def _normal_exchange(exchange):
    return exchange or getattr(CONF, 'control_exchange', None) or 'openstack'


def target_dict(target):
    """The part of an oslo.messaging Target that a message is bound to."""
    return {'exchange': _normal_exchange(target.exchange),
            'topic': target.topic, 'server': target.server,
            'fanout': bool(target.fanout)}


class SealedRequest:
    """What a client hands oslo.messaging as the context of a message.

    Its ``wire`` form is the envelope; ``key``, ``key_id`` and ``nonce``
    open the reply.
    """

    def __init__(self, key, key_id, nonce, wire):
        self.key = key
        self.key_id = key_id
        self.nonce = nonce
        self.wire = wire


class OpenedRequest:
    """What the dispatcher hands the serializer once the envelope opened.

    Never comes off the wire (the wire only gives dicts), so a sender
    cannot pass a context off as already opened.
    """

    def __init__(self, key, key_id, nonce, context_values):
        self.key = key
        self.key_id = key_id
        self.nonce = nonce
        self.context_values = context_values


def seal_request(key, key_id, context_values, method, args, target,
                 version, namespace, request_id, now=None):
    """A SealedRequest for ``method(**args)`` sent to ``target``."""
    key = as_ring(key, key_id)
    nonce = os.urandom(16).hex()
    envelope = {'v': VERSION, 'method': method,
                'target': target_dict(target), 'version': version,
                'namespace': namespace, 'request_id': request_id,
                'nonce': nonce, 'ts': time.time() if now is None else now,
                'args': args, 'context': context_values}
    wire = {KEY_ID_FIELD: key_id, VERSION_FIELD: VERSION,
            ENVELOPE_FIELD: crypto.encrypt(key, jsonutils.dumps(envelope),
                                           _request_ad(key_id))}
    return SealedRequest(key, key_id, nonce, wire)


def _refuse(reason, *values):
    raise RefusedMessage(reason % values)


def open_request(key_lookup, wire_ctxt, message, server_target, now=None,
                 guard=None):
    """Open and check an envelope; returns (OpenedRequest, args).

    Raises SecureRPCError (RefusedMessage once opened) when the message
    must not be dispatched.
    """
    key_id = wire_ctxt.get(KEY_ID_FIELD)
    sealed = wire_ctxt.get(ENVELOPE_FIELD)
    if not key_id or not isinstance(sealed, str):
        raise SecureRPCError('refusing an RPC message without a sealed '
                             'envelope')
    key = key_lookup(key_id)
    if not key:
        raise SecureRPCError('no RPC key for key id %r' % key_id)
    key = as_ring(key, key_id)
    try:
        envelope = jsonutils.loads(crypto.decrypt(key, sealed,
                                                  _request_ad(key_id)))
    except crypto.DecryptionError as exc:
        raise SecureRPCError('cannot open an RPC envelope sealed for key '
                             'id %r: wrong key or tampered message'
                             % key_id) from exc
    if not isinstance(envelope, dict) or envelope.get('v') != VERSION:
        raise SecureRPCError('unknown RPC envelope version')
    method = message.get('method')
    if envelope['method'] != method:
        _refuse('method %r in clear but %r sealed (relabelled message)',
                method, envelope['method'])
    if envelope.get('version') != message.get('version', '1.0') or \
            envelope.get('namespace') != message.get('namespace'):
        _refuse('version or namespace of %r differs from the sealed one',
                method)
    if message.get('args'):
        _refuse('arguments of %r outside the envelope', method)
    sealed_target = envelope.get('target') or {}
    here = target_dict(server_target)
    if sealed_target.get('topic') != here['topic'] or \
            _normal_exchange(sealed_target.get('exchange')) != \
            here['exchange'] or \
            (sealed_target.get('server') and
             sealed_target['server'] != here['server']):
        _refuse('%r was sealed for %s/%s/%s, not this server (%s/%s/%s)',
                method, sealed_target.get('exchange'),
                sealed_target.get('topic'), sealed_target.get('server'),
                here['exchange'], here['topic'], here['server'])
    now = time.time() if now is None else now
    window = CONF.rpc_message_window
    sent = envelope.get('ts')
    if not isinstance(sent, (int, float)) or abs(now - sent) > window:
        _refuse('%r sent at %s, outside the %ss window around %s',
                method, sent, window, now)
    nonce = envelope.get('nonce')
    guard = guard or replay_guard()
    if not isinstance(nonce, str) or \
            not guard.check_and_remember(nonce, sent + window + 1, now):
        _refuse('%r with nonce %s was already received (replay)', method,
                nonce)
    context_values = dict(envelope.get('context') or {})
    return (OpenedRequest(key, key_id, nonce, context_values),
            envelope.get('args') or {})


def seal_reply(key, key_id, nonce, entity):
    return {REPLY_FIELD: as_ring(key, key_id).encrypt(
        jsonutils.dumps(entity), _reply_ad(key_id, nonce))}


def open_reply(request, entity):
    if not (isinstance(entity, dict) and set(entity) == {REPLY_FIELD}):
        raise SecureRPCError('refusing an unsealed RPC reply')
    try:
        return jsonutils.loads(as_ring(request.key, request.key_id).decrypt(
            entity[REPLY_FIELD], _reply_ad(request.key_id, request.nonce)))
    except crypto.DecryptionError as exc:
        raise SecureRPCError('cannot open the reply to a message sealed '
                             'for key id %r' % request.key_id) from exc


class EnvelopeClient:
    """Wraps an oslo.messaging RPC client to send sealed envelopes.

    Same ``prepare`` / ``call`` / ``cast`` / ``can_send_version`` as the
    client it wraps. ``serializer`` gives the key and key id.
    """

    def __init__(self, client, serializer):
        self._client = client
        self._serializer = serializer

    @property
    def target(self):
        return self._client.target

    @property
    def transport(self):
        return self._client.transport

    def prepare(self, **kwargs):
        return EnvelopeClient(self._client.prepare(**kwargs),
                              self._serializer)

    def can_send_version(self, *args, **kwargs):
        return self._client.can_send_version(*args, **kwargs)

    def _seal(self, ctxt, method, kwargs):
        serializer = self._serializer
        args = {name: serializer.to_primitive(value)
                for name, value in kwargs.items()}
        target = self._client.target
        values = ctxt.to_dict()
        return seal_request(serializer.key, serializer.key_id, values,
                            method, args, target, target.version,
                            target.namespace, values.get('request_id'))

    def cast(self, ctxt, method, **kwargs):
        self._client.cast(self._seal(ctxt, method, kwargs), method)

    def call(self, ctxt, method, **kwargs):
        return self._client.call(self._seal(ctxt, method, kwargs), method)


class EnvelopeDispatcher(rpc_dispatcher.RPCDispatcher):
    """Opens and checks each envelope before the usual dispatch.

    ``target`` is the server's own: the sealed target must match it.
    """

    def __init__(self, endpoints, serializer, access_policy, target):
        super().__init__(endpoints, serializer, access_policy)
        self._server_target = target

    def dispatch(self, incoming):
        lookup = getattr(self.serializer, 'key_lookup', None)
        if lookup is not None:
            self._open(incoming, lookup)
        return super().dispatch(incoming)

    def _open(self, incoming, lookup):
        ctxt = incoming.ctxt or {}
        method = (incoming.message or {}).get('method')
        if ENVELOPE_FIELD not in ctxt:
            if CONF.rpc_accept_legacy_messages and ctxt.get(KEY_ID_FIELD):
                return  # version 1: the serializer opens each argument
            LOG.warning('Refused RPC message %r on %s: unencrypted or '
                        'not a sealed envelope', method,
                        self._server_target.topic)
            try:
                raise SecureRPCError('refusing an unencrypted RPC message '
                                     '(not a sealed envelope)')
            except SecureRPCError:
                # Expected: the caller gets the error, the log only our
                # warning, not a traceback per refused message.
                raise rpc_dispatcher.ExpectedException() from None
        try:
            opened, args = open_request(lookup, ctxt, incoming.message,
                                        self._server_target)
        except SecureRPCError as exc:
            LOG.warning('Refused RPC message %r on %s (key id %s): %s',
                        method, self._server_target.topic,
                        ctxt.get(KEY_ID_FIELD), exc)
            raise rpc_dispatcher.ExpectedException() from exc
        incoming.ctxt = opened
        incoming.message = dict(incoming.message, args=args)
