"""RequestContextSerializer: context round trip and sealed payloads."""

import oslo_messaging as messaging
import pytest

from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import crypto
from trove_mr.common import rpc

CONF = cfg.CONF


@pytest.fixture
def ctx():
    return trove_context.RequestContext(
        user_id='u1', project_id='p1', roles=['member'],
        region_name='RegionTwo', overwrite=False)


def _server_side(client, server, ctx, value):
    """What a server sees of ``value`` sent by ``client``, and the reply."""
    wire_ctx = client.serialize_context(ctx)
    wire_arg = client.serialize_entity(ctx, value)
    server_ctx = server.deserialize_context(wire_ctx)
    received = server.deserialize_entity(server_ctx, wire_arg)
    wire_reply = server.serialize_entity(server_ctx, {'echo': received})
    return wire_arg, received, client.deserialize_entity(ctx, wire_reply)


def test_context_round_trip_keeps_identity_and_region(ctx):
    serializer = rpc.RequestContextSerializer()
    restored = serializer.deserialize_context(
        serializer.serialize_context(ctx))
    assert isinstance(restored, trove_context.RequestContext)
    assert (restored.user_id, restored.project_id) == ('u1', 'p1')
    assert restored.roles == ['member']
    assert restored.region_name == 'RegionTwo'
    assert restored.request_id == ctx.request_id


def test_plain_serializer_passes_values_through(ctx):
    serializer = rpc.RequestContextSerializer()
    wire, received, reply = _server_side(serializer, serializer, ctx,
                                         {'a': [1, 2]})
    assert wire == {'a': [1, 2]}
    assert received == {'a': [1, 2]}
    assert reply == {'echo': {'a': [1, 2]}}


def test_sealed_payload_hides_plaintext_and_round_trips(ctx):
    client = rpc.RequestContextSerializer(key='k1', key_id='instance:i1')
    server = rpc.RequestContextSerializer(
        key_lookup={'instance:i1': 'k1'}.get)
    wire, received, reply = _server_side(client, server, ctx,
                                         {'password': 'hunter2'})
    assert 'hunter2' not in str(wire)
    assert crypto.is_encrypted(wire['trove_mr_sealed'])
    assert received == {'password': 'hunter2'}
    assert reply == {'echo': {'password': 'hunter2'}}


def test_sealed_payload_with_wrong_key_is_refused(ctx):
    client = rpc.RequestContextSerializer(key='wrong', key_id='instance:i1')
    server = rpc.RequestContextSerializer(
        key_lookup={'instance:i1': 'k1'}.get)
    with pytest.raises(rpc.SecureRPCError, match='wrong key'):
        _server_side(client, server, ctx, 'secret')


def test_secure_server_refuses_plaintext(ctx):
    server = rpc.RequestContextSerializer(
        key_lookup={'control': 'k1'}.get)
    with pytest.raises(rpc.SecureRPCError, match='unencrypted'):
        _server_side(rpc.RequestContextSerializer(), server, ctx, 'x')


def test_secure_server_refuses_unknown_key_id(ctx):
    client = rpc.RequestContextSerializer(key='k1', key_id='instance:other')
    server = rpc.RequestContextSerializer(
        key_lookup={'instance:i1': 'k1'}.get)
    with pytest.raises(rpc.SecureRPCError, match='no RPC key'):
        _server_side(client, server, ctx, 'x')


def test_sealed_payload_is_bound_to_its_key_id(ctx):
    # The same key under another key id must not open: a guest cannot
    # pass its message off as the control plane's.
    guest = rpc.RequestContextSerializer(key='k1', key_id='instance:i1')
    control = rpc.RequestContextSerializer(key='k1', key_id='control')
    server = rpc.RequestContextSerializer(key_lookup=lambda key_id: 'k1')
    wire_ctx = guest.serialize_context(ctx)
    wire_ctx['trove_mr_rpc_key_id'] = 'control'
    with pytest.raises(rpc.SecureRPCError):
        server.deserialize_context(wire_ctx)
    server_ctx = server.deserialize_context(control.serialize_context(ctx))
    with pytest.raises(rpc.SecureRPCError):
        server.deserialize_entity(server_ctx,
                                  guest.serialize_entity(ctx, 'x'))


def test_call_without_arguments_is_refused_before_dispatch_on_wrong_key(
        ctx):
    client = rpc.RequestContextSerializer(key='wrong', key_id='control')
    server = rpc.RequestContextSerializer(key_lookup={'control': 'k1'}.get)
    with pytest.raises(rpc.SecureRPCError, match='wrong key'):
        server.deserialize_context(client.serialize_context(ctx))


