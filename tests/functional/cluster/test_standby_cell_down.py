"""Failover when the owning region's whole control cell is down.

One control cell per region; a 3-shard cluster owned by RegionOne's cell,
its masters in RegionOne, a standby in RegionTwo, and a writer running.
Then RegionOne is made unreachable: its guests stopped, its cell's
message bus down (no user may use its virtual host any more), its
database gone, its taskmanager and conductor stopped. The failover is
asked through RegionTwo's API, which has only RegionTwo's cell and its
mirror of the cluster to work with. Every key acknowledged more than the
reported lag before the failure reads back from RegionTwo, writes
resume, and the cluster, shown through RegionTwo's API, says RegionTwo
is primary.
"""

import json
import os
import sqlite3
import time

import pytest

from tests.fixtures import devenv
from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers
from tests.functional.cluster import standby_helpers as standby


@pytest.fixture(scope='module')
def env():
    overrides = {'api': {'cell_timeout': '3'},
                 'redis': {'standby_watch_interval': '2',
                           'standby_failover_after': '10'}}
    with devenv.running('trove-mr-standby-cell-down-', timeout=180,
                        cells=True, taskmanagers=1,
                        conf_overrides=overrides) as system:
        yield system


def _mirror(env, cluster_id):
    """The mirror of the cluster in RegionTwo's cell database, or None."""
    conn = sqlite3.connect(env.db_file_of('RegionTwo'), timeout=10)
    try:
        row = conn.execute('SELECT record FROM cluster_mirrors WHERE '
                           'cluster_id = ?', (cluster_id,)).fetchone()
    finally:
        conn.close()
    return json.loads(row[0]) if row else None


def _wait_mirror_with_lag(env, cluster_id, timeout=60):
    """The mirror once it holds every standby's reported lag."""
    deadline = time.monotonic() + timeout
    record = None
    while time.monotonic() < deadline:
        record = _mirror(env, cluster_id)
        if record and record['pairs']:
            statuses = {m['id']: m['status'] for m in record['members']}
            if all(statuses[s] and statuses[s]['repl_lag_bytes'] is not None
                   for _m, s in record['pairs']):
                return record
        time.sleep(0.5)
    raise AssertionError('no mirror with the lag in RegionTwo: %s' % record)


