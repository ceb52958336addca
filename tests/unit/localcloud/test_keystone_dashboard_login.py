"""What a dashboard's login asks the local cloud's Keystone: the user's
projects, and the (empty) domain and system scopes it may pick."""

import json

import pytest
import webob

from trove_mr_localcloud import keystone
from trove_mr_localcloud import store
from trove_mr_localcloud import wsgi


@pytest.fixture
def ks(tmp_path):
    return keystone.Keystone(store.Store(str(tmp_path)), 'pw', 60,
                             lambda project_id: [], 'http://x/identity')


def _unscoped(ks, user):
    return ks.authenticate({'auth': {'identity': {
        'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'id': 'default'}, 'password': 'pw'}}}}})


def _get(ks, path, token):
    req = webob.Request.blank(path, headers={'X-Auth-Token': token or ''})
    resp = ks.router.dispatch(req, path)
    return resp.status_int, json.loads(resp.body or b'null')


def test_user_lists_own_projects_with_an_unscoped_token(ks):
    token = _unscoped(ks, 'demo')
    user_id = ks.identity.user_by_name('demo')['id']
    status, body = _get(ks, '/v3/users/%s/projects' % user_id, token)
    assert status == 200
    assert [p['name'] for p in body['projects']] == ['demo']
    assert body['projects'][0]['domain_id'] == 'default'


def test_projects_of_another_user_are_forbidden_to_a_member(ks):
    token = _unscoped(ks, 'alt_demo')
    demo_id = ks.identity.user_by_name('demo')['id']
    status, body = _get(ks, '/v3/users/%s/projects' % demo_id, token)
    assert status == 403
    assert 'error' in body


def test_user_projects_need_a_valid_token(ks):
    demo_id = ks.identity.user_by_name('demo')['id']
    status, _ = _get(ks, '/v3/users/%s/projects' % demo_id, 'gAAAAnope.x')
    assert status == 401


def test_no_domain_or_system_scope_is_offered(ks):
    token = _unscoped(ks, 'demo')
    assert _get(ks, '/v3/auth/domains', token) == (200, {
        'domains': [], 'links': {'self': None, 'next': None,
                                 'previous': None}})
    status, body = _get(ks, '/v3/auth/system', token)
    assert (status, body['system']) == (200, [])
    assert _get(ks, '/v3/auth/domains', None)[0] == 401


def test_default_domain_is_shown_to_a_scoped_token(ks):
    token = ks.authenticate({'auth': {'identity': {
        'methods': ['password'], 'password': {'user': {
            'name': 'demo', 'domain': {'id': 'default'}, 'password': 'pw'}}},
        'scope': {'project': {'name': 'demo', 'domain': {'id': 'default'}}}}})
    status, body = _get(ks, '/v3/domains/default', token)
    assert (status, body['domain']['name']) == (200, 'Default')
    assert _get(ks, '/v3/domains/other', token)[0] == 404


def test_explicitly_unscoped_request_gets_an_unscoped_token(ks):
    token = ks.authenticate({'auth': {'identity': {
        'methods': ['password'], 'password': {'user': {
            'name': 'demo', 'domain': {'id': 'default'}, 'password': 'pw'}}},
        'scope': 'unscoped'}})
    info = ks.validate(token)
    assert (info.user_name, info.project_id) == ('demo', None)


def test_a_scope_of_another_kind_is_a_bad_request(ks):
    with pytest.raises(wsgi.HTTPError) as err:
        ks.authenticate({'auth': {'identity': {
            'methods': ['password'], 'password': {'user': {
                'name': 'demo', 'domain': {'id': 'default'},
                'password': 'pw'}}}, 'scope': 'everything'}})
    assert err.value.code == 400
