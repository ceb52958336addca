"""Flavor and volume resize through the API's WSGI app: real policy, real
SQLite databases, fakes for Nova, Glance and the taskmanager client."""

import jsonschema
import pytest
from oslo_policy import policy as oslo_policy

from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from tests.unit.api.conftest import snapshot
from trove_mr.api.schemas import instances as schemas
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import exceptions
from trove_mr.common import policy
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
BASE = '/v1.0/p1/instances'


def _usage(project='p1'):
    return api_db.quota_usage_get_all(
        trove_context.get_admin_context(), project)


def _active(api, volume_used=0.01, **overrides):
    """An ACTIVE instance (task NONE, guest RUNNING); its view."""
    answer = call(api, BASE, 'POST', create_body(**overrides))
    assert answer.status_int == 202, answer.text
    view = answer.json['instance']
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, view['id'], {'task_status': 'NONE'})
    db_api.instance_status_update(ctx, view['id'], 'RUNNING', 2e9,
                                  volume_used)
    return view


def _resize(api, instance_id, body, headers=None):
    return call(api, '%s/%s/action' % (BASE, instance_id), 'POST',
                {'resize': body}, headers=headers)


def _shown(api, instance_id):
    answer = call(api, '%s/%s' % (BASE, instance_id))
    jsonschema.validate(answer.json, schemas.SHOW_RESPONSE)
    return answer.json['instance']


def _message(answer):
    return next(iter(answer.json.values()))['message']


@pytest.mark.parametrize('flavor_ref', ['12', 'm1.small'])
def test_resize_flavor_in_the_instances_region_shows_resize_and_casts(
        api, taskmanager, flavor_ref):
    view = _active(api, region_name='RegionTwo')
    answer = _resize(api, view['id'], {'flavorRef': flavor_ref})
    assert answer.status_int == 202, answer.text
    assert _shown(api, view['id'])['status'] == 'RESIZE'
    name, _ctx, args, _kwargs = taskmanager.casts[-1]
    assert name == 'resize_flavor'
    # Resolved in RegionTwo, by id or by name, with what the job needs.
    assert args == (view['id'], {'id': '12', 'name': 'm1.small',
                                 'ram': 4096, 'vcpus': 1, 'disk': 20})


def test_resize_to_a_flavor_missing_from_the_region_is_a_404(
        api, taskmanager, databases):
    view = _active(api, region_name='RegionTwo')
    before = snapshot(*databases.values())
    # '2' is a flavor id of RegionOne only.
    answer = _resize(api, view['id'], {'flavorRef': '2'})
    assert answer.status_int == 404
    assert 'RegionTwo' in _message(answer)
    assert "'2'" in _message(answer)
    assert snapshot(*databases.values()) == before
    assert [c[0] for c in taskmanager.casts] == ['create_instance']


def test_resize_to_the_same_flavor_is_a_400(api, taskmanager):
    view = _active(api)
    answer = _resize(api, view['id'], {'flavorRef': 'm1.redis'})
    assert answer.status_int == 400
    assert 'must be different' in _message(answer)
    assert _shown(api, view['id'])['status'] == 'ACTIVE'


def test_resize_to_a_flavor_too_small_for_the_data_is_a_400(
        api, taskmanager):
    # 1 GB of data; m1.redis leaves Redis 75% of 1024 MB.
    view = _active(api, volume_used=1.0, flavorRef='2')
    answer = _resize(api, view['id'], {'flavorRef': '7'})
    assert answer.status_int == 400
    message = _message(answer)
    assert 'm1.redis' in message and '768.0 MB' in message
    assert '1024.0 MB' in message
    assert _shown(api, view['id'])['status'] == 'ACTIVE'
    assert [c[0] for c in taskmanager.casts] == ['create_instance']


def test_resize_to_a_flavor_with_a_smaller_disk_is_a_400(api, taskmanager):
    view = _active(api, flavorRef='2')
    answer = _resize(api, view['id'], {'flavorRef': '7'})
    assert answer.status_int == 400
    assert 'disks cannot shrink' in _message(answer)


def test_resize_of_a_building_instance_is_a_409(api, taskmanager):
    answer = call(api, BASE, 'POST', create_body())
    instance_id = answer.json['instance']['id']
    answer = _resize(api, instance_id, {'flavorRef': '2'})
    assert answer.status_int == 409
    assert 'not ACTIVE' in _message(answer)
    answer = _resize(api, instance_id, {'volume': {'size': 2}})
    assert answer.status_int == 409
    assert _usage() == {'instances': 1, 'volumes': 1}


