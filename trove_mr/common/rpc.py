"""RPC plumbing shared by every trove-mr service.

Transports are cached per URL: a transport owns connection pools, and a
process that targets several cells talks to several buses at once.

When ``enable_secure_rpc_messaging`` is on, every message travels as one
*sealed envelope* (version 2, :mod:`trove_mr.common.rpc_envelope`): the
method, the target (exchange, topic, server), the version, the request
id, a random nonce, a timestamp, the arguments and the caller's context
are encrypted together (AES-GCM, :mod:`trove_mr.common.crypto`). The
receiving server opens it before dispatch and refuses a message whose
clear method or target differs from the envelope's, whose timestamp is
outside ``rpc_message_window`` or whose nonce it has already seen. The
reply is sealed under the same key, bound to the request's nonce. This
happens at the client/dispatcher layer, so every RPC method gets it.

The older form (version 1: each argument sealed on its own) is still read
when ``rpc_accept_legacy_messages`` is on, and sent when
``rpc_envelope_version`` is 1, for one release of rolling upgrades.

The sender labels the message with a *key id* carried in clear; the
receiver turns that id into a key with its own lookup and refuses
anything it cannot decrypt, including plaintext. Key ids are:

* ``control``: messages between control-plane services (api, taskmanager,
  conductor), under ``taskmanager_rpc_encr_key``;
* ``instance:<id>``: messages to and from one guest, under that instance's
  own key.
"""

import threading

import kombu
import oslo_messaging as messaging
from oslo_config import cfg as oslo_cfg
from oslo_log import log as logging
from oslo_messaging import opts as messaging_opts
from oslo_messaging.rpc import server as rpc_server
from oslo_serialization import jsonutils

import trove_mr  # noqa: F401  (selects the threading backend first)
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import crypto
from trove_mr.common import keys
from trove_mr.common import rpc_envelope

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

CONTROL_KEY_ID = 'control'
# Context key carrying the key id; a server stores it on the context so the
# reply is sealed under the key the request came with.
_KEY_ID_FIELD = rpc_envelope.KEY_ID_FIELD
_SEALED_FIELD = 'trove_mr_sealed'
# Proof that the sender holds the key, checked before dispatch: a call
# without arguments would otherwise run before anything was decrypted.
_PROOF_FIELD = 'trove_mr_rpc_key_proof'
# Attribute of a server-side context opened from an envelope: the
# OpenedRequest, whose key and nonce seal the reply.
_OPENED_ATTR = '_trove_mr_opened_request'

SecureRPCError = rpc_envelope.SecureRPCError
RefusedMessage = rpc_envelope.RefusedMessage

_transports = {}
_transports_lock = threading.Lock()
_instance_key_source = None


def sender_key_id(context):
    """The id of the key a received message was opened with, or None.

    The server's serializer records it on the context it builds, so that
    an endpoint can tell which instance (or the control plane) sent it.
    """
    return getattr(context, _KEY_ID_FIELD, None)


def set_sender_key_id(context, key_id):
    """Record on ``context`` the key id a message was opened with."""
    setattr(context, _KEY_ID_FIELD, key_id)


def register_bus_options():
    """Register oslo.messaging's own options (``transport_url``,
    ``control_exchange``...), which it registers only on the first
    transport it makes; safe to call again."""
    for group, options in messaging_opts.list_opts():
        if group in (None, 'DEFAULT'):
            # Copies: one registered already (by oslo.messaging) stays.
            CONF.register_opts([opt for opt in options
                                if opt.dest not in CONF])


def control_exchange():
    """This plane's ``control_exchange`` as configured."""
    try:
        return CONF.control_exchange
    except oslo_cfg.NoSuchOptError:
        register_bus_options()
        return CONF.control_exchange


def get_transport(url=None):
    """The RPC transport for ``url`` (default: CONF.transport_url), cached."""
    # None stays None: oslo.messaging then reads CONF.transport_url, an
    # option it registers itself on first use.
    url = url or None
    with _transports_lock:
        transport = _transports.get(url)
        if transport is None:
            transport = messaging.get_rpc_transport(CONF, url=url)
            _transports[url] = transport
        return transport


