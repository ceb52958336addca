"""The Redis taskmanager strategy with fake guests and fake builds."""

import pytest
from taskflow import task
from taskflow.patterns import linear_flow

from tests.unit.cluster.conftest import FakeGuests
from trove_mr.cluster import strategy
from trove_mr.cluster.redis import password
from trove_mr.cluster.redis.flows import join as cluster_join
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import crypto
from trove_mr.db.main import api as db_api
from trove_mr.flows import create_instance

CONF = cfg.CONF


def _joiner(ids):
    guests = FakeGuests()
    return guests, cluster_join.ClusterJoiner(
        {i: guests.guest_client(None, i) for i in ids})


def test_form_meets_from_first_master_and_splits_slots_evenly():
    guests, joiner = _joiner(['m1', 'm2', 'm3', 's1'])
    ranges = cluster_join.form(joiner, ['m1', 'm2', 'm3'], {'s1': 'm2'})
    assert ranges == {'m1': [0, 5461], 'm2': [5462, 10922],
                      'm3': [10923, 16383]}
    meets = [c for c in guests.calls if c[1] == 'cluster_meet']
    assert {c[0] for c in meets} == {'m1'}
    assert sorted(c[2] for c in meets) == sorted(
        joiner.address(i)[0] for i in ('m2', 'm3', 's1'))
    assert ('s1', 'cluster_replicate') + tuple(joiner.address('m2')) in \
        guests.calls
    assert sorted(c[0] for c in guests.calls
                  if c[1] == 'cluster_complete') == ['m1', 'm2', 'm3', 's1']


def test_extend_adds_no_slots_and_attaches_replicas():
    guests, joiner = _joiner(['old', 'new', 'rep'])
    cluster_join.extend(joiner, 'old', ['new'], {'rep': 'old'})
    assert not [c for c in guests.calls if c[1] == 'cluster_addslots']
    assert {c[0] for c in guests.calls if c[1] == 'cluster_meet'} == \
        {'old'}
    assert ('rep', 'cluster_replicate') + tuple(joiner.address('old')) in \
        guests.calls


def test_cluster_password_is_stable_per_cluster_and_key():
    first = password.derived_cluster_password('c-1')
    assert first == password.derived_cluster_password('c-1')
    assert first != password.derived_cluster_password('c-2')
    # Its own key: not the value the previous release derived.
    assert first != password.legacy_cluster_password('c-1')
    CONF.set_override('cluster_password_encr_key', 'another key')
    try:
        assert password.derived_cluster_password('c-1') != first
    finally:
        CONF.clear_override('cluster_password_encr_key')


def test_strategies_load_from_the_redis_options():
    from trove_mr.cluster.redis import api as redis_api
    from trove_mr.cluster.redis import guestagent
    assert isinstance(strategy.api_strategy('redis'),
                      redis_api.RedisAPIStrategy)
    assert isinstance(strategy.guestagent_strategy('redis'),
                      guestagent.RedisGuestAgentStrategy)
    with pytest.raises(Exception) as raised:
        strategy.check_support('cassandra')
    assert getattr(raised.value, 'code', None) == 400


def _cluster(databases, n=3):
    ctx = trove_context.get_admin_context()
    version = db_api.datastore_version_get_by_name(ctx, 'redis', '7.0')
    cluster = db_api.cluster_create(ctx, {
        'name': 'c', 'tenant_id': 'p1', 'datastore_version_id': version.id,
        'task_id': 2, 'task_name': 'BUILDING_INITIAL'})
    for i in range(n):
        db_api.instance_create(ctx, {
            'name': 'c-member-%d' % (i + 1), 'tenant_id': 'p1',
            'datastore_version_id': version.id, 'cluster_id': cluster.id,
            'type': 'master', 'task_status': 'BUILDING'})
    return ctx, cluster


