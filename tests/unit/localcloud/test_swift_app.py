"""Unit tests of SwiftApp called as a WSGI application, without a server."""

import hashlib
import io
import json

import pytest

from trove_mr_localcloud import swift

ACCOUNT = '/v1/AUTH_p1'


def _validate(token):
    return {'t1': 'p1', 'admin': ('p0', True)}.get(token)


class Result:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


@pytest.fixture
def app(tmp_path):
    return swift.SwiftApp(str(tmp_path), _validate)


def call(app, method, path, body=b'', headers=None, query='',
         token='t1'):
    environ = {'REQUEST_METHOD': method, 'PATH_INFO': path,
               'QUERY_STRING': query, 'wsgi.input': io.BytesIO(body),
               'CONTENT_LENGTH': str(len(body))}
    if token:
        environ['HTTP_X_AUTH_TOKEN'] = token
    for name, value in (headers or {}).items():
        key = name.upper().replace('-', '_')
        if key != 'CONTENT_TYPE':
            key = 'HTTP_' + key
        environ[key] = value
    captured = {}

    def start_response(status, hdrs):
        captured['status'] = int(status.split()[0])
        captured['headers'] = {k.lower(): v for k, v in hdrs}

    chunks = app(environ, start_response)
    data = b''.join(chunks)
    if hasattr(chunks, 'close'):
        chunks.close()
    return Result(captured['status'], captured['headers'], data)


def test_info_needs_no_token_and_announces_slo(app):
    res = call(app, 'GET', '/info', token=None)
    assert res.status == 200
    caps = res.json()
    assert caps['swift']['max_file_size'] == swift.DEFAULT_MAX_FILE_SIZE
    assert 'slo' in caps


def test_missing_token_is_401_and_admin_may_use_any_account(app):
    assert call(app, 'HEAD', ACCOUNT, token=None).status == 401
    assert call(app, 'HEAD', '/v1/AUTH_p2').status == 403
    assert call(app, 'HEAD', '/v1/AUTH_p2', token='admin').status == 204


def test_container_put_twice_is_created_then_accepted(app):
    assert call(app, 'PUT', ACCOUNT + '/c').status == 201
    assert call(app, 'PUT', ACCOUNT + '/c').status == 202


def test_account_metadata_set_and_removed(app):
    call(app, 'POST', ACCOUNT, headers={'X-Account-Meta-A': '1',
                                        'X-Account-Meta-B': '2'})
    call(app, 'POST', ACCOUNT, headers={'X-Remove-Account-Meta-A': 'x'})
    res = call(app, 'HEAD', ACCOUNT)
    assert res.headers['x-account-meta-b'] == '2'
    assert 'x-account-meta-a' not in res.headers


def test_plain_listing_is_names_and_empty_listing_is_204(app):
    call(app, 'PUT', ACCOUNT + '/c')
    assert call(app, 'GET', ACCOUNT + '/c').status == 204
    assert call(app, 'GET', ACCOUNT + '/c', query='format=json').body == \
        b'[]'
    call(app, 'PUT', ACCOUNT + '/c/b', b'1')
    call(app, 'PUT', ACCOUNT + '/c/a', b'2')
    assert call(app, 'GET', ACCOUNT + '/c').body == b'a\nb\n'


def test_object_put_into_missing_container_is_404(app):
    assert call(app, 'PUT', ACCOUNT + '/nope/o', b'x').status == 404


def test_if_none_match_star_refuses_overwrite(app):
    call(app, 'PUT', ACCOUNT + '/c')
    call(app, 'PUT', ACCOUNT + '/c/o', b'x')
    res = call(app, 'PUT', ACCOUNT + '/c/o', b'y',
               headers={'If-None-Match': '*'})
    assert res.status == 412
    assert call(app, 'GET', ACCOUNT + '/c/o').body == b'x'


def test_object_name_over_1024_bytes_is_400(app):
    call(app, 'PUT', ACCOUNT + '/c')
    assert call(app, 'PUT', ACCOUNT + '/c/' + 'x' * 1025, b'').status == 400


