"""Generated requests across every route: no 5xx, and a refused request
leaves every row as it was.

Routes come from walking the Pecan controller tree (``routes.py``), so
routes added later are covered without a list to update; bodies come
from random JSON, from the API's own schemas (so that many reach the
domain code), from deep nesting, raw bytes and sizes around the limit;
methods, content types, identities and query strings are random too.

``TROVE_MR_FUZZ_REQUESTS`` sets how many requests are sent (10,000 by
default), ``TROVE_MR_FUZZ_SEED`` replays a run.
"""

import json
import os
import sqlite3
import urllib.parse

import hypothesis
import pytest
import webob
from hypothesis import strategies as st

from tests.unit.api import routes
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import MEMBER
from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from trove_mr.api import hooks
from trove_mr.common import cfg

CONF = cfg.CONF
REQUESTS = int(os.environ.get('TROVE_MR_FUZZ_REQUESTS', '10000'))
SEED = os.environ.get('TROVE_MR_FUZZ_SEED')
LIMIT = 114688

ROUTES = routes.all_routes()
SCHEMAS = routes.schema_documents()
FIELDS = routes.property_names(SCHEMAS)
METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS',
           'TRACE', 'PROPFIND')
CONTENT_TYPES = (
    'application/json', 'application/json', 'application/json',
    'application/json', 'application/json', 'application/json',
    None, '', 'application/json; charset=utf-8',
    'application/json; charset=latin-1', 'application/merge-patch+json',
    'text/plain', 'text/html', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=zz', 'application/xml',
    'application/octet-stream', 'application/json;;;', 'x')
IDENTITIES = (MEMBER, MEMBER, MEMBER, OTHER, ADMIN, {})
# Tables whose rows a refused request must leave alone.
TABLES = ('instances', 'instance_status', 'clusters', 'backups',
          'instance_mappings', 'cluster_mappings', 'quota_usages',
          'quotas', 'region_mappings', 'datastores', 'datastore_versions')

_scalars = (st.none() | st.booleans()
            | st.integers(min_value=-2**70, max_value=2**70)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=40)
            | st.sampled_from(['', 'redis', '7.0', '7', 'm1.redis', 'master',
                               'slave', 'RegionOne', 'RegionTwo',
                               'affinity', 'swift', 'a\x00b', '\u202ex']))
_json = st.recursive(
    _scalars,
    lambda children: (st.lists(children, max_size=5)
                      | st.dictionaries(st.sampled_from(FIELDS)
                                        | st.text(max_size=12),
                                        children, max_size=6)),
    max_leaves=25)


def _from_schema(schema, ids, depth=0):
    """Values that mostly match ``schema``, with some that do not."""
    if depth > 8 or not isinstance(schema, dict):
        return _json
    wrong = _json
    if 'enum' in schema:
        return st.sampled_from(list(schema['enum'])) | wrong
    for key in ('oneOf', 'anyOf'):
        if key in schema:
            return st.one_of([_from_schema(s, ids, depth + 1)
                              for s in schema[key]])
    kind = schema.get('type')
    if isinstance(kind, list):
        return st.one_of([_from_schema(dict(schema, type=k), ids, depth + 1)
                          for k in kind])
    if kind == 'object':
        properties = schema.get('properties', {})
        required = [n for n in schema.get('required', ())
                    if n in properties]
        optional = [n for n in properties if n not in required]
        fixed = {n: _from_schema(properties[n], ids, depth + 1)
                 for n in required}
        extra = {n: _from_schema(properties[n], ids, depth + 1)
                 for n in optional}
        return st.fixed_dictionaries(fixed, optional=extra) | wrong
    if kind == 'array':
        items = _from_schema(schema.get('items', {}), ids, depth + 1)
        return st.lists(items, min_size=schema.get('minItems', 0),
                        max_size=min(schema.get('maxItems', 4), 4)) | wrong
    if kind == 'string':
        return (st.sampled_from(ids + ['cache', 'c1', '1', 'lvmdriver-1'])
                | st.text(min_size=1, max_size=20)
                | st.integers(1, 10).map(str)
                | wrong)
    if kind == 'integer':
        return st.integers(min_value=-1, max_value=12) | wrong
    if kind == 'boolean':
        return st.booleans() | wrong
    if kind == 'null':
        return st.none() | wrong
    return _json


def _encoded(document):
    return json.dumps(document).encode()


@st.composite
def _body(draw, schema_bodies):
    kind = draw(st.sampled_from(
        ('none', 'json', 'schema', 'schema', 'schema', 'nested', 'bytes',
         'size', 'not-json')))
    if kind == 'none':
        return b''
    if kind == 'json':
        return _encoded(draw(_json))
    if kind == 'schema':
        return _encoded(draw(schema_bodies))
    if kind == 'nested':
        depth = draw(st.integers(min_value=1, max_value=6000))
        opener = draw(st.sampled_from(('[', '{"a":')))
        closer = ']' if opener == '[' else '}'
        inner = '1' if opener != '[' else ''
        return (opener * depth + inner + closer * depth).encode()
    if kind == 'bytes':
        return draw(st.binary(min_size=1, max_size=200))
    if kind == 'size':
        size = draw(st.sampled_from((LIMIT - 1, LIMIT, LIMIT + 1,
                                     2 * LIMIT)))
        padding = max(size - 2, 0)
        return b'"' + b'x' * padding + b'"'
    return draw(st.text(min_size=1, max_size=80)).encode('utf-8',
                                                         'surrogatepass')