def bus_connection(transport_url=None, **kwargs):
    """A kombu connection to the RabbitMQ bus of ``transport_url``
    (default: this service's); its hosts, in order, are failed over."""
    url = messaging.TransportURL.parse(CONF, transport_url or
                                       CONF.transport_url)
    vhost = url.virtual_host or '/'
    hosts = [kombu.Connection(hostname=host.hostname, port=host.port,
                              userid=host.username, password=host.password,
                              virtual_host=vhost).as_uri(include_password=True)
             for host in url.hosts]
    return kombu.Connection(';'.join(hosts), **kwargs)


def delete_queues(queues, transport_url=None):
    """Best effort: remove ``queues`` from the bus of ``transport_url``
    (this cell's by default); one that cannot be reached is logged."""
    url = messaging.TransportURL.parse(CONF, transport_url or
                                       CONF.transport_url)
    if not url.hosts or url.transport not in ('rabbit', None):
        return
    try:
        with bus_connection(transport_url, connect_timeout=5) as conn:
            channel = conn.channel()
            for queue in queues:
                channel.queue_delete(queue)
    except Exception as exc:  # noqa: BLE001 - best effort
        LOG.warning('Could not remove the queues %s: %s', queues, exc)


def cleanup():
    """Close every cached transport (at service stop, and in tests)."""
    with _transports_lock:
        transports = list(_transports.values())
        _transports.clear()
    for transport in transports:
        transport.cleanup()


def get_client(target, version_cap=None, serializer=None, transport=None):
    """An RPC client for ``target`` on ``transport`` (default: our own).

    A sealing serializer gets a client that sends sealed envelopes.
    """
    serializer = serializer or RequestContextSerializer()
    client = messaging.get_rpc_client(
        transport or get_transport(), target, version_cap=version_cap,
        serializer=serializer)
    if serializer.sends_envelopes:
        return rpc_envelope.EnvelopeClient(client, serializer)
    return client


def get_dispatcher(target, endpoints, serializer=None):
    """The dispatcher of ``target``'s messages to ``endpoints``.

    With a sealing serializer, it opens and checks each envelope before
    any endpoint sees the message.
    """
    return rpc_envelope.EnvelopeDispatcher(
        endpoints, serializer or RequestContextSerializer(),
        messaging.DefaultRPCAccessPolicy, target)


def get_server(target, endpoints, serializer=None, transport=None):
    """An RPC server dispatching ``target`` to ``endpoints`` on threads
    (see :func:`get_dispatcher`)."""
    return rpc_server.RPCServer(transport or get_transport(), target,
                                get_dispatcher(target, endpoints,
                                               serializer))


def secure_enabled():
    return CONF.enable_secure_rpc_messaging


def instance_key_id(instance_id):
    """The key id of messages to and from guest ``instance_id``."""
    return 'instance:%s' % instance_id


def set_instance_key_source(source):
    """Set how a server finds a guest's key: ``source(instance_id)``.

    The conductor installs a database lookup here; it returns the key, or
    None when the instance has none (the message is then refused).
    """
    global _instance_key_source
    _instance_key_source = source


def control_ring():
    """The control-plane RPC key ring: taskmanager_rpc_encr_key first,
    then its old values (read during a rotation)."""
    return keys.ring(keys.RPC_CONTROL)


def control_key_lookup(key_id):
    """Key lookup of control-plane servers (taskmanager)."""
    if key_id == CONTROL_KEY_ID:
        return control_ring()
    return None


def conductor_key_lookup(key_id):
    """Key lookup of the conductor: control-plane and guest messages."""
    if key_id == CONTROL_KEY_ID:
        return control_ring()
    if key_id and key_id.startswith('instance:') and _instance_key_source:
        key = _instance_key_source(key_id.split(':', 1)[1])
        return keys.instance_rpc_ring(key) if key else None
    return None


