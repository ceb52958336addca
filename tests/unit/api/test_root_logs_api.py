"""Root and guest log routes through the WSGI app: real policy, real
SQLite databases, fakes for the taskmanager client and the guest."""

import oslo_messaging as messaging
import pytest

from tests.unit.api.conftest import MEMBER
from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from trove_mr.api.domain import logs as logs_domain
from trove_mr.common import context as trove_context
from trove_mr.db.main import api as db_api

BASE = '/v1.0/p1/instances'
SWIFT = 'http://swift.test/v1/AUTH_p1'


@pytest.fixture
def root_casts(taskmanager):
    casts = []

    def change_root_password(context, *args, **kwargs):
        if taskmanager.error:
            raise taskmanager.error
        casts.append((args, kwargs))
    taskmanager.change_root_password = change_root_password
    return casts


def _active_instance(api, **overrides):
    answer = call(api, BASE, 'POST', create_body(**overrides))
    assert answer.status_int == 202, answer.text
    instance_id = answer.json['instance']['id']
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    db_api.instance_status_update(ctx, instance_id, 'RUNNING', 2e9, 0.5)
    return instance_id


def test_root_enable_answers_a_new_password_and_posts_the_change(
        api, root_casts):
    instance_id = _active_instance(api)
    url = '%s/%s/root' % (BASE, instance_id)
    assert call(api, url).json == {'rootEnabled': False}
    answer = call(api, url, 'POST')
    assert answer.status_int == 200, answer.text
    user = answer.json['user']
    assert user['name'] == 'root'
    assert len(user['password']) >= 16
    ((args, kwargs),) = root_casts
    assert args == ('instance', instance_id, user['password'])
    assert kwargs['enable'] is True
    assert call(api, url).json == {'rootEnabled': True}
    record = db_api.root_get(trove_context.get_admin_context(), instance_id)
    assert record.enabled_by == MEMBER['X-User-Id']
    # The job carries the change the API recorded as the latest.
    assert record.change_id == kwargs['change_id']
    # A second enable gives yet another password.
    again = call(api, url, 'POST').json['user']['password']
    assert again != user['password']


def test_root_enable_takes_the_tenants_password_and_checks_it(
        api, root_casts):
    instance_id = _active_instance(api)
    url = '%s/%s/root' % (BASE, instance_id)
    mine = 'my-own-password-1234'
    answer = call(api, url, 'POST', {'password': mine})
    assert answer.json['user']['password'] == mine
    bad = call(api, url, 'POST', {'password': 'short "quoted"'})
    assert bad.status_int == 400
    assert 'password' in bad.json['badRequest']['message']
    assert 'quoted' not in bad.text
    unknown = call(api, url, 'POST', {'user': 'x'})
    assert unknown.status_int == 400
    assert len(root_casts) == 1


def test_root_disable_resets_to_an_unshown_password(api, root_casts):
    instance_id = _active_instance(api)
    url = '%s/%s/root' % (BASE, instance_id)
    assert call(api, url, 'DELETE').status_int == 404
    enabled = call(api, url, 'POST').json['user']['password']
    answer = call(api, url, 'DELETE')
    assert answer.status_int == 204
    assert answer.body == b''
    (args, kwargs) = root_casts[-1]
    assert kwargs['enable'] is False
    assert args[2] != enabled and len(args[2]) >= 16
    assert call(api, url).json == {'rootEnabled': False}


def test_root_of_another_tenant_or_unknown_instance_is_404(
        api, root_casts):
    instance_id = _active_instance(api)
    url = '/v1.0/p2/instances/%s/root' % instance_id
    for method in ('GET', 'POST', 'DELETE'):
        assert call(api, url, method, headers=OTHER).status_int == 404
    unknown = '%s/%s/root' % (BASE, '0' * 8 + '-0000-0000-0000-' + '0' * 12)
    assert call(api, unknown, 'POST').status_int == 404
    assert root_casts == []


def test_root_on_a_building_instance_is_409_and_changes_nothing(
        api, root_casts):
    answer = call(api, BASE, 'POST', create_body())
    url = '%s/%s/root' % (BASE, answer.json['instance']['id'])
    assert call(api, url, 'POST').status_int == 409
    assert call(api, url).json == {'rootEnabled': False}
    assert root_casts == []


def test_root_enable_without_taskmanager_puts_the_record_back(
        api, taskmanager, root_casts):
    instance_id = _active_instance(api)
    url = '%s/%s/root' % (BASE, instance_id)
    taskmanager.error = messaging.MessagingTimeout('no one')
    assert call(api, url, 'POST').status_int == 503
    assert call(api, url).json == {'rootEnabled': False}


