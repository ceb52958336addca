"""A Redis Cluster built only through the guest's cluster operations."""

import time

import pytest
import redis
from redis.cluster import ClusterNode
from redis.cluster import RedisCluster

from trove_mr.cluster.redis import slots


def _slot_count(nodes):
    return sum(last - first + 1 for node in nodes
               for first, last in node['slots'])


def _wait_until(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, 'condition not met in time'
        time.sleep(0.05)


def _join(cluster_masters, newcomer):
    """Start ``newcomer`` and MEET it from the first master."""
    newcomer.start(timeout=10)
    ip, port = newcomer.cluster.get_node_ip()
    cluster_masters[0].cluster.cluster_meet(ip, port)
    new_id = newcomer.cluster.get_node_id()
    for node in cluster_masters:
        _wait_until(lambda n=node: any(
            m['id'] == new_id and 'handshake' not in m['flags']
            for m in n.cluster.cluster_nodes()))
    return new_id


@pytest.fixture(scope='module')
def masters(module_redis_node_factory):
    """Three masters sharing one password, slots split evenly."""
    first = module_redis_node_factory(clustered=True)
    nodes = [first] + [
        module_redis_node_factory(clustered=True, password=first.password)
        for _ in range(2)]
    for node in nodes:
        node.start(timeout=10)
    for node in nodes[1:]:
        ip, port = node.cluster.get_node_ip()
        first.cluster.cluster_meet(ip, port)
    for node, (first_slot, last_slot) in zip(
            nodes, slots.even_slot_ranges(len(nodes)), strict=True):
        node.cluster.cluster_addslots(first_slot, last_slot)
    for node in nodes:
        node.cluster.cluster_complete(timeout=30)
    return nodes


def test_three_masters_cover_every_slot_and_serve_keys(masters):
    for node in masters:
        info = node.cluster.cluster_info()
        assert info['cluster_state'] == 'ok'
        assert info['cluster_slots_assigned'] == 16384
        assert info['cluster_slots_ok'] == 16384
    nodes = masters[0].cluster.cluster_nodes()
    assert len(nodes) == 3
    assert _slot_count(nodes) == 16384
    assert sorted(n['slots'][0] for n in nodes) == \
        slots.even_slot_ranges(3)

    ip, port = masters[1].cluster.get_node_ip()
    client = RedisCluster(startup_nodes=[ClusterNode(ip, port)],
                          password=masters[0].password,
                          decode_responses=True)
    try:
        for i in range(1000):
            client.set('key-%d' % i, 'value-%d' % i)
        assert all(client.get('key-%d' % i) == 'value-%d' % i
                   for i in range(1000))
    finally:
        client.close()
    # Keys really are spread over the three masters.
    assert all(node.client().dbsize() > 0 for node in masters)


def test_empty_master_joins_and_is_forgotten_on_removal(
        masters, module_redis_node_factory):
    newcomer = module_redis_node_factory(clustered=True,
                                         password=masters[0].password)
    new_id = _join(masters, newcomer)
    new_view = [n for n in masters[0].cluster.cluster_nodes()
                if n['id'] == new_id][0]
    assert 'master' in new_view['flags']
    assert new_view['slots'] == []

    assert masters[0].cluster.get_node_id_for_removal() is None
    assert newcomer.cluster.get_node_id_for_removal() == new_id

    for node in masters:
        assert node.cluster.remove_nodes([new_id, 'f' * 40]) == [new_id]
    newcomer.cluster.reset_for_removal()

    for node in masters:
        assert new_id not in [n['id'] for n in node.cluster.cluster_nodes()]
        assert node.cluster.cluster_complete(timeout=10)[
            'cluster_known_nodes'] == 3
    assert newcomer.cluster.cluster_info()['cluster_known_nodes'] == 1


def test_replica_follows_its_master(masters, module_redis_node_factory):
    replica = module_redis_node_factory(clustered=True,
                                        password=masters[0].password)
    _join(masters, replica)
    master_id = masters[1].cluster.get_node_id()

    replica.cluster.cluster_replicate(master_id, timeout=20)

    def replica_listed_everywhere():
        for node in masters:
            view = [n for n in node.cluster.cluster_nodes()
                    if n['id'] == replica.cluster.get_node_id()]
            if not view or 'slave' not in view[0]['flags'] or \
                    view[0]['master_id'] != master_id:
                return False
        return True

    _wait_until(replica_listed_everywhere)
    replica.replication.wait_for_sync(timeout=20)
    _wait_until(lambda: replica.client().dbsize() ==
                masters[1].client().dbsize())
    info = replica.replication.replication_info()
    assert info['role'] == 'slave'
    assert info['master_host'] == masters[1].address
    assert replica.cluster.get_node_id_for_removal() == \
        replica.cluster.get_node_id()


def test_slot_mover_moves_every_key_of_a_batch_of_slots(masters):
    from trove_mr.guestagent.datastore.redis import cluster as redis_cluster
    source, target = masters[0], masters[1]
    owned = source.cluster.cluster_nodes()
    first = [n for n in owned if n['myself']][0]['slots'][0][0]
    moving = list(range(first, first + 70))  # more than one SLOT_BATCH
    raw = source.client().connection_pool.connection_kwargs
    client = redis.Redis(host=raw['host'], port=raw['port'],
                         password=source.password)
    # More keys in one slot than a MIGRATE batch, and a key that is not
    # UTF-8, by hash tags of the slots moved.
    tag = None
    for i in range(100000):
        if client.cluster('keyslot', 'tag%d' % i) == first:
            tag = 'tag%d' % i
            break
    pipe = client.pipeline(transaction=False)
    for i in range(redis_cluster.MIGRATE_BATCH + 50):
        pipe.set('{%s}:%d' % (tag, i), 'x' * 50)
    pipe.set(b'{' + tag.encode() + b'}:\xff\xfe', b'binary')
    pipe.execute()
    in_slots = sum(client.cluster('countkeysinslot', s) for s in moving)

    ip, port = target.cluster.get_node_ip()
    target_id = target.cluster.get_node_id()
    mover = redis_cluster.SlotMover(source.cluster)
    done = mover.migrate(moving, ip, port, target_id)

    assert done['slots'] == 70 and done['keys'] == in_slots
    assert done['bytes'] > 50 * redis_cluster.MIGRATE_BATCH
    assert all(client.cluster('countkeysinslot', s) == 0 for s in moving)
    moved_to = [n for n in target.cluster.cluster_nodes() if n['myself']][0]
    held = {s for a, b in moved_to['slots'] for s in range(a, b + 1)}
    assert set(moving) <= held
    assert mover.settle() == []
    # Run again (a resumed job): nothing left to move here.
    assert mover.migrate(moving, ip, port, target_id)['slots'] == 0
    reader = redis.Redis(host=ip, port=port, password=source.password)
    assert reader.get(b'{' + tag.encode() + b'}:\xff\xfe') == b'binary'
    assert reader.cluster('countkeysinslot', first) == \
        redis_cluster.MIGRATE_BATCH + 51


def test_slots_assigned_again_are_kept_and_the_rest_added(
        module_redis_node_factory):
    # A formation run again after its taskmanager died assigns the same
    # slots a second time: those owned already are not refused as busy.
    node = module_redis_node_factory(clustered=True)
    node.start(timeout=10)
    node.cluster.cluster_addslots(0, 99)
    node.cluster.cluster_addslots(0, 199)
    node.cluster.cluster_addslots(50, 149)
    assert node.cluster.my_slots() == [[0, 199]]