def test_secure_server_refuses_context_without_key_proof(ctx):
    server = rpc.RequestContextSerializer(key_lookup={'control': 'k1'}.get)
    with pytest.raises(rpc.SecureRPCError, match='unencrypted'):
        server.deserialize_context(
            rpc.RequestContextSerializer().serialize_context(ctx))


def test_guest_key_lookup_only_knows_its_own_instance():
    CONF.set_override('instance_id', 'i1', group='guest')
    CONF.set_override('instance_rpc_encr_key', 'guest-key')
    try:
        assert rpc.guest_key_lookup('instance:i1').secrets == ['guest-key']
        assert rpc.guest_key_lookup('instance:i1').purpose == 'rpc-instance'
        assert rpc.guest_key_lookup('instance:i2') is None
        assert rpc.guest_key_lookup('control') is None
    finally:
        CONF.clear_override('instance_id', group='guest')
        CONF.clear_override('instance_rpc_encr_key')


def test_conductor_key_lookup_uses_instance_key_source():
    rpc.set_instance_key_source({'i1': 'k-i1'}.get)
    try:
        assert rpc.conductor_key_lookup('instance:i1').secrets == ['k-i1']
        assert rpc.conductor_key_lookup('instance:i2') is None
        assert (rpc.conductor_key_lookup('control').secrets
                == [CONF.taskmanager_rpc_encr_key])
    finally:
        rpc.set_instance_key_source(None)


def test_client_serializer_without_guest_key_fails_when_secure():
    CONF.set_override('enable_secure_rpc_messaging', True)
    try:
        with pytest.raises(rpc.SecureRPCError, match='no key'):
            rpc.client_serializer(rpc.instance_key_id('i1'), None)
        assert rpc.client_serializer().secure
    finally:
        CONF.clear_override('enable_secure_rpc_messaging')


def test_client_serializer_is_plain_when_secure_rpc_is_off():
    CONF.set_override('enable_secure_rpc_messaging', False)
    try:
        assert not rpc.client_serializer().secure
        assert not rpc.server_serializer(rpc.control_key_lookup).secure
    finally:
        CONF.clear_override('enable_secure_rpc_messaging')


def test_client_cache_uses_the_cell_transport_of_the_context(ctx):
    own = rpc.get_transport('fake:///own')
    cell = rpc.get_transport('fake:///cell')
    try:
        cache = rpc.ClientCache(messaging.Target(topic='t'), '1.0',
                                rpc.RequestContextSerializer)
        ctx.cell_transport = cell
        to_cell = cache.for_context(ctx)
        assert to_cell.transport is cell
        assert cache.for_context(ctx) is to_cell
        ctx.cell_transport = own
        assert cache.for_context(ctx).transport is own
    finally:
        rpc.cleanup()


def test_get_transport_is_cached_per_url():
    try:
        first = rpc.get_transport('fake:///a')
        assert rpc.get_transport('fake:///a') is first
        assert rpc.get_transport('fake:///b') is not first
    finally:
        rpc.cleanup()


def test_sealed_context_hides_the_token_and_round_trips():
    client = rpc.RequestContextSerializer(key='k1', key_id='control')
    server = rpc.RequestContextSerializer(
        key_lookup=lambda key_id: 'k1' if key_id == 'control' else None)
    # Values long enough never to appear by chance in the ciphertext.
    ctx = trove_context.RequestContext(
        auth_token='TENANT-TOKEN-0123456789', project_id='PROJECT-9876543210',
        roles=['member'], region_name='RegionTwo')
    wire = client.serialize_context(ctx)
    assert 'TENANT-TOKEN-0123456789' not in str(wire)
    assert 'PROJECT-9876543210' not in str(wire)
    opened = server.deserialize_context(wire)
    assert opened.auth_token == 'TENANT-TOKEN-0123456789'
    assert opened.project_id == 'PROJECT-9876543210'
    assert opened.region_name == 'RegionTwo'


def test_context_sealed_under_another_key_is_refused():
    client = rpc.RequestContextSerializer(key='wrong', key_id='control')
    server = rpc.RequestContextSerializer(key_lookup=lambda key_id: 'k1')
    ctx = trove_context.RequestContext(project_id='p1')
    with pytest.raises(rpc.SecureRPCError):
        server.deserialize_context(client.serialize_context(ctx))
