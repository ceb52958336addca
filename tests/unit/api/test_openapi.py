"""The OpenAPI document matches the routes the API serves and the file in
doc/, and is served without a token.

What a path serves is asked of the API itself, through the whole
pipeline: a method no route has (TRACE) answers 405 with the served
methods in ``Allow`` on a path that exists, 404 on one that does not.
"""

import os
import re

import webob

from tests.unit.api import routes
from tests.unit.api.conftest import ADMIN
from trove_mr.api import openapi
from trove_mr.api.controllers import root

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(__file__))))


def _concrete(template):
    path = template.replace('{tenant_id}', 'p1')
    return re.sub(r'\{[^}]+\}', 'x0', path)


def _documented():
    return {path: {method.upper() for method in operations}
            for path, operations in openapi.document()['paths'].items()}


def _served(api, path):
    request = webob.Request.blank(path, method='TRACE', headers=ADMIN)
    answer = request.get_response(api)
    if answer.status_int != 405:
        return set()
    return set(answer.headers['Allow'].split(', ')) - {'HEAD'}


def _template_of(concrete, templates):
    """The documented template ``concrete`` fills: the most literal one
    (fewest parameters) when several do."""
    fits = [t for t in templates if re.fullmatch(
        re.sub(r'x0', '[^/]+', re.escape(_concrete(t))), concrete)]
    return min(fits, key=lambda t: t.count('{')) if fits else None


def test_the_file_in_doc_is_the_generated_document():
    with open(os.path.join(ROOT, 'doc', 'openapi.json')) as f:
        assert f.read() == openapi.text(), (
            'doc/openapi.json is stale: python -m trove_mr.api.openapi > '
            'doc/openapi.json')


def test_every_documented_operation_is_served(api):
    for path, methods in _documented().items():
        served = _served(api, _concrete(path))
        assert methods <= served, (path, methods - served)


def test_every_served_route_and_method_is_documented(api):
    documented = _documented()
    checked = 0
    for route in sorted(set(routes.walk(root.RootController()))):
        concrete = _concrete(route)
        served = _served(api, concrete)
        if not served:
            continue
        template = _template_of(concrete, documented)
        assert template, 'undocumented route %s (%s)' % (route, served)
        assert served <= documented[template], (
            route, template, served - documented[template])
        checked += 1
    assert checked > 40


def test_served_without_a_token():
    answers = []
    body = openapi.Application()(
        {'REQUEST_METHOD': 'GET'},
        lambda status, headers: answers.append((status, dict(headers))))
    assert answers[0][0] == '200 OK'
    assert b''.join(body).decode() == openapi.text()
    openapi.Application()({'REQUEST_METHOD': 'POST'},
                          lambda status, headers: answers.append(
                              (status, dict(headers))))
    assert answers[1][0].startswith('405')
    assert answers[1][1]['Allow'] == 'GET, HEAD'
