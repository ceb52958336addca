"""Configuration groups through the API's WSGI app: real policy, real
SQLite databases, the shipped Redis rules, a fake taskmanager client."""

import jsonschema
import pytest

from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from trove_mr.api.schemas import configurations as schemas
from trove_mr.api.schemas import instances as instance_schemas
from trove_mr.common import configuration
from trove_mr.common import context as trove_context
from trove_mr.db.main import api as db_api

BASE = '/v1.0/p1/configurations'
INSTANCES = '/v1.0/p1/instances'


@pytest.fixture
def rules(databases):
    ctx = trove_context.get_admin_context()
    version = db_api.datastore_version_get_by_name(ctx, 'redis', '7.0')
    db_api.parameters_replace(ctx, version.id, configuration.load_rules_file(
        configuration.default_rules_file('redis')))
    return version


def _group(api, values=None, **extra):
    body = {'configuration': dict(
        {'name': 'tuned', 'values': values or {'timeout': 300},
         'datastore': {'type': 'redis', 'version': '7.0'}}, **extra)}
    answer = call(api, BASE, 'POST', body)
    assert answer.status_int == 200, answer.text
    jsonschema.validate(answer.json['configuration'],
                        schemas.CONFIGURATION_VIEW)
    return answer.json['configuration']


def _instance(api, **overrides):
    answer = call(api, INSTANCES, 'POST', create_body(**overrides))
    assert answer.status_int == 202, answer.text
    ctx = trove_context.get_admin_context()
    instance_id = answer.json['instance']['id']
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    db_api.instance_status_update(ctx, instance_id, 'RUNNING', 2e9, 0.5)
    return instance_id


def test_create_show_list_a_group(api, rules):
    group = _group(api, {'timeout': 300, 'maxmemory-policy': 'allkeys-lru',
                         'appendonly': 'no'}, description='for caches')
    assert group['values'] == {'timeout': 300,
                               'maxmemory-policy': 'allkeys-lru',
                               'appendonly': False}
    assert group['datastore_name'] == 'redis'
    assert group['datastore_version_name'] == '7.0'
    assert group['datastore_version_id'] == rules.id
    shown = call(api, '%s/%s' % (BASE, group['id'])).json['configuration']
    assert shown['instance_count'] == 0
    assert shown['description'] == 'for caches'
    listed = call(api, BASE).json['configurations']
    assert [g['id'] for g in listed] == [group['id']]
    assert 'values' not in listed[0]


@pytest.mark.parametrize('values,named', [
    ({'timeout': -1}, 'timeout'),
    ({'timeout': 'soon'}, 'timeout'),
    ({'maxmemory-policy': 'sometimes'}, 'maxmemory-policy'),
    ({'hz': 501}, 'hz'),
    ({'no-such-thing': 1}, 'no-such-thing'),
    ({'requirepass': 'x' * 20}, 'requirepass'),
    ({'cluster-node-timeout': 10}, 'cluster-node-timeout'),
    ({'notify-keyspace-events': 'Ex\nbind 0.0.0.0'},
     'notify-keyspace-events'),
])
def test_bad_values_are_400s_naming_the_parameter(api, rules, values,
                                                  named):
    answer = call(api, BASE, 'POST', {'configuration': {
        'name': 'bad', 'values': values}})
    assert answer.status_int == 400, answer.text
    assert "'%s'" % named in answer.json['badRequest']['message']
    assert call(api, BASE).json['configurations'] == []


def test_another_tenants_group_is_a_404(api, rules):
    group = _group(api)
    url = '%s/%s' % (BASE, group['id'])
    assert call(api, url.replace('/p1/', '/p2/'), headers=OTHER
                ).status_int == 404
    assert call(api, url.replace('/p1/', '/p2/'), 'DELETE',
                headers=OTHER).status_int == 404
    instance_id = _instance(api)
    # Attaching another tenant's group to one's instance: 404 too.
    other = call(api, '/v1.0/p2/configurations', 'POST', {'configuration': {
        'name': 'theirs', 'values': {'hz': 20}}}, headers=OTHER).json
    answer = call(api, '%s/%s' % (INSTANCES, instance_id), 'PUT',
                  {'instance': {'configuration':
                                other['configuration']['id']}})
    assert answer.status_int == 404


def test_attach_configures_and_detach_by_put_and_patch(api, rules,
                                                       taskmanager):
    group = _group(api)
    instance_id = _instance(api)
    url = '%s/%s' % (INSTANCES, instance_id)
    answer = call(api, url, 'PUT', {'instance': {'configuration':
                                                 group['id']}})
    assert answer.status_int == 202, answer.text
    assert taskmanager.casts[-1][0] == 'apply_configuration'
    assert taskmanager.casts[-1][2] == (instance_id,)
    shown = call(api, url).json
    jsonschema.validate(shown, instance_schemas.SHOW_RESPONSE)
    assert shown['instance']['status'] == 'CONFIGURING'
    assert shown['instance']['configuration']['id'] == group['id']
    assert shown['instance']['configuration']['name'] == 'tuned'
    # Busy: a second change waits.
    assert call(api, url, 'PATCH', {'instance': {'configuration': None}}
                ).status_int == 409
    # Deleting an attached group is refused.
    delete = call(api, '%s/%s' % (BASE, group['id']), 'DELETE')
    assert delete.status_int == 400
    assert instance_id in delete.json['badRequest']['message']
    listed = call(api, '%s/%s/instances' % (BASE, group['id'])).json
    assert [i['id'] for i in listed['instances']] == [instance_id]
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    # PUT with an empty instance detaches (python-troveclient's modify).
    assert call(api, url, 'PUT', {'instance': {}}).status_int == 202
    row = db_api.instance_get(ctx, instance_id)
    assert row.configuration_id is None
    assert row.task_status == 'CONFIGURING'
    assert taskmanager.casts[-1][0] == 'apply_configuration'
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    assert call(api, '%s/%s' % (BASE, group['id']), 'DELETE'
                ).status_int == 202
    assert call(api, '%s/%s' % (BASE, group['id'])).status_int == 404


