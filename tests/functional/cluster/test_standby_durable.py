"""A failover to the standby region is a durable operation: the
taskmanager running its job is killed (SIGKILL) as soon as it claimed
the job (one standby's guest held meanwhile, so that the job cannot have
ended yet); the cell's other taskmanager claims it once the claim lapses
and finishes the failover."""

import signal
import time

import pytest

from tests.fixtures import devenv
from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers
from tests.functional.cluster import standby_helpers as standby


@pytest.fixture(scope='module')
def env():
    with devenv.running('trove-mr-standby-kill-', taskmanagers=2) as system:
        yield system


def _owner_of_job(env, cluster_id, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        owner = env.job_owner(cluster_id)
        name = env.taskmanager_of(owner) if owner else None
        if name is not None:
            return name
        time.sleep(0.02)
    return None


def test_failover_completes_when_its_taskmanager_is_killed(env):
    session = env.session('demo')
    member = {'flavorRef': '7', 'volume': {'size': 1},
              'region': 'RegionOne'}
    answer = api_helpers.request(
        session, 'POST', helpers.clusters_url(env, session),
        {'cluster': {'name': 'durable',
                     'datastore': {'type': 'redis', 'version': '7.0'},
                     'instances': [dict(member), dict(member)],
                     'standby_region': 'RegionTwo'}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = helpers.clusters_url(env, session, '/' + created['id'])
    frozen, held = [], []
    try:
        view = helpers.wait_ready(session, url)
        region_one = [m['id'] for m in view['instances']
                      if m['region'] == 'RegionOne']
        frozen = standby.guest_groups(env.cloud.state_dir, 'RegionOne',
                                      region_one)
        standby.freeze(frozen)
        # One standby held too, so the job is still waiting on it when
        # its taskmanager is killed, however fast the rest goes.
        held = standby.guest_groups(
            env.cloud.state_dir, 'RegionTwo',
            [m['id'] for m in view['instances']
             if m['region'] == 'RegionTwo'][:1])
        standby.freeze(held)
        answer = api_helpers.request(session, 'POST', url + '/action',
                                     {'failover': {'region': 'RegionTwo'}})
        assert answer.status_code == 202, answer.text
        name = _owner_of_job(env, created['id'], timeout=20)
        assert name is not None, 'no taskmanager claimed the failover'
        env.stop_service(name, signal.SIGKILL)
        killed_at = time.monotonic()
        # Killed before its job ended: another taskmanager finishes it.
        assert helpers.get(session, url).json()['cluster']['task'][
            'name'] == 'FAILING_OVER'
        standby.thaw(held)
        after = helpers.wait_task(session, url, 'NONE', timeout=120)
        env.start_service(name)
        assert after['primary_region'] == 'RegionTwo'
        assert after['failover']['kind'] == 'failover'
        assert sorted(after['failover']['lost_members']) == \
            sorted(region_one)
        assert time.monotonic() - killed_at < 120
        masters = [n for n in helpers.cluster_nodes(
            next(m['ip'][0] for m in after['instances']
                 if m['region'] == 'RegionTwo'), created['password'])
            if 'master' in n['flags'] and n['slots']
            and 'fail' not in n['flags']]
        region_two_ips = {m['ip'][0] for m in after['instances']
                          if m['region'] == 'RegionTwo'}
        assert {n['ip'] for n in masters} == region_two_ips
    finally:
        standby.thaw(held)
        standby.thaw(frozen)
        if helpers.get(session, url).status_code == 200:
            api_helpers.request(session, 'DELETE', url)
            helpers.wait_gone(session, url)
