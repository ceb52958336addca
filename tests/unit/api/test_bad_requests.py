"""Bad requests are refused with a 4xx before anything changes: the
nested-JSON, collection-method, oversized-body and media-type cases of
every route family, through the whole WSGI pipeline."""

import io

import pytest
import webob

from tests.unit.api import routes
from tests.unit.api.conftest import MEMBER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from tests.unit.api.conftest import snapshot
from trove_mr.api import middleware
from trove_mr.api import routing
from trove_mr.common import cfg

CONF = cfg.CONF
NESTED = b'{"a":' * 5000 + b'1' + b'}' * 5000


def _raw(app, path, method, body=b'', content_type='application/json',
         headers=None):
    request = webob.Request.blank(path, method=method,
                                  headers=dict(headers or MEMBER))
    if body:
        request.body = body
    if content_type is not None:
        request.content_type = content_type
    return request.get_response(app)


@pytest.fixture
def instance_id(api):
    answer = call(api, '/v1.0/p1/instances', 'POST', create_body())
    assert answer.status_int == 202, answer.text
    return answer.json['instance']['id']


@pytest.mark.parametrize('path', [
    '/v1.0/p1/instances', '/v1.0/p1/clusters', '/v1.0/p1/backups',
    '/v1.0/p1/instances/{id}/action', '/v1.0/p1/clusters/{id}/action',
    '/v1.0/p1/clusters/{id}', '/v1.0/p1/instances/{id}'])
@pytest.mark.parametrize('method', ['POST', 'PUT', 'PATCH'])
def test_deeply_nested_json_is_a_400_before_parsing(
        api, databases, taskmanager, instance_id, path, method):
    before = snapshot(*databases.values())
    answer = _raw(api, path.format(id=instance_id), method, NESTED)
    assert answer.status_int in (400, 405), answer.text
    if answer.status_int == 400:
        assert 'nested deeper than 32' in \
            answer.json['badRequest']['message']
    assert snapshot(*databases.values()) == before
    assert taskmanager.casts[1:] == []


def test_nesting_at_the_limit_is_parsed_and_judged_by_the_schema(api):
    CONF.set_override('max_json_depth', 4, group='api')
    try:
        deep = (b'{"instance": {"name": "x", "flavorRef": "7", '
                b'"volume": {"size": [1]}}}')
        answer = _raw(api, '/v1.0/p1/instances', 'POST', deep)
        assert answer.status_int == 400
        assert "'instance.volume.size'" in \
            answer.json['badRequest']['message']
        deeper = b'{"instance": {"volume": {"size": [[1]]}}}'
        answer = _raw(api, '/v1.0/p1/instances', 'POST', deeper)
        assert 'nested deeper than 4' in \
            answer.json['badRequest']['message']
    finally:
        CONF.clear_override('max_json_depth', group='api')


def test_brackets_inside_strings_do_not_count():
    assert middleware.json_depth('{"a": "[[[[{{{{\\"[["}') == 1
    assert middleware.json_depth('[[], [[]], {"x": [{}]}]') == 4
    assert middleware.json_depth('') == 0


@pytest.mark.parametrize('path,method,allow', [
    ('/v1.0/p1/instances', 'PUT', 'GET, POST'),
    ('/v1.0/p1/instances', 'PATCH', 'GET, POST'),
    ('/v1.0/p1/instances', 'DELETE', 'GET, POST'),
    ('/v1.0/p1/clusters', 'DELETE', 'GET, POST'),
    ('/v1.0/p1/clusters', 'PUT', 'GET, POST'),
    ('/v1.0/p1/backups', 'DELETE', 'GET, POST'),
    ('/v1.0/p1/backups', 'PATCH', 'GET, POST'),
    ('/v1.0/p1/instances/{id}/action', 'GET', 'POST'),
    ('/v1.0/p1/instances/{id}/action', 'DELETE', 'POST'),
    ('/v1.0/p1/instances/{id}', 'POST', 'GET, PUT, PATCH, DELETE'),
    ('/v1.0/p1/flavors', 'POST', 'GET'),
    ('/v1.0/p1/mgmt/ping', 'POST', 'GET'),
    ('/v1.0/', 'DELETE', 'GET'),
])
def test_unsupported_method_is_a_405_with_allow(
        api, databases, taskmanager, instance_id, path, method, allow):
    before = snapshot(*databases.values())
    answer = _raw(api, path.format(id=instance_id), method)
    assert answer.status_int == 405, answer.text
    assert answer.headers['Allow'] == allow
    assert answer.json['badMethod']['code'] == 405
    assert snapshot(*databases.values()) == before
    assert [c[0] for c in taskmanager.casts] == ['create_instance']


