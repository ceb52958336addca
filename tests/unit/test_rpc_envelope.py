"""The sealed RPC envelope: what a receiver refuses, and a real round trip.
"""

import threading

import oslo_messaging as messaging
import pytest

from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import rpc
from trove_mr.common import rpc_envelope

CONF = cfg.CONF
KEYS = {'control': 'k-control', 'instance:i1': 'k-i1'}


@pytest.fixture
def guard():
    return rpc_envelope.ReplayGuard()


def _sealed(method='restart_instance', topic='trove-mr-taskmanager',
            server=None, key_id='control', key=None, now=None,
            args=None):
    target = messaging.Target(topic=topic, server=server, version='1.1')
    ctx = trove_context.RequestContext(project_id='p1', overwrite=False)
    return rpc_envelope.seal_request(
        key or KEYS[key_id], key_id, ctx.to_dict(), method,
        args if args is not None else {'instance_id': 'X'}, target,
        '1.1', None, ctx.request_id, now=now)


def _message(method='restart_instance', version='1.1', args=None):
    return {'method': method, 'version': version, 'args': args or {}}


SERVER = messaging.Target(topic='trove-mr-taskmanager', server='tm1')


def _open(sealed, message=None, target=SERVER, guard=None, now=None):
    return rpc_envelope.open_request(
        KEYS.get, sealed.wire, message or _message(), target, now=now,
        guard=guard or rpc_envelope.ReplayGuard())


def test_envelope_opens_with_its_arguments_and_context():
    opened, args = _open(_sealed())
    assert args == {'instance_id': 'X'}
    assert opened.context_values['project_id'] == 'p1'
    assert opened.key_id == 'control'


def test_envelope_hides_arguments_and_method():
    sealed = _sealed(args={'password': 'hunter2-secret-value'})
    assert 'hunter2-secret-value' not in str(sealed.wire)
    assert 'restart_instance' not in str(sealed.wire)


def test_relabelled_method_is_refused():
    with pytest.raises(rpc.RefusedMessage, match='relabelled'):
        _open(_sealed(), _message(method='delete_instance'))


def test_changed_version_is_refused():
    with pytest.raises(rpc.RefusedMessage, match='version'):
        _open(_sealed(), _message(version='1.3'))


def test_arguments_in_clear_beside_the_envelope_are_refused():
    with pytest.raises(rpc.RefusedMessage, match='outside'):
        _open(_sealed(), _message(args={'instance_id': 'Y'}))


def test_message_sent_to_another_topic_is_refused():
    sealed = _sealed(topic='guestagent.a', key_id='instance:i1')
    with pytest.raises(rpc.RefusedMessage, match='not this server'):
        _open(sealed, target=messaging.Target(topic='guestagent.b'))


def test_message_for_another_named_server_is_refused():
    sealed = _sealed(server='tm2')
    with pytest.raises(rpc.RefusedMessage, match='not this server'):
        _open(sealed)


def test_message_to_another_exchange_is_refused():
    sealed = _sealed()
    other = messaging.Target(exchange='elsewhere',
                             topic='trove-mr-taskmanager', server='tm1')
    with pytest.raises(rpc.RefusedMessage, match='not this server'):
        _open(sealed, target=other)


def test_replay_is_refused_within_the_window(guard):
    sealed = _sealed()
    _open(sealed, guard=guard)
    with pytest.raises(rpc.RefusedMessage, match='replay'):
        _open(sealed, guard=guard)


def test_old_or_future_message_is_refused():
    window = CONF.rpc_message_window
    with pytest.raises(rpc.RefusedMessage, match='window'):
        _open(_sealed(now=1000.0), now=1000.0 + window + 1)
    with pytest.raises(rpc.RefusedMessage, match='window'):
        _open(_sealed(now=1000.0 + window + 1), now=1000.0)
    _open(_sealed(now=1000.0), now=1000.0 + window - 1)


def test_tampered_or_wrong_key_envelope_is_refused():
    sealed = _sealed(key='not-the-key')
    with pytest.raises(rpc.SecureRPCError, match='cannot open'):
        _open(sealed)
    sealed = _sealed()
    sealed.wire['trove_mr_rpc_key_id'] = 'instance:i1'  # other key id
    with pytest.raises(rpc.SecureRPCError):
        _open(sealed)


def test_reply_is_bound_to_its_request():
    first, second = _sealed(), _sealed()
    reply = rpc_envelope.seal_reply('k-control', 'control', first.nonce,
                                    {'ok': 1})
    assert rpc_envelope.open_reply(first, reply) == {'ok': 1}
    with pytest.raises(rpc.SecureRPCError):
        rpc_envelope.open_reply(second, reply)
    with pytest.raises(rpc.SecureRPCError):
        rpc_envelope.open_reply(first, {'ok': 1})


