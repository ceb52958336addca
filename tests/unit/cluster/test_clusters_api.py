"""The /clusters API with the real policy engine and SQLite databases;
the taskmanager and the guests are fakes."""

import jsonschema
import pytest

from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import snapshot
from tests.unit.api.conftest import stale_taskmanager
from tests.unit.api.conftest import taskmanager_heartbeat
from trove_mr.api.schemas import clusters as schemas
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
BASE = '/v1.0/p1/clusters'


# Where actions are posted: the redis-clustering spec's path, and the
# cluster's own path, where python-troveclient posts them.
ACTION_PATHS = {'spec-path': '%s/%s/action', 'client-path': '%s/%s'}


@pytest.fixture(params=sorted(ACTION_PATHS))
def action_url(request):
    """The URL of a cluster's actions, on each of the paths served."""
    return lambda cluster_id: ACTION_PATHS[request.param] % (BASE,
                                                             cluster_id)


def _member(**overrides):
    member = {'flavorRef': '7', 'volume': {'size': 1}}
    member.update(overrides)
    return member


def _create(api, members=None, name='c1'):
    body = {'cluster': {'name': name,
                        'datastore': {'type': 'redis', 'version': '7.0'},
                        'instances': members or [_member(), _member(),
                                                 _member()]}}
    return call(api, BASE, 'POST', body)


def _settle(cluster_id):
    """What the taskmanager does once a build is over: task NONE."""
    ctx = trove_context.get_admin_context()
    for member in db_api.instances_by_cluster(ctx, cluster_id):
        db_api.instance_update(ctx, member.id, {'task_status': 'NONE'})
    db_api.cluster_update(ctx, cluster_id, {'task_id': 1,
                                            'task_name': 'NONE'})


def test_create_answers_building_with_numbered_members_and_regions(
        api, taskmanager):
    resp = _create(api, [_member(), _member(region='RegionTwo')])
    assert resp.status_int == 202, resp.text
    jsonschema.validate(resp.json, schemas.SHOW_RESPONSE)
    cluster = resp.json['cluster']
    assert cluster['task'] == {'id': 2, 'name': 'BUILDING',
                               'description': 'Building the initial '
                                              'cluster.'}
    assert [(m['name'], m['region'], m['type'])
            for m in cluster['instances']] == [
        ('c1-member-1', 'RegionOne', 'master'),
        ('c1-member-2', 'RegionTwo', 'master')]
    assert len(cluster['password']) >= 40
    (name, _ctx, args, _kw), = taskmanager.casts
    assert name == 'create_cluster' and args[0] == cluster['id']
    placements = args[1]
    by_region = {p['region_name']: p for p in placements.values()}
    # The RegionTwo member is built from RegionTwo's own flavor id.
    assert by_region['RegionTwo']['flavor_id'] == '17'
    assert by_region['RegionOne']['flavor_id'] == '7'


@pytest.mark.parametrize('member, code, message', [
    ({'volume': {'size': 1}}, 403,
     'A flavor is required for each instance in the cluster.'),
    ({'flavorRef': '7'}, 403, 'Local storage not specified in flavor ID: 7.'),
    ({'flavorRef': '99', 'volume': {'size': 1}}, 404,
     "Flavor '99' not found in region RegionOne."),
])
def test_create_refuses_members_as_the_seed_says_and_builds_nothing(
        api, taskmanager, member, code, message):
    resp = _create(api, [_member(), member])
    assert resp.status_int == code
    assert list(resp.json.values())[0]['message'] == message
    assert taskmanager.casts == []
    assert call(api, BASE).json['clusters'] == []


def test_cluster_support_off_refuses_create_with_400(api, taskmanager):
    CONF.set_override('cluster_support', False, group='redis')
    try:
        resp = _create(api)
    finally:
        CONF.clear_override('cluster_support', group='redis')
    assert resp.status_int == 400
    assert 'cluster_support' in resp.json['badRequest']['message']
    assert taskmanager.casts == []


def test_show_list_and_member_show_belong_to_the_owner_only(api,
                                                            taskmanager):
    cluster = _create(api).json['cluster']
    shown = call(api, '%s/%s' % (BASE, cluster['id']))
    assert shown.status_int == 200
    jsonschema.validate(shown.json, schemas.SHOW_RESPONSE)
    listed = call(api, BASE)
    jsonschema.validate(listed.json, schemas.LIST_RESPONSE)
    assert [len(c['instances']) for c in listed.json['clusters']] == [3]
    member = cluster['instances'][0]['id']
    one = call(api, '%s/%s/instances/%s' % (BASE, cluster['id'], member))
    assert one.json['instance']['cluster_id'] == cluster['id']
    assert call(api, '%s/%s' % (BASE, cluster['id']),
                headers=OTHER).status_int == 404
    assert call(api, '/v1.0/p2/clusters', headers=OTHER).json[
        'clusters'] == []
    assert call(api, '%s/%s/instances/%s' % (
        BASE, cluster['id'], 'nope')).status_int == 404