def _segments(ids):
    return (st.sampled_from(ids + ['detail', 'versions', 'action', 'redis',
                                   '7.0', '7'])
            | st.uuids().map(str)
            | st.text(min_size=1, max_size=30)).map(
                lambda value: urllib.parse.quote(value, safe=''))


def requests(ids):
    """(method, path, body, content type, identity) strategy; built once,
    as building strategies costs more than drawing from them."""
    schema_bodies = st.one_of([_from_schema(schema, ids)
                               for schema in SCHEMAS])
    return _requests(ids, _segments(ids), _body(schema_bodies))


@st.composite
def _requests(draw, ids, segments, bodies):
    template = draw(st.sampled_from(ROUTES))
    parts = []
    for part in template.split('/'):
        if part in ('{tenant_id}',):
            part = draw(st.sampled_from(('p1', 'p1', 'p1', 'p2', 'adm',
                                         'x%00y')))
        elif part.startswith('{'):
            part = draw(segments)
        parts.append(part)
    path = '/'.join(parts) or '/'
    query = draw(st.dictionaries(
        st.sampled_from(FIELDS + ['limit', 'marker', '_method'])
        | st.text(max_size=8),
        st.text(max_size=12) | st.sampled_from(ids + ['1', 'true']),
        max_size=3))
    if query:
        path += '?' + urllib.parse.urlencode(query)
    method = draw(st.sampled_from(METHODS))
    body = draw(bodies)
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    identity = draw(st.sampled_from(IDENTITIES))
    return method, path, body, content_type, identity


class _Rows:
    """Every row of the tables a request may change, read cheaply."""

    def __init__(self, urls):
        self.connections = [sqlite3.connect(url[len('sqlite:///'):])
                            for url in urls]
        self.versions = None
        self.rows = None

    def _versions(self):
        # Changes whenever another connection commits to the file.
        return [c.execute('PRAGMA data_version').fetchone()[0]
                for c in self.connections]

    def snapshot(self):
        """Every row; read again only when some commit happened since."""
        versions = self._versions()
        if versions != self.versions:
            self.versions, self.rows = versions, self._read()
        return self.rows

    def _read(self):
        state = []
        for connection in self.connections:
            present = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            for table in TABLES:
                if table in present:
                    state.append(sorted(map(repr, connection.execute(
                        'SELECT * FROM %s' % table))))
        return state

    def close(self):
        for connection in self.connections:
            connection.close()


class _AnyTaskManager:
    """Records every call, whatever taskmanager method it names (those
    added later included)."""

    def __init__(self):
        self.casts = []

    def __getattr__(self, name):
        if name.startswith('_'):
            raise AttributeError(name)

        def record(context, *args, **kwargs):
            self.casts.append((name, args, kwargs))
        return record


@pytest.fixture
def world(api, databases, monkeypatch):
    """The app with an instance and a cluster of project p1."""
    taskmanager = _AnyTaskManager()
    monkeypatch.setattr(hooks.RPCHook, '_taskmanager_api', taskmanager)
    CONF.set_override('service_down_time', 86400)
    instance = call(api, '/v1.0/p1/instances', 'POST', create_body())
    cluster = call(api, '/v1.0/p1/clusters', 'POST', {'cluster': {
        'name': 'c1', 'instances': [{'flavorRef': '7',
                                     'volume': {'size': 1}}] * 3}})
    assert instance.status_int == 202 and cluster.status_int == 202
    ids = [instance.json['instance']['id'], cluster.json['cluster']['id'],
           cluster.json['cluster']['instances'][0]['id']]
    rows = _Rows(databases.values())
    try:
        yield api, taskmanager, rows, ids
    finally:
        rows.close()
        CONF.clear_override('service_down_time')


def _send(app, method, path, body, content_type, identity):
    request = webob.Request.blank(path, method=method, headers=identity)
    if body:
        request.body = body
    if content_type is not None:
        request.environ['CONTENT_TYPE'] = content_type
    return request.get_response(app)


def test_generated_requests_never_answer_5xx_nor_leave_rows(world):
    app, taskmanager, rows, ids = world
    sent = {'count': 0, 'statuses': {}}
    state = {'rows': rows.snapshot()}

    @hypothesis.settings(
        max_examples=REQUESTS, deadline=None, database=None,
        derandomize=SEED is None, print_blob=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink])
    @hypothesis.given(requests(ids))
    def one_request(request):
        method, path, body, content_type, identity = request
        casts = len(taskmanager.casts)
        answer = _send(app, method, path, body, content_type, identity)
        sent['count'] += 1
        sent['statuses'][answer.status_int] = \
            sent['statuses'].get(answer.status_int, 0) + 1
        assert answer.status_int < 500, (request, answer.text[:500])
        after = rows.snapshot()
        if answer.status_int >= 400:
            assert after == state['rows'], (request, answer.status_int)
            assert len(taskmanager.casts) == casts, request
            if method != 'HEAD':
                assert answer.content_type == 'application/json', request
                kind, = answer.json
                assert answer.json[kind]['code'] == answer.status_int
            if answer.status_int == 405:
                assert answer.headers.get('Allow'), request
        state['rows'] = after

    if SEED is not None:
        one_request = hypothesis.seed(int(SEED))(one_request)
    one_request()
    assert sent['count'] >= REQUESTS
    # The generator reaches past the guards into the controllers.
    statuses = sent['statuses']
    assert {200, 400, 404, 405, 413, 415} <= set(statuses), statuses
    # ... and into the domain: an accepted change, or a busy resource.
    assert set(statuses) & {202, 204, 409}, statuses
