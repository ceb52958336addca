"""A cluster grown with rebalance and shrunk with drain, under traffic.

Three masters over both regions hold 50,000 keys. A writer and a reader
run from before the grow until after the shrink: the cluster grows by a
RegionTwo master with ``"rebalance": true``, then a RegionOne master
leaves with ``"drain": true``. At the end every key written, before and
during the moves, reads back with its last value; the clients saw no error
(the MOVED and ASK redirects they followed are not errors); masters own
even shares; and no slot is left migrating or importing.
"""

import pytest

from tests.functional.cluster import helpers
from tests.functional.cluster import traffic as tr

KEYS = 50000


@pytest.fixture(scope='module')
def cluster(system):
    state = tr.create(system, 'online',
                      ['RegionOne', 'RegionTwo', 'RegionOne'])
    yield state
    tr.delete(state)


def test_grow_rebalance_and_drain_shrink_under_traffic(cluster):
    tr.fill(cluster, KEYS)
    assert tr.slot_counts(cluster) == [5461, 5461, 5462]
    first = cluster['view']['ip'][0]
    leaving = next(m for m in cluster['view']['instances']
                   if m['region'] == 'RegionOne' and first not in m['ip'])
    with tr.Traffic(cluster, KEYS) as traffic:
        answer = tr.action(cluster, {'grow': [
            {'name': 'online-member-4', 'flavorRef': '7',
             'volume': {'size': 1}, 'region': 'RegionTwo'}],
            'rebalance': True})
        assert answer.status_code == 202, answer.text
        grown = helpers.wait_ready(cluster['session'], cluster['url'])
        assert len(grown['instances']) == 4
        assert tr.slot_counts(cluster) == [4096] * 4
        writes_after_grow = traffic.writes
        answer = tr.action(cluster, {'shrink': [{'id': leaving['id']}],
                                     'drain': True})
        assert answer.status_code == 202, answer.text
        cluster['view'] = helpers.wait_ready(cluster['session'],
                                             cluster['url'])
    assert traffic.errors == [], traffic.errors[:10]
    assert traffic.writes > writes_after_grow > 0
    assert traffic.reads > 0
    assert [m['id'] for m in cluster['view']['instances']
            if m['id'] == leaving['id']] == []
    assert len(cluster['view']['instances']) == 3
    assert tr.slot_counts(cluster) == [5461, 5461, 5462]
    assert tr.open_slots(cluster) == []
    tr.assert_last_values(cluster, KEYS, traffic.last)