def test_grow_refused_while_building_with_409_naming_the_task(
        api, taskmanager, action_url):
    cluster = _create(api).json['cluster']
    resp = call(api, action_url(cluster['id']), 'POST',
                {'grow': [_member()]})
    assert resp.status_int == 409
    assert 'BUILDING_INITIAL' in resp.json['conflict']['message']


def test_grow_accepts_troveclient_type_and_related_to_by_name(
        api, taskmanager, action_url):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    resp = call(api, action_url(cluster['id']), 'POST', {
        'grow': [_member(name='extra', instance_type='master',
                         region='RegionTwo'),
                 _member(type=['slave'], related_to='c1-member-2')]})
    assert resp.status_int == 202, resp.text
    grown = resp.json['cluster']
    assert grown['task']['name'] == 'GROWING_CLUSTER'
    assert [(m['name'], m['type'], m['region'])
            for m in grown['instances']] == [
        ('extra', 'master', 'RegionTwo'), ('c1-member-5', 'slave',
                                           'RegionOne')]
    assert grown['instances'][1]['related_to'] == \
        cluster['instances'][1]['id']
    name, _ctx, args, _kw = taskmanager.casts[-1]
    assert name == 'grow_cluster'
    assert sorted(args[1]) == sorted(m['id'] for m in grown['instances'])


def test_grow_slave_of_unknown_master_is_400(api, taskmanager, action_url):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    resp = call(api, action_url(cluster['id']), 'POST', {
        'grow': [_member(type='slave', related_to='nobody')]})
    assert resp.status_int == 400
    assert 'nobody' in resp.json['badRequest']['message']


def test_shrink_refuses_node_with_slots_and_changes_nothing(
        api, taskmanager, guests, action_url):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    owner = cluster['instances'][0]['id']
    guests.node_ids[owner] = None
    resp = call(api, action_url(cluster['id']), 'POST',
                {'shrink': [{'id': owner}]})
    assert resp.status_int == 403
    assert resp.json['forbidden']['message'] == \
        'One or more nodes have data slots assigned.'
    shown = call(api, '%s/%s' % (BASE, cluster['id'])).json['cluster']
    assert shown['task']['name'] == 'NONE'
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']


def test_shrink_unknown_instance_is_404_naming_it(api, taskmanager,
                                                  guests, action_url):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    resp = call(api, action_url(cluster['id']), 'POST',
                {'shrink': [{'id': 'missing-id'}]})
    assert resp.status_int == 404
    assert resp.json['itemNotFound']['message'] == \
        'Instance missing-id does not exist.'


def test_shrink_casts_node_ids_and_locks_the_cluster(api, taskmanager,
                                                     guests, action_url):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    leaving = cluster['instances'][2]['id']
    resp = call(api, action_url(cluster['id']), 'POST',
                {'shrink': [{'id': leaving}]})
    assert resp.status_int == 202
    name, _ctx, args, _kw = taskmanager.casts[-1]
    assert (name, args[1], args[2]) == ('shrink_cluster', [leaving],
                                        ['node-' + leaving])
    shown = call(api, '%s/%s' % (BASE, cluster['id'])).json['cluster']
    assert shown['task']['name'] == 'SHRINKING_CLUSTER'


def test_delete_answers_202_then_refuses_other_actions(api, taskmanager,
                                                      action_url):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    url = '%s/%s' % (BASE, cluster['id'])
    assert call(api, url, 'DELETE', headers=OTHER).status_int == 404
    assert call(api, url, 'DELETE').status_int == 202
    assert taskmanager.casts[-1][0] == 'delete_cluster'
    shown = call(api, url).json['cluster']
    assert shown['task']['name'] == 'DELETING'
    resp = call(api, action_url(cluster['id']), 'POST',
                {'grow': [_member()]})
    assert resp.status_int == 409


def test_delete_without_a_taskmanager_is_503_and_leaves_the_task(
        api, taskmanager):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    taskmanager.error = RuntimeError('no taskmanager listening')
    url = '%s/%s' % (BASE, cluster['id'])
    assert call(api, url, 'DELETE').status_int == 503
    assert call(api, url).json['cluster']['task']['name'] == 'NONE'


def _without_ids(document):
    """An answer with what differs between two clusters taken out."""
    if isinstance(document, dict):
        return {k: _without_ids(v) for k, v in document.items()
                if k not in ('id', 'href', 'created', 'updated',
                             'related_to')}
    if isinstance(document, list):
        return [_without_ids(item) for item in document]
    return document


@pytest.mark.parametrize('action', ['grow', 'shrink'])
def test_actions_on_the_cluster_path_answer_as_on_action(api, taskmanager,
                                                         guests, action):
    answers = []
    for path in ('%s/%s/action', '%s/%s'):
        cluster = _cluster(api)
        body = {'grow': [_member(name='extra')]} if action == 'grow' \
            else {'shrink': [{'id': cluster['instances'][2]['id']}]}
        answer = call(api, path % (BASE, cluster['id']), 'POST', body)
        assert answer.status_int == 202, answer.text
        answers.append((answer.status_int, answer.content_type,
                        _without_ids(answer.json) if answer.body else None))
        assert taskmanager.casts[-1][0] == action + '_cluster'
        assert taskmanager.casts[-1][2][0] == cluster['id']
    assert answers[0] == answers[1]
    if action == 'grow':
        jsonschema.validate(answer.json, schemas.SHOW_RESPONSE)
    else:
        assert answers[1][2] is None


