"""The instance API through its WSGI app: real policy, real SQLite
databases, fakes for Glance, Nova and the taskmanager client."""

import jsonschema
import pytest

from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import MEMBER
from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from trove_mr.api.schemas import instances as schemas
from trove_mr.api.views import instances as views
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import faults
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
BASE = '/v1.0/p1/instances'


def _create(api, **overrides):
    answer = call(api, BASE, 'POST', create_body(**overrides))
    assert answer.status_int == 202, answer.text
    jsonschema.validate(answer.json, schemas.SHOW_RESPONSE)
    return answer.json['instance']


def _usage(project='p1'):
    return api_db.quota_usage_get_all(
        trove_context.get_admin_context(), project)


def test_create_answers_building_view_with_password_and_casts(
        api, taskmanager):
    view = _create(api, region_name='RegionTwo')
    assert view['status'] == 'BUILD'
    assert view['region'] == 'RegionTwo'
    assert view['datastore'] == {'type': 'redis', 'version': '7.0'}
    assert view['flavor']['id'] == '17'
    assert view['volume'] == {'size': 1}
    assert len(view['password']) >= 16
    assert view['links'][0]['href'] == (
        'http://api.test:8779/v1.0/p1/instances/%s' % view['id'])
    name, context, args, kwargs = taskmanager.casts[0]
    assert name == 'create_instance'
    assert args[0] == view['id']
    # The placement payload: what was decided, and what it was decided
    # from (the taskmanager checks that again).
    decided = {key: args[1][key] for key in (
        'region_name', 'image_id', 'image_name', 'flavor_id', 'flavor_name')}
    assert decided == {'region_name': 'RegionTwo', 'image_id': 'img-2',
                       'image_name': 'trove-mr-redis', 'flavor_id': '17',
                       'flavor_name': 'm1.redis'}
    assert args[1]['placement_version'] == 1
    assert args[1]['request']['flavor_ref'] == '7'
    assert args[2] == view['password']
    assert kwargs == {'backup_info': None}


def test_create_without_region_places_in_the_apis_own_region(api):
    view = _create(api)
    assert view['region'] == CONF.region_name


def test_create_accepts_the_seeds_region_key(api):
    assert _create(api, region='RegionTwo')['region'] == 'RegionTwo'


def test_password_is_shown_only_in_the_create_answer(api):
    view = _create(api)
    shown = call(api, '%s/%s' % (BASE, view['id']))
    assert shown.status_int == 200
    jsonschema.validate(shown.json, schemas.SHOW_RESPONSE)
    assert 'password' not in shown.json['instance']
    row = db_api.instance_get(trove_context.get_admin_context(), view['id'])
    assert view['password'] not in repr(row.__dict__)


def test_unknown_region_is_a_400_listing_known_regions(api, taskmanager):
    answer = call(api, BASE, 'POST', create_body(region='Nowhere'))
    assert answer.status_int == 400
    message = answer.json['badRequest']['message']
    assert 'Nowhere' in message and 'RegionOne, RegionThree, RegionTwo' \
        in message
    assert taskmanager.casts == [] and _usage() == {}


def test_image_checksum_mismatch_is_a_400_naming_both_regions(
        api, taskmanager):
    answer = call(api, BASE, 'POST', create_body(region='RegionThree'))
    assert answer.status_int == 400
    message = answer.json['badRequest']['message']
    assert 'checksum' in message
    assert 'RegionOne' in message and 'RegionThree' in message
    assert taskmanager.casts == []
    assert call(api, BASE).json['instances'] == []


def test_flavor_mismatch_is_a_400_naming_what_differs(api, taskmanager):
    answer = call(api, BASE, 'POST',
                  create_body(region='RegionTwo', flavorRef='2'))
    assert answer.status_int == 400
    message = answer.json['badRequest']['message']
    assert 'm1.small' in message and 'ram 2048 in RegionOne' in message
    assert 'RegionTwo' in message
    assert taskmanager.casts == [] and _usage() == {}


@pytest.mark.parametrize('field,value', [
    ('users', [{'name': 'u', 'password': 'p'}]),
    ('databases', [{'name': 'd'}]),
    ('locality', 'affinity'),
])
def test_create_refuses_what_redis_cannot_do_naming_the_field(
        api, taskmanager, field, value):
    answer = call(api, BASE, 'POST', create_body(**{field: value}))
    assert answer.status_int == 400
    assert "'instance.%s'" % field in answer.json['badRequest']['message']
    assert taskmanager.casts == []


def test_create_ignores_empty_lists_and_private_access(api):
    view = _create(api, users=[], databases=[], nics=[], modules=[],
                   access={'is_public': False})
    assert view['status'] == 'BUILD'