def test_guard_forgets_expired_nonces(guard):
    assert guard.check_and_remember('n', 10.0, 0.0)
    assert not guard.check_and_remember('n', 10.0, 5.0)
    assert guard.check_and_remember('n', 30.0, 20.0)


class _Endpoint:
    target = messaging.Target(version='1.1')

    def __init__(self):
        self.calls = []
        self.done = threading.Event()

    def restart_instance(self, context, instance_id):
        self.calls.append(('restart', instance_id, context.project_id,
                           rpc.sender_key_id(context)))
        self.done.set()
        return {'restarted': instance_id}

    def delete_instance(self, context, instance_id):
        self.calls.append(('delete', instance_id))
        self.done.set()


@pytest.fixture
def fake_bus():
    CONF.set_override('enable_secure_rpc_messaging', True)
    try:
        yield rpc.get_transport('fake:///envelope')
    finally:
        CONF.clear_override('enable_secure_rpc_messaging')
        rpc.cleanup()


def test_call_round_trip_over_a_bus(fake_bus):
    endpoint = _Endpoint()
    server = rpc.get_server(
        messaging.Target(topic='tm', server='s1'), [endpoint],
        serializer=rpc.server_serializer(KEYS.get), transport=fake_bus)
    server.start()
    try:
        client = rpc.get_client(
            messaging.Target(topic='tm', version='1.1'),
            serializer=rpc.client_serializer('control', 'k-control'),
            transport=fake_bus)
        assert isinstance(client, rpc_envelope.EnvelopeClient)
        ctx = trove_context.RequestContext(project_id='p9', overwrite=False)
        reply = client.prepare(timeout=10).call(ctx, 'restart_instance',
                                                instance_id='X')
        assert reply == {'restarted': 'X'}
        assert endpoint.calls == [('restart', 'X', 'p9', 'control')]
    finally:
        server.stop()
        server.wait()


def test_unsealed_message_is_refused_by_a_secure_server(fake_bus):
    endpoint = _Endpoint()
    server = rpc.get_server(
        messaging.Target(topic='tm2', server='s1'), [endpoint],
        serializer=rpc.server_serializer(KEYS.get), transport=fake_bus)
    server.start()
    try:
        client = rpc.get_client(messaging.Target(topic='tm2', version='1.1'),
                                transport=fake_bus)
        ctx = trove_context.RequestContext(project_id='p9', overwrite=False)
        with pytest.raises(Exception, match='unencrypted'):
            client.prepare(timeout=10).call(ctx, 'delete_instance',
                                            instance_id='X')
        assert endpoint.calls == []
    finally:
        server.stop()
        server.wait()


def test_legacy_form_is_read_only_when_allowed(fake_bus):
    endpoint = _Endpoint()
    server = rpc.get_server(
        messaging.Target(topic='tm3', server='s1'), [endpoint],
        serializer=rpc.server_serializer(KEYS.get), transport=fake_bus)
    server.start()
    ctx = trove_context.RequestContext(project_id='p9', overwrite=False)
    legacy = rpc.RequestContextSerializer(key='k-control', key_id='control',
                                          envelope_version=1)
    client = rpc.get_client(messaging.Target(topic='tm3', version='1.1'),
                            serializer=legacy, transport=fake_bus)
    try:
        with pytest.raises(Exception, match='unencrypted'):
            client.prepare(timeout=10).call(ctx, 'restart_instance',
                                            instance_id='X')
        CONF.set_override('rpc_accept_legacy_messages', True)
        reply = client.prepare(timeout=10).call(ctx, 'restart_instance',
                                                instance_id='X')
        assert reply == {'restarted': 'X'}
    finally:
        CONF.clear_override('rpc_accept_legacy_messages')
        server.stop()
        server.wait()


class _FakeMemcache:
    def __init__(self, store=None, up=True):
        self.store = {} if store is None else store
        self.up = up

    def add(self, key, value, time=0):
        if not self.up or key in self.store:
            return False
        self.store[key] = value
        return True

    def get(self, key):
        return self.store.get(key) if self.up else None


def test_shared_guard_refuses_a_replay_seen_by_another_process():
    store = {}
    first = rpc_envelope.SharedReplayGuard([], client=_FakeMemcache(store))
    second = rpc_envelope.SharedReplayGuard([], client=_FakeMemcache(store))
    assert first.check_and_remember('n1', 100.0, 0.0)
    assert not second.check_and_remember('n1', 100.0, 1.0)
    assert second.check_and_remember('n2', 100.0, 1.0)


def test_shared_guard_falls_back_to_its_own_record_when_memcached_is_down():
    guard = rpc_envelope.SharedReplayGuard([], client=_FakeMemcache(up=False))
    assert guard.check_and_remember('n1', 100.0, 0.0)
    assert not guard.check_and_remember('n1', 100.0, 1.0)