def _wait_primary(session, url, region, timeout=180):
    """The view once the cluster's task is over with ``region`` primary;
    503s (the cell that does not answer) are waited through."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        answer = helpers.get(session, url)
        seen = (answer.status_code, answer.text[:300])
        if answer.status_code == 200:
            view = answer.json()['cluster']
            if view['task']['name'] == 'NONE' and \
                    view.get('primary_region') == region:
                return view
        time.sleep(1)
    raise AssertionError('never primary in %s: %s' % (region, seen))


def test_failover_while_the_owning_cell_is_down(env):
    session = env.session('demo')
    one = '%s/v1.0/%s/clusters' % (env.api_url_of('RegionOne'),
                                   session.get_project_id())
    two = one.replace(env.api_url_of('RegionOne'),
                      env.api_url_of('RegionTwo'))
    member = {'flavorRef': '7', 'volume': {'size': 1},
              'region': 'RegionOne'}
    answer = api_helpers.request(session, 'POST', one, {'cluster': {
        'name': 'cell-down',
        'datastore': {'type': 'redis', 'version': '7.0'},
        'instances': [dict(member) for _ in range(3)],
        'standby_region': 'RegionTwo'}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    password = created['password']
    frozen = []
    rights = None
    stopped = []
    try:
        view = helpers.wait_ready(session, '%s/%s' % (one, created['id']))
        assert view['primary_region'] == 'RegionOne'
        assert len(view['shards']) == 3
        region_one = [m['id'] for m in view['instances']
                      if m['region'] == 'RegionOne']
        # RegionTwo's nodes first: a new client asks them for the slots.
        ips = standby.member_ips(view, ('RegionTwo',))
        two_ips = ips[:3]
        with standby.Writer(ips, password) as writer:
            standby.wait_lag_reported(
                lambda: helpers.get(session, '%s/%s' % (
                    one, created['id'])).json()['cluster'])
            _wait_mirror_with_lag(env, created['id'])
            time.sleep(3)  # a few more writes and mirrored lag figures
            # RegionOne is lost: its guests, its cell's bus and database,
            # its taskmanager and conductor.
            failed_at = time.monotonic()
            frozen, rights, stopped = _lose_region_one(env, region_one)
            assert len(frozen) == 3

            asked_at = time.monotonic()
            answer = api_helpers.request(
                session, 'POST', '%s/%s/action' % (two, created['id']),
                {'failover': {'region': 'RegionTwo'}})
            assert answer.status_code == 202, answer.text
            after = _wait_primary(session, '%s/%s' % (two, created['id']),
                                  'RegionTwo')
            deadline = time.monotonic() + 60
            while writer.first_ok_after(asked_at) is None and \
                    time.monotonic() < deadline:
                time.sleep(0.5)
            resumed = writer.first_ok_after(asked_at)
            assert resumed is not None, 'writes never resumed'
            acked = list(writer.acked)
        assert after['standby_region'] == 'RegionOne'
        record = after['failover']
        assert record['kind'] == 'failover'
        assert record['from_region'] == 'RegionOne'
        assert sorted(record['lost_members']) == sorted(region_one)
        window = record['possible_loss']['window_seconds']
        assert window is not None and window >= 1
        safe = [n for n, at in acked if at < failed_at - window]
        assert len(safe) > 50, 'too few writes before the failure'
        assert standby.missing(two_ips, password, safe) == []
        # Writes after the failover read back too.
        after_failover = [n for n, at in acked if at > resumed]
        assert after_failover
        assert standby.missing(two_ips, password, after_failover) == []
        lost = {m['id'] for m in after['instances']
                if m['region'] == 'RegionOne'}
        assert lost == set(region_one)
        # Every API answers from RegionTwo's cell now: RegionOne's too.
        shown = helpers.get(session, '%s/%s' % (one, created['id']))
        assert shown.status_code == 200, shown.text
        assert shown.json()['cluster']['primary_region'] == 'RegionTwo'
        # RegionOne's cell comes back: its taskmanager retires its own
        # rows of the cluster, which RegionTwo's cell owns now.
        _bring_back(env, frozen, rights, stopped)
        frozen, rights, stopped = [], None, []
        _wait_retired(env, created['id'])
        shown = helpers.get(session, '%s/%s' % (one, created['id']))
        assert shown.json()['cluster']['primary_region'] == 'RegionTwo'
    finally:
        _bring_back(env, frozen, rights, stopped)


def _lose_region_one(env, region_one_ids):
    """RegionOne's guests stopped, its cell's bus and database down, its
    taskmanager and conductor stopped; what to bring back."""
    frozen = standby.guest_groups(env.cloud.state_dir, 'RegionOne',
                                  region_one_ids)
    standby.freeze(frozen)
    rights = env.stop_cell_bus('RegionOne')
    env.stop_cell_database('RegionOne')
    stopped = []
    for name in env.taskmanager_names('RegionOne') + ['conductor']:
        env.stop_service(name)
        stopped.append(name)
    return frozen, rights, stopped


def _bring_back(env, frozen, rights, stopped):
    standby.thaw(frozen)
    if rights is not None:
        env.start_cell_bus('RegionOne', rights)
    if os.path.isdir(env.db_file_of('RegionOne')):
        env.start_cell_database('RegionOne')
    for name in stopped:
        env.start_service(name)


def _wait_retired(env, cluster_id, timeout=60):
    deadline = time.monotonic() + timeout
    deleted = None
    while time.monotonic() < deadline:
        conn = sqlite3.connect(env.db_file_of('RegionOne'), timeout=10)
        try:
            deleted = conn.execute('SELECT deleted FROM clusters WHERE '
                                   'id = ?', (cluster_id,)).fetchone()[0]
        finally:
            conn.close()
        if deleted:
            return
        time.sleep(1)
    raise AssertionError('RegionOne never retired cluster %s' % cluster_id)


def test_automatic_takeover_while_the_owning_cell_is_down(env):
    session = env.session('demo')
    one = '%s/v1.0/%s/clusters' % (env.api_url_of('RegionOne'),
                                   session.get_project_id())
    two = one.replace(env.api_url_of('RegionOne'),
                      env.api_url_of('RegionTwo'))
    member = {'flavorRef': '7', 'volume': {'size': 1},
              'region': 'RegionOne'}
    answer = api_helpers.request(session, 'POST', one, {'cluster': {
        'name': 'cell-down-auto',
        'datastore': {'type': 'redis', 'version': '7.0'},
        'instances': [dict(member), dict(member)],
        'standby_region': 'RegionTwo', 'auto_failover': True}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    lost = ([], None, [])
    try:
        view = helpers.wait_ready(session, '%s/%s' % (one, created['id']))
        assert view['failover_policy'] == 'automatic'
        region_one = [m['id'] for m in view['instances']
                      if m['region'] == 'RegionOne']
        _wait_mirror_with_lag(env, created['id'])
        lost = _lose_region_one(env, region_one)
        # Nobody asks: RegionTwo's cell sees its copy go stale and the
        # masters silent, and takes the cluster over.
        after = _wait_primary(session, '%s/%s' % (two, created['id']),
                              'RegionTwo')
        assert after['failover']['automatic'] is True
        assert sorted(after['failover']['lost_members']) == \
            sorted(region_one)
        client = standby.cluster_client(
            standby.member_ips(after, ('RegionTwo',))[:2],
            created['password'], timeout=5)
        try:
            client.set('after-automatic-takeover', 'yes')
            assert client.get('after-automatic-takeover') == 'yes'
        finally:
            client.close()
    finally:
        _bring_back(env, *lost)