def test_restart_required_shows_until_cleared(api, rules):
    instance_id = _instance(api)
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, instance_id,
                           {'configuration_restart_required': True})
    shown = call(api, '%s/%s' % (INSTANCES, instance_id)).json
    assert shown['instance']['status'] == 'RESTART_REQUIRED'
    jsonschema.validate(shown, instance_schemas.SHOW_RESPONSE)


def test_create_with_a_group_records_it(api, rules, taskmanager):
    group = _group(api)
    instance_id = _instance(api, configuration=group['id'])
    row = db_api.instance_get(trove_context.get_admin_context(),
                              instance_id)
    assert row.configuration_id == group['id']
    answer = call(api, INSTANCES, 'POST',
                  create_body(configuration='no-such-group'))
    assert answer.status_int == 404


def test_update_replaces_edit_merges_and_both_apply(api, rules,
                                                    taskmanager):
    group = _group(api, {'timeout': 300, 'hz': 20})
    instance_id = _instance(api)
    url = '%s/%s' % (BASE, group['id'])
    call(api, '%s/%s' % (INSTANCES, instance_id), 'PUT',
         {'instance': {'configuration': group['id']}})
    # Busy (CONFIGURING): the change waits for it.
    assert call(api, url, 'PATCH', {'configuration': {
        'values': {'hz': 30}}}).status_int == 409
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    assert call(api, url, 'PATCH', {'configuration': {
        'values': {'hz': 30}}}).status_int == 202
    assert call(api, url).json['configuration']['values'] == {
        'timeout': 300, 'hz': 30}
    assert taskmanager.casts[-1][0] == 'apply_configuration'
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    answer = call(api, url, 'PUT', {'configuration': {
        'values': {'loglevel': 'warning'}, 'name': 'renamed'}})
    assert answer.status_int == 202
    shown = call(api, url).json['configuration']
    assert shown['values'] == {'loglevel': 'warning'}
    assert shown['name'] == 'renamed'
    assert shown['instance_count'] == 1
    bad = call(api, url, 'PATCH', {'configuration': {
        'values': {'databases': 0}}})
    assert bad.status_int == 400
    assert "'databases'" in bad.json['badRequest']['message']


def test_parameters_by_name_and_by_version_id(api, rules):
    listed = call(api, '/v1.0/p1/datastores/redis/versions/7.0/parameters')
    assert listed.status_int == 200, listed.text
    params = {p['name']: p for p in listed.json['configuration-parameters']}
    for view in params.values():
        jsonschema.validate(view, schemas.PARAMETER_VIEW)
    assert params['databases']['restart_required'] is True
    assert params['timeout'] == {
        'name': 'timeout', 'type': 'integer', 'min': 0, 'max': 31536000,
        'restart_required': False, 'datastore_version_id': rules.id}
    assert 'requirepass' not in params
    by_id = call(api, '/v1.0/p1/datastores/versions/%s/parameters'
                 % rules.id).json['configuration-parameters']
    assert len(by_id) == len(params)
    one = call(api, '/v1.0/p1/datastores/versions/%s/parameters/hz'
               % rules.id)
    assert one.status_int == 200 and one.json['max'] == 500
    one = call(api, '/v1.0/p1/datastores/redis/versions/7.0/parameters/'
               'maxmemory-policy').json
    assert 'allkeys-lru' in one['allowed_values']
    assert call(api, '/v1.0/p1/datastores/redis/versions/7.0/parameters/'
                'requirepass').status_int == 404


def test_attach_refuses_a_group_of_another_version(api, rules, taskmanager):
    group = _group(api)
    ctx = trove_context.get_admin_context()
    older = db_api.datastore_version_get_by_name(ctx, 'redis', '6.2')
    instance_id = _instance(api)
    db_api.instance_update(ctx, instance_id,
                           {'datastore_version_id': older.id})
    answer = call(api, '%s/%s' % (INSTANCES, instance_id), 'PUT',
                  {'instance': {'configuration': group['id']}})
    assert answer.status_code == 400
    message = answer.json['badRequest']['message']
    assert 'redis 7.0' in message and 'redis 6.2' in message
    assert db_api.instance_get(ctx, instance_id).configuration_id is None
    assert taskmanager.casts[-1][0] == 'create_instance'


def test_cluster_members_are_configured_through_their_cluster(
        api, rules, taskmanager):
    group = _group(api)
    instance_id = _instance(api)
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, instance_id, {'cluster_id': 'c-1'})
    answer = call(api, '%s/%s' % (INSTANCES, instance_id), 'PUT',
                  {'instance': {'configuration': group['id']}})
    assert answer.status_code == 400
    assert 'cluster c-1' in answer.json['badRequest']['message']