def guest_key_lookup(key_id):
    """Key lookup of a guest agent: only its own instance's key."""
    if key_id == instance_key_id(CONF.guest.instance_id) and \
            CONF.instance_rpc_encr_key:
        return keys.instance_rpc_ring(CONF.instance_rpc_encr_key)
    return None


class RequestContextSerializer(messaging.Serializer):
    """Carry a trove-mr RequestContext; optionally seal every payload.

    A *client* serializer is given ``key`` and ``key_id``: with
    ``envelope_version`` 2 (the default) its client sends sealed
    envelopes (:mod:`trove_mr.common.rpc_envelope`) and it opens their
    replies; with 1 it seals each argument on its own (the older form).
    A *server* serializer is given ``key_lookup(key_id) -> key``: its
    dispatcher opens envelopes, it opens older messages argument by
    argument when allowed, and seals each reply in the form of its
    request. Either side without a key passes plain JSON-able values
    through.
    """

    def __init__(self, key=None, key_id=None, key_lookup=None,
                 envelope_version=rpc_envelope.VERSION):
        self._key = key
        self._key_id = key_id
        self._key_lookup = key_lookup
        self._envelope_version = envelope_version

    @property
    def secure(self):
        return bool(self._key or self._key_lookup)

    @property
    def sends_envelopes(self):
        return bool(self._key) and \
            self._envelope_version >= rpc_envelope.VERSION

    @property
    def key(self):
        return self._key

    @property
    def key_id(self):
        return self._key_id

    @property
    def key_lookup(self):
        return self._key_lookup

    @staticmethod
    def to_primitive(entity):
        return jsonutils.to_primitive(entity, convert_instances=True)

    def _opened(self, ctxt):
        """The envelope a server-side context came from, if any.

        Only a server serializer asks: a context an endpoint passes on to
        its own client calls keeps the attribute.
        """
        if self._key_lookup is None:
            return None
        return getattr(ctxt, _OPENED_ATTR, None)

    def _key_for(self, ctxt):
        if self._key:
            return self._key, self._key_id
        key_id = getattr(ctxt, _KEY_ID_FIELD, None)
        key = self._key_lookup(key_id) if key_id else None
        if not key:
            raise SecureRPCError('no RPC key for key id %r' % key_id)
        return key, key_id

    def serialize_entity(self, ctxt, entity):
        entity = self.to_primitive(entity)
        if not self.secure:
            return entity
        opened = self._opened(ctxt)
        if opened is not None:
            # The reply to an envelope, bound to its nonce.
            return rpc_envelope.seal_reply(opened.key, opened.key_id,
                                           opened.nonce, entity)
        key, key_id = self._key_for(ctxt)
        # The older per-argument form, for peers of the previous release.
        return {_SEALED_FIELD: crypto.encrypt_v1(
            key, jsonutils.dumps(entity), key_id.encode('utf-8'))}

    def deserialize_entity(self, ctxt, entity):
        if isinstance(ctxt, rpc_envelope.SealedRequest):
            return rpc_envelope.open_reply(ctxt, entity)
        if not self.secure:
            return entity
        if self._opened(ctxt) is not None:
            return entity  # opened with the envelope by the dispatcher
        if not (isinstance(entity, dict) and set(entity) == {_SEALED_FIELD}):
            raise SecureRPCError('refusing an unencrypted RPC payload')
        key, key_id = self._key_for(ctxt)
        try:
            plain = crypto.decrypt(key, entity[_SEALED_FIELD],
                                   key_id.encode('utf-8'))
        except crypto.DecryptionError as exc:
            raise SecureRPCError('cannot decrypt RPC payload sealed for key '
                                 'id %r: wrong key or tampered message'
                                 % key_id) from exc
        return jsonutils.loads(plain)

    def serialize_context(self, ctxt):
        if isinstance(ctxt, rpc_envelope.SealedRequest):
            return ctxt.wire
        values = ctxt.to_dict()
        if not self._key:
            if self._key_id:
                values[_KEY_ID_FIELD] = self._key_id
            return values
        # The whole context travels sealed: it holds the caller's token,
        # roles and project, which nobody else on the bus may read or
        # change. Opening it also proves the sender holds the key.
        return {_KEY_ID_FIELD: self._key_id,
                _PROOF_FIELD: crypto.encrypt_v1(
                    self._key, jsonutils.dumps(values),
                    self._key_id.encode('utf-8'))}

    def deserialize_context(self, ctxt):
        if isinstance(ctxt, rpc_envelope.OpenedRequest):
            context = trove_context.RequestContext.from_dict(
                ctxt.context_values)
            set_sender_key_id(context, ctxt.key_id)
            setattr(context, _OPENED_ATTR, ctxt)
            return context
        values = dict(ctxt)
        key_id = values.pop(_KEY_ID_FIELD, None)
        proof = values.pop(_PROOF_FIELD, None)
        if self._key_lookup:
            values = self._open_context(key_id, proof)
        context = trove_context.RequestContext.from_dict(values)
        set_sender_key_id(context, key_id)
        return context

    def _open_context(self, key_id, proof):
        if not proof or not key_id:
            raise SecureRPCError('refusing an unencrypted RPC message')
        key = self._key_lookup(key_id)
        if not key:
            raise SecureRPCError('no RPC key for key id %r' % key_id)
        try:
            return jsonutils.loads(crypto.decrypt(
                key, proof, key_id.encode('utf-8')))
        except crypto.DecryptionError as exc:
            raise SecureRPCError('cannot decrypt RPC message sealed for key '
                                 'id %r: wrong key or tampered message'
                                 % key_id) from exc


