"""A standby region with one control cell per region: the cluster is
owned by RegionOne's cell; after RegionOne's guests go silent, the
failover is asked of RegionTwo's API, which serves it in the owning cell
and shows the result."""

import time

import pytest

from tests.fixtures import devenv
from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers
from tests.functional.cluster import standby_helpers as standby


@pytest.fixture(scope='module')
def env():
    with devenv.running('trove-mr-standby-cells-', timeout=180,
                        cells=True, taskmanagers=1,
                        conf_overrides={'api': {'cell_timeout': '3'}}) \
            as system:
        yield system


def test_failover_through_the_standby_regions_api(env):
    session = env.session('demo')
    one = '%s/v1.0/%s/clusters' % (env.api_url_of('RegionOne'),
                                   session.get_project_id())
    two = one.replace(env.api_url_of('RegionOne'),
                      env.api_url_of('RegionTwo'))
    assert one != two
    member = {'flavorRef': '7', 'volume': {'size': 1},
              'region': 'RegionOne'}
    answer = api_helpers.request(session, 'POST', one, {'cluster': {
        'name': 'cells-standby',
        'datastore': {'type': 'redis', 'version': '7.0'},
        'instances': [dict(member), dict(member)],
        'standby_region': 'RegionTwo'}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    frozen = []
    try:
        view = helpers.wait_ready(session, '%s/%s' % (one, created['id']))
        assert view['standby_region'] == 'RegionTwo'
        region_one = [m['id'] for m in view['instances']
                      if m['region'] == 'RegionOne']
        frozen = standby.guest_groups(env.cloud.state_dir, 'RegionOne',
                                      region_one)
        standby.freeze(frozen)
        answer = api_helpers.request(
            session, 'POST', '%s/%s/action' % (two, created['id']),
            {'failover': {'region': 'RegionTwo'}})
        assert answer.status_code == 202, answer.text
        after = helpers.wait_task(session, '%s/%s' % (two, created['id']),
                                  'NONE', timeout=120)
        assert after['primary_region'] == 'RegionTwo'
        assert sorted(after['failover']['lost_members']) == \
            sorted(region_one)
        ips = standby.member_ips(after, ('RegionTwo',))[:2]
        client = standby.cluster_client(ips, created['password'],
                                        timeout=5)
        try:
            client.set('after-cells-failover', 'yes')
            assert client.get('after-cells-failover') == 'yes'
        finally:
            client.close()
    finally:
        standby.thaw(frozen)
        url = '%s/%s' % (one, created['id'])
        if helpers.get(session, url).status_code == 200:
            api_helpers.request(session, 'DELETE', url)
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and \
                    helpers.get(session, url).status_code != 404:
                time.sleep(1)
