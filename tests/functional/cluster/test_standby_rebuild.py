"""After a failover, the lost members rebuilt in a region of the tenant's
choice.

Three masters in RegionOne, a replica of each in RegionTwo. RegionOne is
lost (its guests frozen: silent sockets, no heartbeats), the cluster
fails over to RegionTwo; then ``rebuild_lost`` in RegionOne (the only
region holding no master) removes the lost members and builds a replica
of every RegionTwo master there: the cluster is whole again, with a
standby region, and holds every key written before the loss.
"""

import time

import pytest

from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers
from tests.functional.cluster import standby_helpers as standby


@pytest.fixture
def standby_cluster(system):
    """A ready 3-shard cluster, primary RegionOne, standby RegionTwo."""
    with standby.ready_standby_cluster(system, 'rebuild') as state:
        yield state


def _action(session, url, body):
    return api_helpers.request(session, 'POST', url + '/action', body)


def _write(ips, password, count):
    client = standby.cluster_client(ips, password, timeout=5)
    try:
        for n in range(count):
            client.set('before-%d' % n, str(n))
    finally:
        client.close()


def _wait_caught_up(session, url, timeout=60):
    """Every standby reported it holds all its master wrote."""
    deadline = time.monotonic() + timeout
    view = None
    while time.monotonic() < deadline:
        view = helpers.get(session, url).json()['cluster']
        if all(s['replication_lag']['bytes'] == 0 for s in view['shards']):
            return view
        time.sleep(0.5)
    raise AssertionError('standbys never caught up: %s' % view)


def test_lost_members_rebuilt_in_the_region_chosen(system, standby_cluster):
    session, url = standby_cluster['session'], standby_cluster['url']
    password = standby_cluster['password']
    view = standby_cluster['view']
    ips = standby.member_ips(view, ('RegionOne',))
    _write(ips, password, 300)
    _wait_caught_up(session, url)

    # Nothing lost yet: nothing to rebuild.
    early = _action(session, url, {'rebuild_lost': {'region': 'RegionOne'}})
    assert early.status_code == 409, early.text

    region_one = [m['id'] for m in view['instances']
                  if m['region'] == 'RegionOne']
    groups = standby.guest_groups(system.cloud.state_dir, 'RegionOne',
                                  region_one)
    assert len(groups) == 3
    standby_cluster['frozen'] = groups
    standby.freeze(groups)
    answer = _action(session, url, {'failover': {'region': 'RegionTwo'}})
    assert answer.status_code == 202, answer.text
    failed_over = helpers.wait_task(session, url, 'NONE', timeout=120)
    assert failed_over['primary_region'] == 'RegionTwo'
    assert sorted(failed_over['failover']['lost_members']) == \
        sorted(region_one)
    masters = sorted(m['id'] for m in failed_over['instances']
                     if m['region'] == 'RegionTwo')

    # The region of the masters, an unknown one, another tenant: refused.
    same = _action(session, url, {'rebuild_lost': {'region': 'RegionTwo'}})
    assert same.status_code == 400, same.text
    assert 'rebuild_lost.region' in same.text
    unknown = _action(session, url,
                      {'rebuild_lost': {'region': 'RegionNine'}})
    assert unknown.status_code == 400, unknown.text
    assert 'rebuild_lost.region' in unknown.text
    alt = system.session('alt_demo')
    alt_url = helpers.clusters_url(system, alt, '/' + standby_cluster['id'])
    assert _action(alt, alt_url, {'rebuild_lost': {
        'region': 'RegionOne'}}).status_code == 404

    answer = api_helpers.request(session, 'POST', url,
                                 {'rebuild_lost': {'region': 'RegionOne'}})
    assert answer.status_code == 202, answer.text
    new = answer.json()['cluster']['instances']
    assert sorted(m['related_to'] for m in new) == masters
    assert {m['region'] for m in new} == {'RegionOne'}
    after = helpers.wait_ready(session, url, timeout=360)

    # The lost members are gone; a RUNNING replica of each master in
    # RegionOne, the standby region now.
    ids = {m['id'] for m in after['instances']}
    assert not ids & set(region_one)
    assert len(after['instances']) == 6
    assert after['primary_region'] == 'RegionTwo'
    assert after['standby_region'] == 'RegionOne'
    record = after['failover']
    assert record['kind'] == 'failover'
    assert record['lost_members'] == []
    assert record['rebuilt_in'] == 'RegionOne'
    assert sorted(record['rebuilt']['removed_members']) == \
        sorted(region_one)
    assert sorted(record['rebuilt']['new_members']) == \
        sorted(m['id'] for m in new)
    by_id = {m['id']: m for m in after['instances']}
    assert sorted(s['master'] for s in after['shards']) == masters
    for shard in after['shards']:
        replica = by_id[shard['standby']]
        assert replica['region'] == 'RegionOne'
        assert replica['status'] == 'ACTIVE'
        assert shard['standby_region'] == 'RegionOne'

    # Redis agrees: six nodes, none failed, each RegionOne node a replica
    # of a RegionTwo master; every slot served.
    region_two_ips = standby.member_ips(after, ('RegionTwo',))[:3]
    region_one_ips = sorted(m['ip'][0] for m in after['instances']
                            if m['region'] == 'RegionOne')
    nodes = helpers.wait_nodes(region_two_ips[0], password, lambda nodes: (
        len(nodes) == 6 and not any('fail' in n['flags']
                                    or 'fail?' in n['flags']
                                    for n in nodes)
        and sorted(n['ip'] for n in nodes if 'slave' in n['flags'])
        == region_one_ips), timeout=60)
    master_ids = {n['id'] for n in nodes if 'master' in n['flags']}
    assert {n['ip'] for n in nodes if n['id'] in master_ids} == \
        set(region_two_ips)
    assert all(n['master_id'] in master_ids for n in nodes
               if 'slave' in n['flags'])
    for ip in region_two_ips + region_one_ips:
        assert helpers.cluster_info(ip, password)['cluster_state'] == 'ok'
    # Every key written before the loss reads back.
    assert standby.missing(region_two_ips, password, range(300),
                           prefix='before') == []