@pytest.mark.parametrize('instance,field', [
    ({'flavorRef': '7', 'volume': {'size': 1}}, 'instance.name'),
    ({'name': 'x', 'flavorRef': '7', 'volume': {'size': 0}},
     'instance.volume.size'),
    ({'name': 'x', 'flavorRef': '7', 'volume': {'size': 1}, 'color': 1},
     'instance.color'),
    ({'name': 'x', 'flavorRef': '7'}, 'instance.volume'),
    ({'name': 'x', 'flavorRef': '7', 'volume': {'size': 11}},
     'instance.volume.size'),
])
def test_invalid_create_bodies_are_400s_naming_the_field(
        api, instance, field):
    answer = call(api, BASE, 'POST', {'instance': instance})
    assert answer.status_int == 400
    assert "'%s'" % field in answer.json['badRequest']['message']


def test_inactive_datastore_version_is_refused(api):
    answer = call(api, BASE, 'POST', create_body(
        datastore={'type': 'redis', 'version': '6.2'}))
    assert answer.status_int == 400
    assert 'not active' in answer.json['badRequest']['message']


def test_unknown_flavor_is_a_404(api):
    answer = call(api, BASE, 'POST', create_body(flavorRef='999'))
    assert answer.status_int == 404


def test_instance_quota_is_enforced_with_413(api, taskmanager):
    CONF.set_override('max_instances_per_tenant', 2)
    try:
        _create(api)
        _create(api)
        answer = call(api, BASE, 'POST', create_body())
    finally:
        CONF.clear_override('max_instances_per_tenant')
    assert answer.status_int == 413
    assert 'at most 2 instances' in answer.json['overLimit']['message']
    assert len(taskmanager.casts) == 2
    assert _usage()['instances'] == 2


def test_volume_quota_gives_the_instance_back(api):
    CONF.set_override('max_volumes_per_tenant', 3)
    try:
        _create(api, volume={'size': 2})
        answer = call(api, BASE, 'POST', create_body(volume={'size': 2}))
    finally:
        CONF.clear_override('max_volumes_per_tenant')
    assert answer.status_int == 413
    assert 'volumes' in answer.json['overLimit']['message']
    assert _usage() == {'instances': 1, 'volumes': 2}


def test_failed_cast_builds_nothing_and_releases_quota(api, taskmanager):
    taskmanager.error = RuntimeError('bus down')
    answer = call(api, BASE, 'POST', create_body())
    assert answer.status_int == 503
    assert call(api, BASE).json['instances'] == []
    assert _usage() == {'instances': 0, 'volumes': 0}


def test_another_tenants_instance_answers_404(api):
    view = _create(api)
    url = '%s/%s' % (BASE, view['id'])
    own_url = '/v1.0/p2/instances/%s' % view['id']
    assert call(api, own_url, headers=OTHER).status_int == 404
    assert call(api, url, headers=OTHER).status_int == 404
    assert call(api, own_url, 'DELETE', headers=OTHER).status_int == 404
    assert call(api, url, headers=ADMIN).status_int == 200


def test_list_pages_with_next_link_and_each_instance_once(api):
    created = [_create(api, name='i%d' % n)['id'] for n in range(5)]
    seen, url = [], BASE + '?limit=2'
    while url:
        answer = call(api, url)
        assert answer.status_int == 200
        jsonschema.validate(answer.json, schemas.LIST_RESPONSE)
        seen += [i['id'] for i in answer.json['instances']]
        nexts = [link['href'] for link in answer.json.get('links', [])
                 if link['rel'] == 'next']
        url = nexts[0].replace('http://api.test:8779', '') if nexts \
            else None
    assert seen == created


def test_list_refuses_unknown_query_parameters(api):
    answer = call(api, BASE + '?colour=red')
    assert answer.status_int == 400
    assert "'colour'" in answer.json['badRequest']['message']


def test_rename_by_patch_and_by_put(api):
    view = _create(api)
    url = '%s/%s' % (BASE, view['id'])
    assert call(api, url, 'PATCH',
                {'instance': {'name': 'one'}}).status_int == 202
    assert call(api, url).json['instance']['name'] == 'one'
    assert call(api, url, 'PUT',
                {'instance': {'name': 'two'}}).status_int == 202
    assert call(api, url).json['instance']['name'] == 'two'


def _activate(instance_id):
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    db_api.instance_status_update(ctx, instance_id, 'RUNNING', 2e9, 0.5)


def test_restart_of_building_instance_is_a_409(api, taskmanager):
    view = _create(api)
    answer = call(api, '%s/%s/action' % (BASE, view['id']), 'POST',
                  {'restart': {}})
    assert answer.status_int == 409
    assert [c[0] for c in taskmanager.casts] == ['create_instance']


def test_restart_of_active_instance_shows_reboot_and_casts(
        api, taskmanager):
    view = _create(api)
    _activate(view['id'])
    url = '%s/%s' % (BASE, view['id'])
    shown = call(api, url).json['instance']
    assert shown['status'] == 'ACTIVE'
    assert shown['volume'] == {'size': 1, 'used': 0.5}
    answer = call(api, url + '/action', 'POST', {'restart': {}})
    assert answer.status_int == 202
    assert call(api, url).json['instance']['status'] == 'REBOOT'
    assert taskmanager.casts[-1][0] == 'restart_instance'


