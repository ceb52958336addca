"""A cluster with a standby region: switchover and failover.

Three masters in RegionOne, a replica of each in RegionTwo. A planned
switchover under a running writer loses no acknowledged write; after
RegionOne is lost (its guests frozen: silent sockets, no heartbeats) a
failover through RegionTwo's API keeps every write acknowledged more than
the reported lag before the loss, writes resume, and the cluster says
RegionTwo is primary.
"""

import time

import pytest

from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers
from tests.functional.cluster import standby_helpers as standby

_create = standby.create_cluster


@pytest.fixture
def standby_cluster(system):
    """A ready 3-shard cluster, primary RegionOne, standby RegionTwo."""
    with standby.ready_standby_cluster(system, 'standby') as state:
        yield state


def _action(session, url, body):
    return api_helpers.request(session, 'POST', url + '/action', body)


def test_standby_region_must_be_known_and_another_region(system):
    session = system.session('demo')
    same = _create(system, session, 'same', standby_region='RegionOne')
    assert same.status_code == 400, same.text
    assert 'cluster.standby_region' in same.text
    assert 'RegionOne' in same.text
    unknown = _create(system, session, 'unknown',
                      standby_region='RegionNine')
    assert unknown.status_code == 400, unknown.text
    assert 'RegionNine' in unknown.json()['badRequest']['message']


def test_switchover_loses_no_acknowledged_write(system, standby_cluster):
    view = standby_cluster['view']
    session, url = standby_cluster['session'], standby_cluster['url']
    assert view['primary_region'] == 'RegionOne'
    assert view['standby_region'] == 'RegionTwo'
    assert len(view['shards']) == 3
    by_id = {m['id']: m for m in view['instances']}
    for shard in view['shards']:
        assert shard['primary_region'] == 'RegionOne'
        assert by_id[shard['standby']]['region'] == 'RegionTwo'
        assert by_id[shard['standby']]['related_to'] == shard['master']
        assert shard['replication_lag']['seconds'] is not None
    old_masters = {s['master'] for s in view['shards']}

    # Another tenant's cluster is not there for any new action.
    alt = system.session('alt_demo')
    alt_url = helpers.clusters_url(system, alt, '/' + standby_cluster['id'])
    for body in ({'switchover': {}}, {'failover': {'region': 'RegionTwo'}},
                 {'add_standby': {'region': 'RegionTwo'}}):
        assert _action(alt, alt_url, body).status_code == 404
        assert api_helpers.request(alt, 'POST', alt_url,
                                   body).status_code == 404
    # A standby region is given once.
    again = _action(session, url, {'add_standby': {'region': 'RegionTwo'}})
    assert again.status_code == 400, again.text

    ips = standby.member_ips(view, ('RegionTwo',))
    with standby.Writer(ips, standby_cluster['password']) as writer:
        time.sleep(2)
        answer = api_helpers.request(session, 'POST', url,
                                     {'switchover': {}})
        assert answer.status_code == 202, answer.text
        after = helpers.wait_task(session, url, 'NONE')
        done = time.monotonic()
        time.sleep(2)
    assert after['primary_region'] == 'RegionTwo'
    assert after['standby_region'] == 'RegionOne'
    assert after['failover']['kind'] == 'switchover'
    for shard in after['shards']:
        assert shard['primary_region'] == 'RegionTwo'
        assert shard['standby'] in old_masters
    assert writer.first_ok_after(done) is not None
    acked = [n for n, _at in writer.acked]
    assert len(acked) > 100
    assert standby.missing(ips, standby_cluster['password'], acked) == []
    # Redis agrees: the RegionTwo members hold the slots now.
    masters = [n for n in helpers.cluster_nodes(ips[0],
                                                standby_cluster['password'])
               if 'master' in n['flags'] and n['slots']]
    region_two_ips = {ip for m in after['instances']
                      if m['region'] == 'RegionTwo' for ip in m['ip']}
    assert {n['ip'] for n in masters} == region_two_ips


