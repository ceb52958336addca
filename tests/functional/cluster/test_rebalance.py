"""Online rebalance of a Redis cluster over two regions.

A two-master cluster grows by an empty RegionTwo master, then rebalances
while a client writes and reads throughout; later a weight of 0 empties a
master, which can then be shrunk away. Every key written before and
during the moves reads back with its last value, the writer sees no error
(redis-py follows MOVED and ASK), masters own even shares and no slot is
left migrating or importing.
"""

import time

import pytest

from tests.functional.cluster import helpers
from tests.functional.cluster import traffic as tr

KEYS = 5000


@pytest.fixture(scope='module')
def cluster(system):
    state = tr.create(system, 'rebalanced', ['RegionOne', 'RegionTwo'])
    yield state
    tr.delete(state)


def test_bad_weights_are_refused_and_change_nothing(cluster):
    answer = tr.action(cluster, {'rebalance': {'weights': {
        '00000000-0000-0000-0000-000000000000': 2}}})
    assert answer.status_code == 400, answer.text
    assert 'rebalance.weights' in answer.json()['badRequest']['message']
    masters = [m['id'] for m in cluster['view']['instances']]
    answer = tr.action(cluster, {'rebalance': {'weights': {
        m: 0 for m in masters}}})
    assert answer.status_code == 400, answer.text
    view = helpers.get(cluster['session'], cluster['url']).json()['cluster']
    assert view['task']['name'] == 'NONE'


def test_grow_then_rebalance_online_keeps_every_key(cluster):
    tr.fill(cluster, KEYS)
    answer = tr.action(cluster, {'grow': [
        {'name': 'rebalanced-member-3', 'flavorRef': '7',
         'volume': {'size': 1}, 'region': 'RegionTwo'}]})
    assert answer.status_code == 202, answer.text
    cluster['view'] = helpers.wait_ready(cluster['session'], cluster['url'])
    assert tr.slot_counts(cluster) == [0, 8192, 8192]

    with tr.Traffic(cluster, KEYS) as traffic:
        answer = tr.action(cluster, {'rebalance': {}})
        assert answer.status_code == 202, answer.text
        busy = tr.action(cluster, {'rebalance': {}})
        assert busy.status_code == 409
        progress = tr.wait_rebalanced(cluster)
        time.sleep(1)
    assert traffic.errors == []
    assert traffic.writes > 0 and traffic.reads > 0
    assert any(p.startswith('Rebalancing: ') for p in progress), progress
    assert tr.slot_counts(cluster) == [5461, 5461, 5462]
    assert tr.open_slots(cluster) == []
    tr.assert_last_values(cluster, KEYS, traffic.last)


def test_a_zero_weight_empties_a_master_which_then_shrinks_away(cluster):
    view = helpers.get(cluster['session'], cluster['url']).json()['cluster']
    leaving = next(m for m in view['instances']
                   if m['name'] == 'rebalanced-member-3')
    answer = tr.action(cluster, {'rebalance': {'weights': {leaving['id']: 0}}})
    assert answer.status_code == 202, answer.text
    tr.wait_rebalanced(cluster)
    assert tr.slot_counts(cluster) == [0, 8192, 8192]
    answer = tr.action(cluster, {'shrink': [{'id': leaving['id']}]})
    assert answer.status_code == 202, answer.text
    cluster['view'] = helpers.wait_ready(cluster['session'], cluster['url'])
    assert leaving['id'] not in [m['id'] for m in cluster['view']
                                 ['instances']]
    _assert_every_key(cluster)


def _assert_every_key(cluster):
    client = tr.client(cluster)
    try:
        assert sum(1 for i in range(KEYS)
                   if client.get('key-%d' % i) is not None) == KEYS
    finally:
        client.close()


def test_grow_with_rebalance_then_shrink_with_drain(cluster):
    for body in ({'rebalance': True}, {'grow': [], 'drain': True},
                 {'shrink': [{'id': cluster['view']['instances'][0]['id']}],
                  'rebalance': True}):
        answer = tr.action(cluster, body)
        assert answer.status_code == 400, (body, answer.text)
    answer = tr.action(cluster, {'grow': [
        {'name': 'rebalanced-member-4', 'flavorRef': '7',
         'volume': {'size': 1}, 'region': 'RegionTwo'}], 'rebalance': True})
    assert answer.status_code == 202, answer.text
    cluster['view'] = helpers.wait_ready(cluster['session'], cluster['url'])
    assert tr.slot_counts(cluster) == [5461, 5461, 5462]
    assert tr.open_slots(cluster) == []
    new = next(m for m in cluster['view']['instances']
               if m['name'] == 'rebalanced-member-4')
    with tr.Traffic(cluster, KEYS) as traffic:
        answer = tr.action(cluster, {'shrink': [{'id': new['id']}],
                                   'drain': True})
        assert answer.status_code == 202, answer.text
        cluster['view'] = helpers.wait_ready(cluster['session'],
                                             cluster['url'])
    assert traffic.errors == []
    assert traffic.writes > 0 and traffic.reads > 0
    assert new['id'] not in [m['id'] for m in cluster['view']['instances']]
    assert tr.slot_counts(cluster) == [8192, 8192]
    assert tr.open_slots(cluster) == []
    _assert_every_key(cluster)
