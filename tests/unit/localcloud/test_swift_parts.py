"""Unit tests of the Swift service's pieces: listings, ranges, segment
cutting, names on disk, request bodies and the store's atomic writes."""

import hashlib
import io
import os
import threading

import pytest

from trove_mr_localcloud import swift_http
from trove_mr_localcloud import swift_large
from trove_mr_localcloud import swift_store


def _entries(*names):
    return [{'name': n} for n in names]


def _names(result):
    return [e.get('subdir', e.get('name')) for e in result]


def test_listing_folds_names_past_delimiter_into_subdirs():
    got = swift_http.listing(_entries('a/1', 'a/2', 'b', 'c/x/y'),
                             delimiter='/')
    assert _names(got) == ['a/', 'b', 'c/']


def test_listing_subdirs_are_relative_to_prefix():
    got = swift_http.listing(_entries('a/1', 'a/b/1', 'a/b/2', 'b'),
                             prefix='a/', delimiter='/')
    assert _names(got) == ['a/1', 'a/b/']


def test_listing_marker_equal_to_subdir_skips_that_subdir():
    got = swift_http.listing(_entries('a/1', 'a/2', 'b'), marker='a/',
                             delimiter='/')
    assert _names(got) == ['b']


def test_listing_applies_end_marker_and_limit():
    entries = _entries('a', 'b', 'c', 'd')
    assert _names(swift_http.listing(entries, end_marker='c')) == ['a', 'b']
    assert _names(swift_http.listing(entries, marker='a', limit=2)) == \
        ['b', 'c']


@pytest.mark.parametrize('header,expected', [
    ('bytes=0-9', (0, 10)),
    ('bytes=5-', (5, 100)),
    ('bytes=-5', (95, 100)),
    ('bytes=90-200', (90, 100)),
    ('bytes=0-1,5-6', None),
    (None, None),
    ('items=0-1', None),
])
def test_parse_range_returns_half_open_span(header, expected):
    assert swift_large.parse_range(header, 100) == expected


@pytest.mark.parametrize('header', ['bytes=100-', 'bytes=5-2', 'bytes=-0'])
def test_parse_range_rejects_unsatisfiable(header):
    with pytest.raises(ValueError):
        swift_large.parse_range(header, 100)


def test_cut_spans_segment_boundaries():
    segs = [swift_large.Segment('c', n, 0, 10, 'e') for n in 'xyz']
    pieces = swift_large.cut(segs, 8, 22)
    assert [(p.name, p.start, p.end) for p in pieces] == [
        ('x', 8, 10), ('y', 0, 10), ('z', 0, 2)]


def test_combined_etag_is_md5_of_concatenated_etags():
    expected = hashlib.md5(b'aaabbb').hexdigest()
    assert swift_large.combined_etag(['aaa', '"bbb"']) == expected


@pytest.mark.parametrize('name', ['.', '..', '.hidden', 'a/b', 'x' * 300])
def test_folder_name_is_one_safe_path_component(name):
    folder = swift_store.folder_name(name)
    assert '/' not in folder
    assert not folder.startswith('.')
    assert len(folder) <= 200


def test_folder_names_of_distinct_names_differ():
    names = ['x' * 300, 'x' * 301, '%2E', '.', '+abc']
    assert len({swift_store.folder_name(n) for n in names}) == len(names)


def _request(body, headers):
    environ = {'REQUEST_METHOD': 'PUT', 'PATH_INFO': '/v1/AUTH_a/c/o',
               'wsgi.input': io.BytesIO(body)}
    environ.update(headers)
    return swift_http.Request(environ)


def test_chunked_body_is_decoded_with_extensions_and_trailers():
    raw = b'5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n'
    req = _request(raw, {'HTTP_TRANSFER_ENCODING': 'chunked'})
    assert req.read_body(100) == b'hello world'


def test_body_larger_than_limit_is_413():
    req = _request(b'x' * 20, {'CONTENT_LENGTH': '20'})
    with pytest.raises(swift_http.HTTPError) as err:
        req.read_body(10)
    assert err.value.status == 413
    chunked = _request(b'14\r\n' + b'x' * 20 + b'\r\n0\r\n\r\n',
                       {'HTTP_TRANSFER_ENCODING': 'chunked'})
    with pytest.raises(swift_http.HTTPError) as err:
        chunked.read_body(10)
    assert err.value.status == 413


def test_path_is_decoded_as_utf8():
    environ = {'REQUEST_METHOD': 'GET',
               'PATH_INFO': '/v1/AUTH_a/c/\u00e9'.encode().decode('latin-1'),
               'wsgi.input': io.BytesIO()}
    assert swift_http.Request(environ).path == '/v1/AUTH_a/c/\u00e9'


def _put(store, name, data):
    upload = store.new_upload()
    upload.write(data)
    etag = upload.finish()
    return store.commit_object('AUTH_a', 'c', upload, {
        'name': name, 'size': len(data), 'etag': etag,
        'content_type': 'x', 'timestamp': 1.0, 'meta': {}, 'sys': {},
        'slo': False})


def test_discarded_upload_leaves_no_object_and_no_file(tmp_path):
    store = swift_store.SwiftStore(str(tmp_path))
    store.put_container('AUTH_a', 'c', {})
    upload = store.new_upload()
    upload.write(b'partial')
    upload.discard()
    assert store.list_objects('AUTH_a', 'c') == []
    assert os.listdir(store.tmp_dir) == []


def test_overwrite_keeps_one_data_file_per_object(tmp_path):
    store = swift_store.SwiftStore(str(tmp_path))
    store.put_container('AUTH_a', 'c', {})
    _put(store, 'o', b'one')
    _put(store, 'o', b'two')
    odir = os.path.join(str(tmp_path), 'AUTH_a', 'c', 'objects')
    assert len(os.listdir(odir)) == 2
    doc, fobj = store.open_object('AUTH_a', 'c', 'o')
    with fobj:
        assert fobj.read() == b'two'


def test_open_object_keeps_reading_old_bytes_after_overwrite(tmp_path):
    store = swift_store.SwiftStore(str(tmp_path))
    store.put_container('AUTH_a', 'c', {})
    _put(store, 'o', b'old')
    _doc, fobj = store.open_object('AUTH_a', 'c', 'o')
    _put(store, 'o', b'new')
    with fobj:
        assert fobj.read() == b'old'


def test_concurrent_writers_leave_one_consistent_object(tmp_path):
    store = swift_store.SwiftStore(str(tmp_path))
    store.put_container('AUTH_a', 'c', {})
    threads = [threading.Thread(target=_put,
                                args=(store, 'o', bytes([i]) * 4096))
               for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    doc, fobj = store.open_object('AUTH_a', 'c', 'o')
    with fobj:
        assert hashlib.md5(fobj.read()).hexdigest() == doc['etag']
    odir = os.path.join(str(tmp_path), 'AUTH_a', 'c', 'objects')
    assert len(os.listdir(odir)) == 2


def test_commit_into_missing_container_drops_upload(tmp_path):
    store = swift_store.SwiftStore(str(tmp_path))
    upload = store.new_upload()
    upload.write(b'x')
    upload.finish()
    assert store.commit_object('AUTH_a', 'nope', upload, {'name': 'o'}) \
        is None
    assert os.listdir(store.tmp_dir) == []