def client_serializer(key_id=CONTROL_KEY_ID, key=None):
    """The serializer an RPC client uses, given the secure-RPC setting.

    ``key`` defaults to the control-plane key for ``control`` messages;
    messages to a guest must be given that instance's key.
    """
    if not secure_enabled():
        return RequestContextSerializer()
    if key is None and key_id == CONTROL_KEY_ID:
        key = control_ring()
    if not key:
        raise SecureRPCError('secure RPC is on but no key was given for %s'
                             % key_id)
    if not isinstance(key, crypto.KeyRing):
        key = crypto.KeyRing([key], keys.RPC_CONTROL if key_id ==
                             CONTROL_KEY_ID else keys.RPC_INSTANCE)
    return RequestContextSerializer(
        key=key, key_id=key_id,
        envelope_version=CONF.rpc_envelope_version)


def server_serializer(key_lookup, replies=True):
    """The serializer an RPC server uses, given the secure-RPC setting.

    ``replies=False`` for a server of casts only: nothing goes back, so
    no result is sealed.
    """
    if not secure_enabled():
        serializer = RequestContextSerializer()
    else:
        serializer = RequestContextSerializer(key_lookup=key_lookup)
    if not replies:
        serializer.serialize_entity = _no_reply
    return serializer


def _no_reply(ctxt, entity):
    return None


class ClientCache:
    """RPC clients of one target, one per transport.

    A call whose context is targeted at another cell
    (``context.cell_transport``) goes over that cell's bus; every other
    call over this process's own.
    """

    def __init__(self, target, version_cap, serializer_factory):
        self._target = target
        self._version_cap = version_cap
        self._serializer_factory = serializer_factory
        self._clients = {}
        self._lock = threading.Lock()

    def for_context(self, context):
        """The client to use for a call made with ``context``."""
        transport = getattr(context, 'cell_transport', None)
        transport = transport or get_transport()
        with self._lock:
            # The transport is kept beside its client so that its id is
            # never reused by another transport while cached here.
            entry = self._clients.get(id(transport))
            if entry is None:
                client = get_client(self._target,
                                    version_cap=self._version_cap,
                                    serializer=self._serializer_factory(),
                                    transport=transport)
                entry = self._clients[id(transport)] = (transport, client)
            return entry[1]
