"""The Redis taskmanager strategy with fake guests and fake builds."""

import pytest

from tests.unit.cluster.conftest import FakeGuests
from trove_mr.cluster import strategy
from trove_mr.cluster.redis import password
from trove_mr.cluster.redis.flows import join as cluster_join
from trove_mr.cluster.redis.flows import members as cluster_members
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.db.main import api as db_api

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
    first = password.cluster_password('c-1')
    assert first == password.cluster_password('c-1')
    assert first != password.cluster_password('c-2')
    CONF.set_override('inst_rpc_key_encr_key', 'another key')
    try:
        assert password.cluster_password('c-1') != first
    finally:
        CONF.clear_override('inst_rpc_key_encr_key')


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


@pytest.mark.parametrize('one_fails', [False, True])
def test_create_ends_none_when_formed_and_failed_when_a_member_fails(
        databases, guests, monkeypatch, one_fails):
    ctx, cluster = _cluster(databases)
    built = []

    def build_members(context, keeper, members, placements, pw, config):
        built.append(([m.id for m in members], pw, config))
        return {m.id: not (one_fails and i == 1)
                for i, m in enumerate(members)}
    monkeypatch.setattr(cluster_members, 'build_members', build_members)
    tm = strategy.taskmanager_strategy('redis', None)
    assert tm.create_cluster(ctx, cluster.id, {}) is (not one_fails)
    task = db_api.cluster_get(ctx, cluster.id).task_name
    assert task == ('FAILED' if one_fails else 'NONE')
    assert built[0][1] == password.cluster_password(cluster.id)
    assert built[0][2] == {'cluster_id': cluster.id}
    slot_calls = [c for c in guests.calls if c[1] == 'cluster_addslots']
    assert len(slot_calls) == (0 if one_fails else 3)
