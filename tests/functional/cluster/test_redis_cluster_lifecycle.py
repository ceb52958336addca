"""A Redis cluster over two regions through the running system: create,
data through a cluster client, grow, shrink, refused shrink, delete.

One cluster serves the whole module, in order, because building one
costs most of the time.
"""

import time

import jsonschema
import pytest
import redis

from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers
from trove_mr.api.schemas import clusters as schemas

MEMBERS = [{'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionOne'},
           {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionOne'},
           {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionTwo'}]


@pytest.fixture(scope='module')
def cluster(system):
    """The module's cluster: its URL, create answer and password."""
    session = system.session('demo')
    answer = api_helpers.request(
        session, 'POST', helpers.clusters_url(system, session),
        {'cluster': {'name': 'two-regions',
                     'datastore': {'type': 'redis', 'version': '7.0'},
                     'instances': MEMBERS}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = helpers.clusters_url(system, session, '/' + created['id'])
    state = {'url': url, 'created': created, 'session': session,
             'password': created['password']}
    yield state
    # Whatever the tests did, nothing of the cluster may be left behind.
    if helpers.get(session, url).status_code == 200:
        api_helpers.request(session, 'DELETE', url)
        helpers.wait_gone(session, url)


def _masters(nodes):
    return [n for n in nodes if 'master' in n['flags']
            and 'fail' not in n['flags']]


def test_create_answers_the_seed_view_with_region_per_member(cluster):
    created = cluster['created']
    jsonschema.validate({'cluster': created}, schemas.SHOW_RESPONSE)
    assert created['task']['name'] == 'BUILDING'
    assert [m['name'] for m in created['instances']] == [
        'two-regions-member-1', 'two-regions-member-2',
        'two-regions-member-3']
    assert [m['region'] for m in created['instances']] == [
        'RegionOne', 'RegionOne', 'RegionTwo']
    assert {m['status'] for m in created['instances']} == {'BUILD'}


def test_three_masters_over_two_regions_reach_state_ok_split_evenly(
        cluster):
    view = helpers.wait_ready(cluster['session'], cluster['url'])
    jsonschema.validate({'cluster': view}, schemas.SHOW_RESPONSE)
    assert view['task'] == {'id': 1, 'name': 'NONE',
                            'description': 'No tasks for the cluster.'}
    assert len(view['ip']) == 3
    password = cluster['password']
    for ip in view['ip']:
        info = helpers.cluster_info(ip, password)
        assert info['cluster_state'] == 'ok'
        assert info['cluster_slots_assigned'] == 16384
        assert info['cluster_known_nodes'] == 3
    nodes = helpers.cluster_nodes(view['ip'][0], password)
    ranges = sorted(r for n in _masters(nodes) for r in n['slots'])
    assert ranges == [[0, 5461], [5462, 10922], [10923, 16383]]
    cluster['view'] = view


def test_cluster_client_writes_and_reads_a_thousand_keys(cluster):
    view = cluster['view']
    client = redis.RedisCluster(host=view['ip'][0], port=6379,
                                password=cluster['password'],
                                decode_responses=True)
    try:
        for i in range(1000):
            client.set('key-%d' % i, 'value-%d' % i)
        assert all(client.get('key-%d' % i) == 'value-%d' % i
                   for i in range(1000))
    finally:
        client.close()
    per_node = [helpers.node(ip, cluster['password']).dbsize()
                for ip in view['ip']]
    assert sum(per_node) == 1000 and min(per_node) > 0


def test_cluster_show_gives_each_masters_slots_as_its_guest_reports(
        cluster):
    # Each guest reports its slots with its heartbeat (every 10 s).
    deadline = time.monotonic() + 30
    while True:
        view = helpers.get(cluster['session'], cluster['url']).json()[
            'cluster']
        slots = [m.get('slots') for m in view['instances']]
        if None not in slots or time.monotonic() > deadline:
            break
        time.sleep(1)
    jsonschema.validate({'cluster': view}, schemas.SHOW_RESPONSE)
    assert sorted(slots) == [5461, 5461, 5462]


def test_member_show_has_region_and_volume_used(system, cluster):
    member = cluster['view']['instances'][2]
    answer = helpers.get(cluster['session'], cluster['url'] + '/instances/'
                         + member['id'])
    assert answer.status_code == 200, answer.text
    shown = answer.json()['instance']
    assert shown['cluster_id'] == cluster['created']['id']
    assert shown['region'] == 'RegionTwo'
    assert 'used' in shown['volume']
    listed = helpers.get(cluster['session'],
                         helpers.clusters_url(system, cluster['session']))
    ids = [c['id'] for c in listed.json()['clusters']]
    assert cluster['created']['id'] in ids


def test_grow_adds_an_empty_master_and_a_slave_in_the_other_region(
        cluster):
    session, url = cluster['session'], cluster['url']
    answer = api_helpers.request(session, 'POST', url + '/action', {
        'grow': [
            {'name': 'two-regions-member-4', 'instance_type': 'master',
             'flavorRef': '7', 'volume': {'size': 1},
             'region': 'RegionTwo'},
            {'name': 'two-regions-member-5', 'type': 'slave',
             'related_to': 'two-regions-member-1', 'flavorRef': '7',
             'volume': {'size': 1}, 'region': 'RegionTwo'}]})
    assert answer.status_code == 202, answer.text
    grown = answer.json()['cluster']
    assert grown['task']['name'] == 'GROWING_CLUSTER'
    assert [(m['name'], m['region'], m['type'])
            for m in grown['instances']] == [
        ('two-regions-member-4', 'RegionTwo', 'master'),
        ('two-regions-member-5', 'RegionTwo', 'slave')]
    busy = api_helpers.request(session, 'POST', url + '/action',
                               {'shrink': [{'id': grown['instances'][0]
                                            ['id']}]})
    assert busy.status_code == 409
    assert 'GROWING_CLUSTER' in busy.json()['conflict']['message']

    view = helpers.wait_ready(session, url)
    by_name = {m['name']: m for m in view['instances']}
    first_ip = by_name['two-regions-member-1']['ip'][0]
    slave_ip = by_name['two-regions-member-5']['ip'][0]
    new_ip = by_name['two-regions-member-4']['ip'][0]
    nodes = helpers.wait_nodes(first_ip, cluster['password'],
                               lambda ns: len(ns) == 5)
    by_ip = {n['ip']: n for n in nodes}
    assert 'slave' in by_ip[slave_ip]['flags']
    assert by_ip[slave_ip]['master_id'] == by_ip[first_ip]['id']
    assert 'master' in by_ip[new_ip]['flags']
    assert by_ip[new_ip]['slots'] == []
    cluster['view'] = view


def test_shrinking_a_slot_owning_master_is_refused_and_changes_nothing(
        cluster):
    session, url = cluster['session'], cluster['url']
    owner = cluster['view']['instances'][0]
    answer = api_helpers.request(session, 'POST', url + '/action',
                                 {'shrink': [{'id': owner['id']}]})
    assert answer.status_code == 403
    assert answer.json()['forbidden']['message'] == \
        'One or more nodes have data slots assigned.'
    unknown = api_helpers.request(
        session, 'POST', url + '/action',
        {'shrink': [{'id': '00000000-0000-0000-0000-000000000000'}]})
    assert unknown.status_code == 404
    view = helpers.get(session, url).json()['cluster']
    assert view['task']['name'] == 'NONE'
    assert len(view['instances']) == 5
    assert helpers.cluster_info(owner['ip'][0], cluster['password'])[
        'cluster_state'] == 'ok'


def test_shrinking_the_empty_master_forgets_it_everywhere(system,
                                                          cluster):
    session, url = cluster['session'], cluster['url']
    by_name = {m['name']: m for m in cluster['view']['instances']}
    empty = by_name['two-regions-member-4']
    answer = api_helpers.request(session, 'POST', url + '/action',
                                 {'shrink': [{'id': empty['id']}]})
    assert answer.status_code == 202, answer.text
    view = helpers.wait_ready(session, url)
    assert empty['id'] not in [m['id'] for m in view['instances']]
    for ip in view['ip']:
        nodes = helpers.wait_nodes(ip, cluster['password'],
                                   lambda ns: len(ns) == 4)
        assert empty['ip'][0] not in [n['ip'] for n in nodes]
    assert api_helpers.named(
        api_helpers.service_nova(system, 'RegionTwo').servers.list(),
        empty['id']) == []
    assert api_helpers.named(
        api_helpers.service_cinder(system, 'RegionTwo').volumes.list(),
        empty['id']) == []
    cluster['view'] = view


def test_delete_leaves_no_server_or_volume_in_either_region(system,
                                                            cluster):
    session, url = cluster['session'], cluster['url']
    member_ids = [m['id'] for m in cluster['view']['instances']]
    answer = api_helpers.request(session, 'DELETE', url)
    assert answer.status_code == 202
    helpers.wait_gone(session, url)
    for region in ('RegionOne', 'RegionTwo'):
        servers = api_helpers.service_nova(system, region).servers.list()
        volumes = api_helpers.service_cinder(system, region).volumes.list()
        for member_id in member_ids:
            assert api_helpers.named(servers, member_id) == []
            assert api_helpers.named(volumes, member_id) == []