def test_unsatisfiable_range_is_416_with_size(app):
    call(app, 'PUT', ACCOUNT + '/c')
    call(app, 'PUT', ACCOUNT + '/c/o', b'0123456789')
    res = call(app, 'GET', ACCOUNT + '/c/o', headers={'Range': 'bytes=10-'})
    assert res.status == 416
    assert res.headers['content-range'] == 'bytes */10'
    res = call(app, 'GET', ACCOUNT + '/c/o', headers={'Range': 'bytes=-3'})
    assert (res.status, res.body) == (206, b'789')


def _md5(data):
    return hashlib.md5(data).hexdigest()


def test_dlo_concatenates_segments_in_name_order(app):
    call(app, 'PUT', ACCOUNT + '/segs')
    call(app, 'PUT', ACCOUNT + '/segs/p/2', b'world')
    call(app, 'PUT', ACCOUNT + '/segs/p/1', b'hello ')
    call(app, 'PUT', ACCOUNT + '/segs/dlo', b'',
         headers={'X-Object-Manifest': 'segs/p/'})
    res = call(app, 'GET', ACCOUNT + '/segs/dlo')
    assert res.body == b'hello world'
    expected = _md5((_md5(b'hello ') + _md5(b'world')).encode())
    assert res.headers['etag'] == '"%s"' % expected
    res = call(app, 'GET', ACCOUNT + '/segs/dlo',
               headers={'Range': 'bytes=4-7'})
    assert res.body == b'o wo'


def _slo(app):
    call(app, 'PUT', ACCOUNT + '/s')
    call(app, 'PUT', ACCOUNT + '/s/one', b'abc')
    call(app, 'PUT', ACCOUNT + '/s/two', b'def')
    manifest = [{'path': '/s/one', 'etag': _md5(b'abc'), 'size_bytes': 3},
                {'path': '/s/two', 'etag': None, 'size_bytes': None}]
    return call(app, 'PUT', ACCOUNT + '/s/big',
                json.dumps(manifest).encode(),
                query='multipart-manifest=put')


def test_slo_manifest_get_and_raw_format(app):
    assert _slo(app).status == 201
    res = call(app, 'GET', ACCOUNT + '/s/big',
               query='multipart-manifest=get')
    assert [e['name'] for e in res.json()] == ['/s/one', '/s/two']
    assert res.json()[1]['hash'] == _md5(b'def')
    raw = call(app, 'GET', ACCOUNT + '/s/big',
               query='multipart-manifest=get&format=raw').json()
    assert raw[0] == {'path': '/s/one', 'etag': _md5(b'abc'),
                      'size_bytes': 3}


def test_slo_with_changed_segment_stops_short(app):
    _slo(app)
    call(app, 'PUT', ACCOUNT + '/s/two', b'XYZ')
    res = call(app, 'GET', ACCOUNT + '/s/big')
    assert res.headers['content-length'] == '6'
    assert res.body == b'abc'


def test_slo_with_missing_segment_is_refused(app):
    call(app, 'PUT', ACCOUNT + '/s')
    res = call(app, 'PUT', ACCOUNT + '/s/big',
               json.dumps([{'path': '/s/none'}]).encode(),
               query='multipart-manifest=put')
    assert res.status == 400
    assert b'/s/none, 404 Not Found' in res.body
    assert call(app, 'HEAD', ACCOUNT + '/s/big').status == 404


def test_copy_of_slo_is_its_content_with_new_metadata(app):
    _slo(app)
    res = call(app, 'COPY', ACCOUNT + '/s/big',
               headers={'Destination': 's/flat',
                        'X-Object-Meta-Kind': 'copy'})
    assert res.status == 201
    res = call(app, 'GET', ACCOUNT + '/s/flat')
    assert res.body == b'abcdef'
    assert res.headers['etag'] == _md5(b'abcdef')
    assert res.headers['x-object-meta-kind'] == 'copy'
    assert 'x-static-large-object' not in res.headers


def test_slo_delete_with_multipart_manifest_removes_segments(app):
    _slo(app)
    res = call(app, 'DELETE', ACCOUNT + '/s/big',
               query='multipart-manifest=delete',
               headers={'Accept': 'application/json'})
    assert res.status == 200
    assert res.json()['Number Deleted'] == 3
    assert call(app, 'GET', ACCOUNT + '/s').status == 204
