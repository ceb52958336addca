"""The root record and the password change flow, on SQLite with fake
guests at the boundary."""

import pytest

from trove_mr.common import cfg
from trove_mr.common import crypto
from trove_mr.common import keys
from trove_mr.db.main import api as db_api
from trove_mr.flows import engine
from trove_mr.flows import guest
from trove_mr.flows import root as root_flow


@pytest.fixture
def version(ctx):
    db_api.datastore_create(ctx, {'name': 'redis'})
    return db_api.datastore_version_create(
        ctx, 'redis', {'name': '7.0', 'manager': 'redis',
                       'image_name': 'redis-7', 'default': True})


def _instance(ctx, version, **values):
    values.update(name='db', tenant_id='tenant-a',
                  datastore_version_id=version.id, region_name='RegionOne')
    return db_api.instance_create(ctx, values)


class FakeGuests:
    def __init__(self):
        self.calls = []
        self.fail_on = None

    def client(self, context, instance_id):
        guests = self

        class Client:
            def change_password(self, password, masterauth=True):
                if guests.fail_on == instance_id:
                    raise RuntimeError('guest down')
                guests.calls.append((instance_id, 'requirepass',
                                     password, masterauth))

            def set_masterauth(self, password):
                guests.calls.append((instance_id, 'masterauth', password,
                                     True))
        return Client()


@pytest.fixture
def guests(monkeypatch):
    fake = FakeGuests()
    monkeypatch.setattr(guest, 'guest_client', fake.client)
    return fake


def test_record_enable_disable_and_restore(ctx):
    assert db_api.root_get(ctx, 'i-1') is None
    db_api.root_set_enabled(ctx, 'instance', 'i-1', True, user_id='u')
    row = db_api.root_get(ctx, 'i-1')
    assert (row.enabled, row.enabled_by, row.disabled_at) == (True, 'u',
                                                              None)
    db_api.root_set_enabled(ctx, 'instance', 'i-1', False)
    row = db_api.root_get(ctx, 'i-1')
    assert row.enabled is False and row.disabled_at is not None
    assert row.enabled_by == 'u'
    db_api.root_restore(ctx, 'instance', 'i-1', None)
    assert db_api.root_get(ctx, 'i-1') is None


def test_kept_password_is_encrypted_and_bound_to_its_resource(ctx):
    db_api.root_password_set(ctx, 'instance', 'i-1', 'p' * 20)
    assert db_api.root_password_get(ctx, 'i-1') == 'p' * 20
    sealed = db_api.root_get(ctx, 'i-1').encrypted_password
    assert 'p' * 20 not in sealed
    # Moved to another resource, it does not decrypt.
    db_api.root_set_enabled(ctx, 'instance', 'i-2', True)
    with pytest.raises(crypto.DecryptionError):
        keys.ring(keys.ROOT_PASSWORD).decrypt(sealed, b'i-2')
    assert db_api.root_password_get(ctx, 'i-2') is None


def test_instance_flow_sets_master_then_replicas_masterauth(
        ctx, version, guests):
    master = _instance(ctx, version)
    replica = _instance(ctx, version, replica_of_id=master.id)
    engine.run_here(ctx, root_flow.get_flow,
                    {'resource_type': 'instance', 'resource_id': master.id,
                     'targets': root_flow.targets_of(ctx, 'instance',
                                                     master.id)},
                    secrets={'password': 'n' * 24})
    assert guests.calls == [(master.id, 'requirepass', 'n' * 24, True),
                            (replica.id, 'masterauth', 'n' * 24, True)]
    assert db_api.root_password_get(ctx, master.id) == 'n' * 24


def test_a_failed_guest_keeps_no_password(ctx, version, guests):
    master = _instance(ctx, version)
    guests.fail_on = master.id
    with pytest.raises(RuntimeError):
        engine.run_here(ctx, root_flow.get_flow,
                        {'resource_type': 'instance',
                         'resource_id': master.id,
                         'targets': root_flow.targets_of(ctx, 'instance',
                                                         master.id)},
                        secrets={'password': 'n' * 24})
    assert db_api.root_password_get(ctx, master.id) is None


def test_a_superseded_change_stops_and_keeps_nothing(ctx, version, guests):
    master = _instance(ctx, version)
    db_api.root_set_enabled(ctx, 'instance', master.id, True,
                            change_id='older')
    db_api.root_set_enabled(ctx, 'instance', master.id, True,
                            change_id='newer')
    store = {'resource_type': 'instance', 'resource_id': master.id,
             'targets': root_flow.targets_of(ctx, 'instance', master.id),
             'change_id': 'older'}
    engine.run_here(ctx, root_flow.get_flow, store,
                    secrets={'password': 'o' * 24})
    assert guests.calls == []
    assert db_api.root_password_get(ctx, master.id) is None
    engine.run_here(ctx, root_flow.get_flow, dict(store, change_id='newer'),
                    secrets={'password': 'n' * 24})
    assert guests.calls == [(master.id, 'requirepass', 'n' * 24, True)]
    assert db_api.root_password_get(ctx, master.id) == 'n' * 24


def test_kept_passwords_follow_a_key_rotation(ctx):
    conf = cfg.CONF
    old, new = conf.inst_rpc_key_encr_key, 'a-new-instance-key-secret-1234'
    db_api.root_password_set(ctx, 'instance', 'inst-1', 'first-password')
    # A password kept by the earlier form (the generic purpose).
    legacy = crypto.encrypt(old, 'legacy-password', b'inst-2')
    db_api.root_password_set(ctx, 'instance', 'inst-2', 'placeholder')
    from trove_mr.db.main import root
    with root.engines.region_context_manager(ctx).writer.using(ctx) as s:
        root._row(s, 'inst-2').encrypted_password = legacy
    conf.set_override('inst_rpc_key_encr_key', new)
    conf.set_override('inst_rpc_key_encr_old_keys', [old])
    try:
        # Readable through the old key until rewrapped...
        assert db_api.root_password_get(ctx, 'inst-1') == 'first-password'
        assert db_api.root_password_get(ctx, 'inst-2') == 'legacy-password'
        assert set(db_api.root_password_key_ids(ctx)) == {
            crypto.key_id(old)}
        assert db_api.root_passwords_rewrap(ctx) == 2
        assert db_api.root_password_key_ids(ctx) == {crypto.key_id(new): 2}
        assert db_api.root_passwords_rewrap(ctx) == 0
        # ...and through the new key alone once the old one is retired.
        conf.set_override('inst_rpc_key_encr_old_keys', [])
        assert db_api.root_password_get(ctx, 'inst-1') == 'first-password'
        assert db_api.root_password_get(ctx, 'inst-2') == 'legacy-password'
    finally:
        conf.clear_override('inst_rpc_key_encr_key')
        conf.clear_override('inst_rpc_key_encr_old_keys')