def test_unknown_action_is_a_400(api):
    view = _create(api)
    answer = call(api, '%s/%s/action' % (BASE, view['id']), 'POST',
                  {'migrate': {}})
    assert answer.status_int == 400
    assert "'migrate'" in answer.json['badRequest']['message']


def test_delete_casts_keeps_quota_for_the_taskmanager_and_may_be_asked_again(
        api, taskmanager):
    view = _create(api, volume={'size': 3})
    url = '%s/%s' % (BASE, view['id'])
    assert call(api, url, 'DELETE').status_int == 202
    assert taskmanager.casts[-1][0] == 'delete_instance'
    # Released when the taskmanager has deleted it, not before.
    assert _usage() == {'instances': 1, 'volumes': 3}
    assert call(api, url).json['instance']['status'] == 'SHUTDOWN'
    # A delete can always be asked again: it is cast again (the
    # taskmanager joins the job on the board), the quota is still kept.
    assert call(api, url, 'DELETE').status_int == 202
    assert [c[0] for c in taskmanager.casts[-2:]] == ['delete_instance'] * 2
    assert _usage() == {'instances': 1, 'volumes': 3}


def test_error_instance_shows_its_fault(api):
    view = _create(api)
    db_api.instance_update(trove_context.get_admin_context(), view['id'],
                           {'task_status': 'ERROR',
                            'fault_message': faults.TenantMessage(
                                'server never became ACTIVE')})
    shown = call(api, '%s/%s' % (BASE, view['id'])).json['instance']
    assert shown['status'] == 'ERROR'
    assert shown['fault']['message'] == 'server never became ACTIVE'


def test_a_faults_own_text_is_kept_for_admins_only(api):
    view = _create(api)
    internals = 'ConnectionError: http://10.1.2.3:8774/v2.1 refused'
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, view['id'], {'task_status': 'ERROR',
                                             'fault_message': internals})
    shown = call(api, '%s/%s' % (BASE, view['id'])).json['instance']
    assert shown['fault']['message'] == faults.GENERIC
    assert '10.1.2.3' not in repr(shown)
    row = db_api.instance_get(ctx, view['id'])
    assert views.admin_fault_view(row)['details'] == internals


def test_api_registers_its_own_cell_when_none_is_mapped(api):
    ctx = trove_context.get_admin_context()
    api_db.region_mapping_delete(ctx, CONF.region_name)
    view = _create(api)
    mapping = api_db.instance_mapping_get(ctx, view['id'])
    assert mapping.name == CONF.region_name
    assert mapping.database_connection == CONF.database.connection


def test_bodiless_answers_accept_json_as_troveclient_asks(api):
    view = _create(api)
    url = '%s/%s' % (BASE, view['id'])
    json_only = dict(MEMBER, Accept='application/json')
    _activate(view['id'])
    assert call(api, url, 'PUT', {'instance': {'name': 'x'}},
                headers=json_only).status_int == 202
    assert call(api, url + '/action', 'POST', {'restart': {}},
                headers=json_only).status_int == 202
    _activate(view['id'])
    assert call(api, url, 'DELETE', headers=json_only).status_int == 202


@pytest.mark.parametrize('method,path,body', [
    ('DELETE', '', None),
    ('POST', '/action', {'restart': {}}),
])
def test_unreachable_taskmanager_undoes_the_task_and_keeps_quota(
        api, taskmanager, method, path, body):
    view = _create(api)
    _activate(view['id'])
    before = _usage()
    taskmanager.error = RuntimeError('no taskmanager listening')
    resp = call(api, '%s/%s%s' % (BASE, view['id'], path), method, body)
    taskmanager.error = None
    assert resp.status_int == 503
    assert 'taskmanager' in resp.json['serviceUnavailable']['message']
    shown = call(api, '%s/%s' % (BASE, view['id'])).json['instance']
    assert shown['status'] == 'ACTIVE'
    assert _usage() == before
    # Nothing is stuck: the same action is accepted once it can be sent.
    assert call(api, '%s/%s%s' % (BASE, view['id'], path), method,
                body).status_int == 202


def test_replicas_of_one_request_share_the_password_shown(api, taskmanager):
    master = _create(api)
    _activate(master['id'])
    taskmanager.casts.clear()
    answer = call(api, BASE, 'POST', create_body(
        name='rep', replica_of=master['id'], replica_count=2))
    assert answer.status_int == 202, answer.text
    # One cast builds both replicas of the request, with one password.
    (create,) = [c for c in taskmanager.casts if c[0] == 'create_replicas']
    instance_ids, _placement, password = create[2]
    assert len(instance_ids) == 2
    assert answer.json['instance']['id'] == instance_ids[0]
    assert password == answer.json['instance']['password']