class FakeGuest:
    def __init__(self):
        self.actions = []
        self.fail = None

    def guest_log_list(self):
        if self.fail:
            raise self.fail
        return [{'name': 'redis', 'type': 'SYS', 'status': 'Ready',
                 'published': 0, 'pending': 120},
                {'name': 'slow_query', 'type': 'USER', 'status': 'Enabled',
                 'published': 0, 'pending': 0}]

    def guest_log_action(self, name, actions, target=None):
        self.actions.append((name, actions, target))
        return {'name': name, 'type': 'USER', 'status': 'Published',
                'published': 10, 'pending': 0}


@pytest.fixture
def guest(monkeypatch):
    fake = FakeGuest()
    monkeypatch.setattr(logs_domain.guest, 'guest_client',
                        lambda context, instance_id: fake)
    monkeypatch.setattr(logs_domain.clients, 'object_store_url',
                        lambda context, region_name: SWIFT + region_name)
    return fake


def test_log_list_shows_troveclients_fields(api, guest):
    instance_id = _active_instance(api)
    answer = call(api, '%s/%s/log' % (BASE, instance_id))
    assert answer.status_int == 200, answer.text
    logs = answer.json['logs']
    assert [log['name'] for log in logs] == ['redis', 'slow_query']
    assert logs[0] == {'name': 'redis', 'type': 'SYS', 'status': 'Ready',
                       'published': 0, 'pending': 120,
                       'container': 'database_logs',
                       'prefix': '%s/redis-redis/' % instance_id,
                       'metafile': '%s/redis-redis_metafile' % instance_id}


def test_log_publish_targets_the_instances_region(api, guest):
    instance_id = _active_instance(api, region_name='RegionTwo')
    answer = call(api, '%s/%s/log' % (BASE, instance_id), 'POST',
                  {'name': 'slow_query', 'publish': 1})
    assert answer.status_int == 200, answer.text
    assert answer.json['log']['status'] == 'Published'
    name, actions, target = guest.actions[0]
    assert (name, actions) == ('slow_query', ['publish'])
    assert target == {'swift_url': SWIFT + 'RegionTwo',
                      'container': 'database_logs',
                      'prefix': '%s/redis-slow_query/' % instance_id,
                      'metafile': '%s/redis-slow_query_metafile'
                      % instance_id}


def test_log_show_is_a_post_without_action(api, guest):
    instance_id = _active_instance(api)
    answer = call(api, '%s/%s/log' % (BASE, instance_id), 'POST',
                  {'name': 'redis'})
    assert answer.json['log']['status'] == 'Ready'
    assert guest.actions == []


@pytest.mark.parametrize('body, status', [
    ({'name': 'nope', 'publish': 1}, 404),
    ({'name': 'redis', 'disable': 1}, 400),
    ({'name': 'slow_query', 'enable': 1, 'disable': 1}, 400),
    ({'name': 'slow_query', 'rotate': 1}, 400),
    ({'publish': 1}, 400),
])
def test_bad_log_requests_are_refused(api, guest, body, status):
    instance_id = _active_instance(api)
    answer = call(api, '%s/%s/log' % (BASE, instance_id), 'POST', body)
    assert answer.status_int == status, answer.text
    assert guest.actions == []


def test_logs_of_another_tenant_are_404(api, guest):
    instance_id = _active_instance(api)
    url = '/v1.0/p2/instances/%s/log' % instance_id
    assert call(api, url, headers=OTHER).status_int == 404
    assert call(api, url, 'POST', {'name': 'redis'},
                headers=OTHER).status_int == 404


def test_a_silent_guest_is_503(api, guest):
    instance_id = _active_instance(api)
    guest.fail = messaging.MessagingTimeout('silent')
    answer = call(api, '%s/%s/log' % (BASE, instance_id))
    assert answer.status_int == 503
    assert instance_id in answer.text


def test_a_guest_refusal_is_a_400_with_its_reason(api, guest):
    instance_id = _active_instance(api)

    def refuse(name, actions, target=None):
        raise messaging.RemoteError('GuestError', 'Log redis is '
                                    'unavailable: not written yet.')
    guest.guest_log_action = refuse
    answer = call(api, '%s/%s/log' % (BASE, instance_id), 'POST',
                  {'name': 'redis', 'publish': 1})
    assert answer.status_int == 400
    assert 'not written yet' in answer.json['badRequest']['message']