class FakeBuild(task.Task):
    """A member build that ends NONE, or fails for the member chosen."""

    failing = set()
    built = []

    def execute(self, context, instance_id, password, guest_config):
        FakeBuild.built.append((instance_id, password, guest_config))
        if instance_id in FakeBuild.failing:
            raise RuntimeError('no server for %s' % instance_id)
        db_api.instance_update(context, instance_id,
                               {'task_status': 'NONE'})

    def revert(self, context, instance_id, **kwargs):
        db_api.instance_update(context, instance_id,
                               {'task_status': 'ERROR'})


@pytest.mark.parametrize('one_fails', [False, True])
def test_create_ends_none_when_formed_and_failed_when_a_member_fails(
        databases, guests, monkeypatch, one_fails):
    ctx, cluster = _cluster(databases)
    members = db_api.instances_by_cluster(ctx, cluster.id)
    FakeBuild.built = []
    FakeBuild.failing = {members[1].id} if one_fails else set()

    def fake_subflow(prefix=''):
        flow = linear_flow.Flow(prefix + 'fake-build')
        flow.add(FakeBuild(name=prefix + 'build', rebind={
            'instance_id': prefix + 'instance_id',
            'guest_config': prefix + 'guest_config'}))
        return flow
    monkeypatch.setattr(create_instance, 'instance_subflow', fake_subflow)
    CONF.set_override('jobboard_backend', 'none', group='taskflow')
    try:
        tm = strategy.taskmanager_strategy('redis', None)
        tm.create_cluster(ctx, cluster.id,
                          {m.id: {'region_name': 'RegionOne'}
                           for m in members})
    finally:
        CONF.clear_override('jobboard_backend', group='taskflow')
    task_name = db_api.cluster_get(ctx, cluster.id).task_name
    assert task_name == ('FAILED' if one_fails else 'NONE')
    assert sorted(b[0] for b in FakeBuild.built) == sorted(
        m.id for m in members)
    assert {b[1] for b in FakeBuild.built} == {
        password.cluster_password(cluster.id, ctx)}
    assert {b[2]['cluster']['cluster_id'] for b in FakeBuild.built} == {
        cluster.id}
    slot_calls = [c for c in guests.calls if c[1] == 'cluster_addslots']
    assert len(slot_calls) == (0 if one_fails else 3)
    if one_fails:
        # The failure reverted every member the job was building.
        assert {m.task_status for m in db_api.instances_by_cluster(
            ctx, cluster.id)} == {'ERROR'}


def test_stored_cluster_password_survives_a_key_rotation(databases):
    ctx = trove_context.get_admin_context()
    version = db_api.datastore_version_get_by_name(ctx, 'redis', '7.0')
    new_pw, sealed = password.new_sealed_password('c-new')
    db_api.cluster_create(ctx, {'id': 'c-new', 'name': 'n', 'tenant_id': 't',
                                'datastore_version_id': version.id,
                                'encrypted_password': sealed})
    db_api.cluster_create(ctx, {'id': 'c-old', 'name': 'o', 'tenant_id': 't',
                                'datastore_version_id': version.id})
    old_pw = password.legacy_cluster_password('c-old')
    assert password.cluster_password('c-new', ctx) == new_pw
    assert password.cluster_password('c-old', ctx) == old_pw
    old_secret = CONF.inst_rpc_key_encr_key
    CONF.set_override('inst_rpc_key_encr_key', 'rotated')
    CONF.set_override('inst_rpc_key_encr_old_keys', [old_secret])
    try:
        # During the change both are still what they were...
        assert password.cluster_password('c-new', ctx) == new_pw
        assert password.cluster_password('c-old', ctx) == old_pw
        assert password.rewrap_all(ctx) == 2
        assert db_api.cluster_password_key_ids(ctx) == {
            crypto.key_id('rotated'): 2}
        # ...and after the old key is retired too.
        CONF.clear_override('inst_rpc_key_encr_old_keys')
        assert password.cluster_password('c-new', ctx) == new_pw
        assert password.cluster_password('c-old', ctx) == old_pw
    finally:
        CONF.clear_override('inst_rpc_key_encr_key')
        CONF.clear_override('inst_rpc_key_encr_old_keys')
