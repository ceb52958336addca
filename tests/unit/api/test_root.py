"""The API's versions documents, JSON errors and the mgmt ping route."""

import oslo_messaging as messaging
import pytest
import webob

from trove_mr.api import hooks
from trove_mr.api import wsgi
from trove_mr.common import cfg
from trove_mr.common import policy

CONF = cfg.CONF
ADMIN = {'X-Project-Id': 'p1', 'X-User-Id': 'u1', 'X-Roles': 'admin'}
MEMBER = {'X-Project-Id': 'p1', 'X-User-Id': 'u2', 'X-Roles': 'member'}


class FakeTaskManagerAPI:
    """Stands in for the RPC client at the boundary."""

    def __init__(self, error=None):
        self.error = error
        self.contexts = []

    def ping_conductor(self, context):
        self.contexts.append(context)
        if self.error:
            raise self.error
        return {'taskmanager': {'service': 'taskmanager', 'host': 'h'},
                'conductor': {'service': 'conductor', 'host': 'h'}}


@pytest.fixture
def taskmanager_api(monkeypatch):
    fake = FakeTaskManagerAPI()
    monkeypatch.setattr(hooks.RPCHook, '_taskmanager_api', fake)
    return fake


@pytest.fixture
def app(taskmanager_api):
    # The real policy engine reads its options from a parsed CONF.
    CONF([], project='trove-mr')
    policy.reset()
    CONF.set_override('auth_strategy', 'noauth', group='api')
    try:
        yield wsgi.build_application()
    finally:
        CONF.clear_override('auth_strategy', group='api')
        policy.reset()


def request(app, path, method='GET', headers=None):
    return webob.Request.blank(path, method=method,
                               headers=headers or {}).get_response(app)


def test_root_lists_version_1_0_as_current_with_self_link(app):
    answer = request(app, '/')
    assert answer.status_int == 200
    assert answer.json == {'versions': [{
        'id': 'v1.0', 'status': 'CURRENT',
        'updated': '2012-08-01T00:00:00Z',
        'links': [{'href': 'http://localhost/v1.0/', 'rel': 'self'}]}]}


def test_versions_links_use_public_endpoint_when_set(app):
    CONF.set_override('public_endpoint', 'https://dbaas.example/',
                      group='api')
    try:
        link = request(app, '/').json['versions'][0]['links'][0]
    finally:
        CONF.clear_override('public_endpoint', group='api')
    assert link['href'] == 'https://dbaas.example/v1.0/'


def test_version_1_0_document_shows_the_single_version(app):
    answer = request(app, '/v1.0/')
    assert answer.status_int == 200
    assert answer.json['version']['id'] == 'v1.0'
    assert answer.json['version']['status'] == 'CURRENT'


def test_answers_carry_a_request_id(app):
    assert request(app, '/').headers['X-OpenStack-Request-Id'].startswith(
        'req-')


@pytest.mark.parametrize('path', ['/nothing', '/v1.0/p1/nothing',
                                  '/v1.0/p1/mgmt/nothing'])
def test_unknown_path_answers_json_404(app, path):
    answer = request(app, path, headers=ADMIN)
    assert answer.status_int == 404
    assert answer.content_type == 'application/json'
    assert answer.json['itemNotFound']['code'] == 404
    assert answer.json['itemNotFound']['message']


@pytest.mark.parametrize('method,path', [('POST', '/'), ('PUT', '/v1.0/'),
                                         ('DELETE', '/v1.0/p1/mgmt/ping')])
def test_wrong_method_answers_json_405_with_allow(app, method, path):
    answer = request(app, path, method=method, headers=ADMIN)
    assert answer.status_int == 405
    assert answer.headers['Allow'] == 'GET'
    assert answer.json['badMethod']['code'] == 405
    assert method in answer.json['badMethod']['message'] or \
        'GET' in answer.json['badMethod']['message']


def test_healthcheck_answers_without_credentials(app):
    assert request(app, '/healthcheck').status_int in (200, 204)


def test_mgmt_ping_returns_taskmanager_and_conductor_answers(
        app, taskmanager_api):
    answer = request(app, '/v1.0/p1/mgmt/ping', headers=ADMIN)
    assert answer.status_int == 200
    assert answer.json['ping']['conductor']['service'] == 'conductor'
    assert answer.json['ping']['taskmanager']['service'] == 'taskmanager'
    context = taskmanager_api.contexts[0]
    assert (context.project_id, context.user_id) == ('p1', 'u1')
    assert context.region_name == CONF.region_name


def test_mgmt_ping_refuses_non_admin_with_json_403(app, taskmanager_api):
    answer = request(app, '/v1.0/p1/mgmt/ping', headers=MEMBER)
    assert answer.status_int == 403
    assert answer.json['forbidden']['code'] == 403
    assert taskmanager_api.contexts == []


def test_other_tenants_url_answers_404_to_non_admin(app):
    # 404, not 403: a caller must not learn which projects exist.
    answer = request(app, '/v1.0/p2/mgmt/ping', headers=MEMBER)
    assert answer.status_int == 404
    assert answer.json['itemNotFound']['code'] == 404


def test_anonymous_caller_has_no_identity(app, taskmanager_api):
    # noauth drops half-set identity headers of callers without a project.
    answer = request(app, '/v1.0/p1/mgmt/ping', headers={'X-Roles': 'admin'})
    assert answer.status_int == 404
    assert taskmanager_api.contexts == []


def test_mgmt_ping_without_taskmanager_answers_json_503(
        app, taskmanager_api):
    taskmanager_api.error = messaging.MessagingTimeout('no answer')
    answer = request(app, '/v1.0/p1/mgmt/ping', headers=ADMIN)
    assert answer.status_int == 503
    assert answer.json['serviceUnavailable']['code'] == 503


def test_unexpected_error_answers_json_500_without_details(
        app, taskmanager_api):
    taskmanager_api.error = RuntimeError('secret internals')
    answer = request(app, '/v1.0/p1/mgmt/ping', headers=ADMIN)
    assert answer.status_int == 500
    assert 'secret' not in answer.text
    assert answer.json['internalServerError']['code'] == 500