def test_resize_of_another_projects_instance_is_a_404(api, taskmanager):
    view = _active(api)
    for body in ({'flavorRef': '2'}, {'volume': {'size': 2}}):
        answer = _resize(api, view['id'], body, headers=OTHER)
        assert answer.status_int == 404
    assert _usage() == {'instances': 1, 'volumes': 1}


@pytest.mark.parametrize('body', [
    {'flavorRef': '2', 'volume': {'size': 2}},
    {},
    {'volume': {}},
    {'volume': {'size': 0}},
    {'volume': {'size': '2'}},
    {'flavor': '2'},
])
def test_malformed_resize_bodies_are_a_400(api, taskmanager, body):
    view = _active(api)
    answer = _resize(api, view['id'], body)
    assert answer.status_int == 400
    assert _shown(api, view['id'])['status'] == 'ACTIVE'


def test_resize_volume_counts_the_growth_and_casts(api, taskmanager):
    view = _active(api)
    answer = _resize(api, view['id'], {'volume': {'size': 3}})
    assert answer.status_int == 202, answer.text
    assert _shown(api, view['id'])['status'] == 'RESIZE'
    assert _usage() == {'instances': 1, 'volumes': 3}
    name, _ctx, args, _kwargs = taskmanager.casts[-1]
    assert (name, args) == ('resize_volume', (view['id'], 3))


@pytest.mark.parametrize('size, words', [
    (1, 'must be larger'), (11, 'maximum of 10 GB')])
def test_resize_volume_refuses_sizes_not_larger_or_too_large(
        api, taskmanager, size, words):
    view = _active(api)
    answer = _resize(api, view['id'], {'volume': {'size': size}})
    assert answer.status_int == 400
    assert words in _message(answer)
    assert "'resize.volume.size'" in _message(answer)
    assert _usage() == {'instances': 1, 'volumes': 1}


def test_resize_volume_past_the_quota_is_a_413_and_changes_nothing(
        api, taskmanager, databases):
    CONF.set_override('max_volumes_per_tenant', 4)
    try:
        view = _active(api, volume={'size': 2})
        before = snapshot(*databases.values())
        answer = _resize(api, view['id'], {'volume': {'size': 5}})
        assert answer.status_int == 413
        assert 'growing by 3 GB' in _message(answer)
        assert snapshot(*databases.values()) == before
        assert _resize(api, view['id'],
                       {'volume': {'size': 4}}).status_int == 202
        assert _usage() == {'instances': 1, 'volumes': 4}
    finally:
        CONF.clear_override('max_volumes_per_tenant')


def test_resize_volume_without_a_taskmanager_gives_the_quota_back(
        api, taskmanager):
    view = _active(api)
    taskmanager.error = exceptions.TroveMRError('bus down')
    answer = _resize(api, view['id'], {'volume': {'size': 3}})
    assert answer.status_int == 503
    assert _usage() == {'instances': 1, 'volumes': 1}
    assert _shown(api, view['id'])['status'] == 'ACTIVE'


def test_resize_volume_and_flavor_have_policy_rules_of_their_own(
        api, taskmanager):
    view = _active(api)
    enforcer = policy.get_enforcer()
    enforcer.load_rules()
    enforcer.set_rules(oslo_policy.Rules.from_dict(
        {'instance:resize_volume': '!'}), overwrite=False)
    answer = _resize(api, view['id'], {'volume': {'size': 2}})
    assert answer.status_int == 403
    assert _usage() == {'instances': 1, 'volumes': 1}
    answer = _resize(api, view['id'], {'flavorRef': '2'})
    assert answer.status_int == 202


def test_resize_of_a_cluster_member_is_a_400(api, taskmanager):
    view = _active(api)
    ctx = trove_context.get_admin_context()
    version = db_api.datastore_version_get_default(ctx, 'redis')
    cluster = db_api.cluster_create(ctx, {
        'name': 'c', 'tenant_id': 'p1', 'region_name': 'RegionOne',
        'datastore_version_id': version.id})
    db_api.instance_update(ctx, view['id'], {'cluster_id': cluster.id})
    for body in ({'flavorRef': '2'}, {'volume': {'size': 2}}):
        answer = _resize(api, view['id'], body)
        assert answer.status_int == 400
        assert 'cluster %s' % cluster.id in _message(answer)
    assert _usage() == {'instances': 1, 'volumes': 1}