def test_failover_after_region_lost(system, standby_cluster):
    view = standby_cluster['view']
    session = standby_cluster['session']
    region_one = [m['id'] for m in view['instances']
                  if m['region'] == 'RegionOne']
    groups = standby.guest_groups(system.cloud.state_dir, 'RegionOne',
                                  region_one)
    assert len(groups) == 3
    ips = standby.member_ips(view, ('RegionTwo',))
    password = standby_cluster['password']
    with standby.Writer(ips, password) as writer:
        time.sleep(5)
        lag = max(s['replication_lag']['seconds'] for s in
                  helpers.get(session, standby_cluster['url']).json()[
                      'cluster']['shards'])
        standby_cluster['frozen'] = groups
        standby.freeze(groups)
        lost_at = time.monotonic()
        time.sleep(2)
        # Through RegionTwo's API.
        two = api_helpers.url(system, session, '/clusters/%s' %
                              standby_cluster['id']).replace(
            system.api_url, system.api_url_of('RegionTwo'))
        requested = time.monotonic()
        answer = api_helpers.request(session, 'POST', two + '/action',
                                     {'failover': {'region': 'RegionTwo'}})
        assert answer.status_code == 202, answer.text
        after = helpers.wait_task(session, two, 'NONE', timeout=120)
        deadline = time.monotonic() + 60
        while writer.first_ok_after(requested) is None and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        resumed = writer.first_ok_after(requested)
    assert resumed is not None, 'writes never resumed'
    assert resumed - requested < 60
    assert after['primary_region'] == 'RegionTwo'
    record = after['failover']
    assert record['kind'] == 'failover'
    assert record['from_region'] == 'RegionOne'
    assert sorted(record['lost_members']) == sorted(region_one)
    window = record['possible_loss']['window_seconds']
    assert window is not None and window >= lag
    for member in after['instances']:
        if member['region'] == 'RegionOne':
            assert member['type'] == 'slave'
        else:
            assert member['type'] == 'master'
    # Every write acknowledged more than the loss window before the loss
    # reads back from RegionTwo, and those after the failover too.
    safe = [n for n, at in writer.acked
            if at < lost_at - window or at > resumed]
    assert len(safe) > 100
    region_two_ips = standby.member_ips(after, ('RegionTwo',))[:3]
    assert standby.missing(region_two_ips, password, safe) == []

    # RegionOne comes back: its members rejoin as replicas of the new
    # masters (Redis' newer epoch wins) and report again.
    standby.thaw(groups)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        back = helpers.get(session, two).json()['cluster']
        if all(m['status'] == 'ACTIVE' for m in back['instances']):
            break
        time.sleep(1)
    assert all(m['status'] == 'ACTIVE' for m in back['instances']), back
    helpers.wait_nodes(region_two_ips[0], password, lambda nodes: sorted(
        n['ip'] for n in nodes if 'slave' in n['flags']
        and 'fail' not in n['flags']) == sorted(
            m['ip'][0] for m in back['instances']
            if m['region'] == 'RegionOne'), timeout=60)


def test_automatic_failover_when_the_primary_region_goes_silent(
        system, standby_cluster):
    session, url = standby_cluster['session'], standby_cluster['url']
    view = standby_cluster['view']
    assert view['failover_policy'] == 'manual'
    answer = _action(session, url, {'failover_policy': {'automatic': True}})
    assert answer.status_code == 202, answer.text
    region_one = [m['id'] for m in view['instances']
                  if m['region'] == 'RegionOne']
    groups = standby.guest_groups(system.cloud.state_dir, 'RegionOne',
                                  region_one)
    standby_cluster['frozen'] = groups
    standby.freeze(groups)
    lost_at = time.monotonic()
    # [redis] standby_failover_after (30 s) of silence, then the next
    # look of a taskmanager (every 10 s), then the failover itself.
    deadline = lost_at + 150
    after = None
    while time.monotonic() < deadline:
        after = helpers.get(session, url).json()['cluster']
        if after['task']['name'] == 'NONE' and \
                after.get('primary_region') == 'RegionTwo':
            break
        time.sleep(1)
    assert after['primary_region'] == 'RegionTwo', after
    assert time.monotonic() - lost_at >= 30
    assert after['failover']['kind'] == 'failover'
    assert after['failover']['automatic'] is True
    ips = standby.member_ips(after, ('RegionTwo',))[:3]
    client = standby.cluster_client(ips, standby_cluster['password'],
                                    timeout=5)
    try:
        client.set('after-automatic', 'yes')
        assert client.get('after-automatic') == 'yes'
    finally:
        client.close()
