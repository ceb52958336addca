"""trove-mr-api under gunicorn, talking to real taskmanager and conductor."""

import json
import urllib.error
import urllib.request

import pytest

from tests.functional.rpc_fixtures import exchange  # noqa: F401
from tests.functional.rpc_fixtures import free_port
from tests.functional.rpc_fixtures import start_service  # noqa: F401
from tests.functional.rpc_fixtures import wait_until
from tests.functional.rpc_fixtures import write_config

ADMIN = {'X-Project-Id': 'p1', 'X-User-Id': 'u1', 'X-Roles': 'admin'}


def http(url, method='GET', headers=None):
    """(status, headers, JSON body or None) of one HTTP request."""
    request = urllib.request.Request(url, method=method,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, head, body = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as err:
        status, head, body = err.code, err.headers, err.read()
    return status, head, json.loads(body) if body.strip() else None


@pytest.fixture
def deployment(tmp_path, exchange, start_service):  # noqa: F811
    """api (gunicorn, 1 worker), taskmanager and conductor on one bus."""
    port = free_port()
    config = write_config(
        tmp_path / 'trove-mr.conf', exchange,
        api={'bind_host': '127.0.0.1', 'bind_port': port, 'workers': 1,
             'auth_strategy': 'noauth'})
    processes = {name: start_service(name, config)
                 for name in ('api', 'taskmanager', 'conductor')}
    base = 'http://127.0.0.1:%d' % port

    def healthy():
        assert http(base + '/healthcheck')[0] in (200, 204)

    wait_until(healthy, service=processes['api'])
    return base, processes


def test_mgmt_ping_goes_from_api_through_taskmanager_to_conductor(
        deployment):
    base, processes = deployment

    def ping():
        status, _, body = http(base + '/v1.0/p1/mgmt/ping', headers=ADMIN)
        assert status == 200, body
        return body

    body = wait_until(ping, service=processes['taskmanager'])

    assert body['ping']['taskmanager']['service'] == 'taskmanager'
    assert body['ping']['conductor']['service'] == 'conductor'


def test_api_answers_versions_and_json_errors_over_http(deployment):
    base, _ = deployment

    status, head, body = http(base + '/')
    assert status == 200
    assert body['versions'][0]['id'] == 'v1.0'
    assert body['versions'][0]['links'][0]['href'] == base + '/v1.0/'
    assert head['X-OpenStack-Request-Id'].startswith('req-')

    status, head, body = http(base + '/v1.0/p1/nothing', headers=ADMIN)
    assert (status, head['Content-Type'].split(';')[0]) == (
        404, 'application/json')
    assert body['itemNotFound']['code'] == 404

    status, head, body = http(base + '/', method='DELETE')
    assert (status, head['Allow']) == (405, 'GET')
    assert body['badMethod']['code'] == 405


def test_api_stops_cleanly_on_sigterm(deployment):
    _, processes = deployment
    api = processes['api']

    code, seconds = api.terminate()

    assert code == 0, api.log()
    assert seconds < 5
    assert not api.group_alive(), 'a gunicorn worker outlived the master'