@pytest.mark.parametrize('body, field', [
    ({'grow': []}, 'grow'),
    ({'shrink': [{'name': 'x'}]}, 'shrink.0.id'),
    ({'grow': [_member()], 'shrink': [{'id': 'x'}]}, None),
    ({'resize': {}}, 'resize'),
])
def test_bad_action_body_is_400_naming_the_field_on_both_paths(
        api, taskmanager, action_url, body, field):
    cluster = _cluster(api)
    spec = call(api, '%s/%s/action' % (BASE, cluster['id']), 'POST', body)
    answer = call(api, action_url(cluster['id']), 'POST', body)
    assert answer.status_int == 400
    assert answer.json == spec.json
    if field:
        assert "field '%s'" % field in answer.json['badRequest']['message']
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']


@pytest.mark.parametrize('body', [{'grow': [_member()]},
                                  {'shrink': [{'id': 'x'}]}])
def test_actions_on_another_projects_cluster_are_404(api, taskmanager,
                                                     action_url, body):
    cluster = _cluster(api)
    # Whether the other project names its own project in the URL or ours.
    for url in (action_url(cluster['id']),
                action_url(cluster['id']).replace('/p1/', '/p2/')):
        answer = call(api, url, 'POST', body, headers=OTHER)
        assert answer.status_int == 404, url
        assert 'itemNotFound' in answer.json
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']


def test_post_to_the_collection_still_creates_and_takes_no_action(
        api, taskmanager):
    created = _create(api, name='c9')
    assert created.status_int == 202
    assert created.content_type == 'application/json'
    jsonschema.validate(created.json, schemas.SHOW_RESPONSE)
    assert created.json['cluster']['name'] == 'c9'
    refused = call(api, BASE, 'POST', {'grow': [_member()]})
    assert refused.status_int == 400
    # A create body on a cluster's path is an action body that is wrong.
    on_cluster = call(api, '%s/%s' % (BASE, created.json['cluster']['id']),
                      'POST', {'cluster': {'name': 'c10'}})
    assert on_cluster.status_int == 400
    assert [c[0] for c in taskmanager.casts] == ['create_cluster']


NO_TASKMANAGER = ('No taskmanager of region RegionOne is alive; nothing '
                  'was changed. Try again later.')


def _cluster(api):
    cluster = _create(api).json['cluster']
    _settle(cluster['id'])
    return cluster


def _shrink(cluster, path='%s/%s/action'):
    leaving = cluster['instances'][2]['id']
    return (path % (BASE, cluster['id']), 'POST',
            {'shrink': [{'id': leaving}]})


# (what is asked, how it is asked on a fresh setup, the cast it makes)
ACTIONS = [
    ('create', lambda api: (BASE, 'POST', {'cluster': {
        'name': 'c2', 'datastore': {'type': 'redis', 'version': '7.0'},
        'instances': [_member(), _member()]}}), 'create_cluster'),
    ('grow', lambda api: ('%s/%s/action' % (BASE, _cluster(api)['id']),
                          'POST', {'grow': [_member()]}), 'grow_cluster'),
    ('shrink', lambda api: _shrink(_cluster(api)), 'shrink_cluster'),
    ('grow-client-path', lambda api: (
        '%s/%s' % (BASE, _cluster(api)['id']), 'POST',
        {'grow': [_member()]}), 'grow_cluster'),
    ('shrink-client-path', lambda api: _shrink(_cluster(api), '%s/%s'),
     'shrink_cluster'),
    ('delete', lambda api: ('%s/%s' % (BASE, _cluster(api)['id']),
                            'DELETE', None), 'delete_cluster'),
]


@pytest.mark.parametrize('what, setup, cast', ACTIONS,
                         ids=[a[0] for a in ACTIONS])
def test_action_without_a_live_taskmanager_is_503_and_changes_nothing(
        api, databases, taskmanager, guests, what, setup, cast):
    path, method, body = setup(api)
    taskmanager.casts.clear()
    ctx = trove_context.get_admin_context()
    stale_taskmanager(ctx)
    before = snapshot(databases['region'], databases['api'])

    answer = call(api, path, method, body)

    assert answer.status_int == 503, answer.text
    assert answer.json['serviceUnavailable']['message'] == NO_TASKMANAGER
    assert snapshot(databases['region'], databases['api']) == before
    assert taskmanager.casts == []
    # Refused before the guests were asked anything.
    assert guests.calls == []

    taskmanager_heartbeat(ctx)
    answer = call(api, path, method, body)
    assert answer.status_int == 202, answer.text
    assert [c[0] for c in taskmanager.casts] == [cast]