def test_an_id_never_comes_from_the_query_or_body(
        api, databases, taskmanager, instance_id):
    before = snapshot(*databases.values())
    answer = _raw(api, '/v1.0/p1/instances?instance_id=%s' % instance_id,
                  'DELETE')
    assert answer.status_int == 405
    answer = _raw(api, '/v1.0/p1/instances', 'DELETE',
                  b'{"instance_id": "%s"}' % instance_id.encode())
    assert answer.status_int == 405
    answer = _raw(api, '/v1.0/p1/instances/%s?_method=DELETE'
                  % instance_id, 'POST')
    assert answer.status_int == 400
    assert snapshot(*databases.values()) == before
    assert [c[0] for c in taskmanager.casts] == ['create_instance']


class _Unreadable(io.RawIOBase):
    """A request body nobody may read."""

    def readable(self):
        return True

    def read(self, size=-1):
        raise AssertionError('the body was read')

    readinto = read


def test_50_mb_body_is_a_413_without_being_read(api, databases,
                                                taskmanager):
    before = snapshot(*databases.values())
    request = webob.Request.blank('/v1.0/p1/instances', method='POST',
                                  headers=MEMBER)
    request.content_type = 'application/json'
    request.environ['wsgi.input'] = _Unreadable()
    request.environ['CONTENT_LENGTH'] = str(50 * 1024 * 1024)
    answer = request.get_response(api)
    assert answer.status_int == 413
    assert 'larger than 114688 bytes' in answer.json['overLimit']['message']
    assert snapshot(*databases.values()) == before
    assert taskmanager.casts == []


def test_50_mb_chunked_body_is_read_only_up_to_the_limit(api, taskmanager):
    source = io.BytesIO(b'[' * (50 * 1024 * 1024))
    request = webob.Request.blank('/v1.0/p1/instances', method='POST',
                                  headers=MEMBER)
    request.content_type = 'application/json'
    request.environ['wsgi.input'] = source
    request.environ.pop('CONTENT_LENGTH', None)
    request.environ['HTTP_TRANSFER_ENCODING'] = 'chunked'
    answer = request.get_response(api)
    assert answer.status_int == 413
    assert source.tell() == CONF.api.max_request_body_size + 1
    assert taskmanager.casts == []


@pytest.mark.parametrize('content_type', [
    'text/plain', 'application/x-www-form-urlencoded', None,
    'application/json; charset=utf-16', 'multipart/form-data; boundary=x',
    'application/xml'])
def test_a_body_that_is_not_json_is_a_415(api, databases, taskmanager,
                                          content_type):
    before = snapshot(*databases.values())
    answer = _raw(api, '/v1.0/p1/instances', 'POST',
                  b'{"instance": {"name": "x", "flavorRef": "7"}}',
                  content_type=content_type)
    assert answer.status_int == 415, answer.text
    assert answer.json['badMediaType']['code'] == 415
    assert snapshot(*databases.values()) == before
    assert taskmanager.casts == []


@pytest.mark.parametrize('content_type', [
    'application/json', 'application/json; charset=UTF-8',
    'application/merge-patch+json'])
def test_json_media_types_are_accepted(api, content_type):
    body = b'{"instance": {"name": "cache", "flavorRef": "7", ' \
           b'"volume": {"size": 1}}}'
    answer = _raw(api, '/v1.0/p1/instances', 'POST', body,
                  content_type=content_type)
    assert answer.status_int == 202, answer.text


def test_a_body_that_is_not_utf8_is_a_400(api):
    answer = _raw(api, '/v1.0/p1/instances', 'POST', b'{"\xff": 1}')
    assert answer.status_int == 400
    assert 'UTF-8' in answer.json['badRequest']['message']


def test_a_path_no_method_serves_is_a_404(api):
    # Pecan reaches the action controller without the cluster's id.
    answer = _raw(api, '/v1.0/p1/clusters/action', 'POST')
    assert answer.status_int == 404
    assert 'Allow' not in answer.headers


def _concrete(template, ids):
    """A path of the walked route ``template`` with real ids in it."""
    parts = []
    for part in template.split('/'):
        if part == '{tenant_id}':
            part = 'p1'
        elif part.startswith('{'):
            part = ids.pop(0) if ids else 'redis'
        parts.append(part)
    return '/'.join(parts) or '/'


def test_every_route_answers_405_with_a_true_allow_for_other_methods(
        api, instance_id):
    checked = 0
    for template in routes.all_routes():
        path = _concrete(template, [instance_id, 'x'])
        for method in routing.METHODS + ('OPTIONS', 'TRACE'):
            answer = _raw(api, path, method)
            assert answer.status_int < 500, (method, path, answer.text)
            if answer.status_int != 405:
                continue
            checked += 1
            allowed = answer.headers['Allow'].split(', ')
            assert method not in allowed, (method, path)
            for other in allowed:
                assert _raw(api, path, other).status_int != 405, (
                    other, path)
    assert checked > 50
