"""Keystone of the local cloud, through keystoneauth1 and keystonemiddleware.
"""

import pytest
import requests
import webob
from keystoneauth1 import exceptions as ks_exc
from keystonemiddleware import auth_token
from oslo_config import cfg


def _protected(cloud):
    """A WSGI app behind keystonemiddleware's auth_token."""
    def app(environ, start_response):
        body = ('%s %s' % (environ['HTTP_X_PROJECT_NAME'],
                           environ['HTTP_X_ROLES'])).encode()
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [body]
    conf = {'www_authenticate_uri': cloud.auth_url,
            'auth_url': cloud.auth_url, 'auth_type': 'password',
            'username': 'trove', 'password': cloud.password,
            'project_name': 'service', 'user_domain_name': 'Default',
            'project_domain_name': 'Default', 'interface': 'public',
            'delay_auth_decision': False, 'cache': None}
    # A private ConfigOpts: the middleware registers its auth plugin's
    # options (auth_url required) on whatever object it is given, and the
    # global one is shared with other tests of this process.
    private = cfg.ConfigOpts()
    private([], project='localcloud-test')
    conf['oslo_config_config'] = private
    return auth_token.AuthProtocol(app, conf)


def test_keystonemiddleware_accepts_token_and_refuses_forged(cloud):
    protected = _protected(cloud)
    token = cloud.session('demo').get_token()

    resp = webob.Request.blank('/', headers={
        'X-Auth-Token': token}).get_response(protected)
    assert resp.status_int == 200
    project, roles = resp.text.split()
    assert project == 'demo'
    assert 'member' in roles.split(',')

    forged = token[:-4] + ('0000' if not token.endswith('0000') else '1111')
    resp = webob.Request.blank('/', headers={
        'X-Auth-Token': forged}).get_response(protected)
    assert resp.status_int == 401


def test_bad_password_or_foreign_project_is_refused_with_401(cloud):
    resp = requests.post(cloud.auth_url + '/auth/tokens', json={'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'demo', 'domain': {'name': 'Default'},
            'password': 'wrong'}}}}})
    assert resp.status_code == 401
    # A user is refused a project it holds no role on.
    with pytest.raises(ks_exc.Unauthorized):
        cloud.session('demo', project='admin').get_token()


def test_catalog_lists_every_service_in_every_region(trove_session):
    access = trove_session.auth.get_access(trove_session)
    catalog = access.service_catalog
    for region in ('RegionOne', 'RegionTwo'):
        for service in ('identity', 'compute', 'volumev3', 'image',
                        'object-store'):
            url = catalog.url_for(service_type=service, region_name=region,
                                  interface='public')
            assert url
    swift = catalog.url_for(service_type='object-store',
                            region_name='RegionTwo')
    assert swift.endswith('/v1/AUTH_' + access.project_id)
    assert '/RegionTwo/' in swift
    assert set(access.role_names) == {'admin', 'member', 'reader'}


def test_token_validation_answers_404_for_unknown_subject(cloud,
                                                          trove_session):
    token = trove_session.get_token()
    ok = requests.get(cloud.auth_url + '/auth/tokens', headers={
        'X-Auth-Token': token, 'X-Subject-Token': token})
    assert ok.status_code == 200
    assert ok.json()['token']['project']['name'] == 'service'
    bad = requests.head(cloud.auth_url + '/auth/tokens', headers={
        'X-Auth-Token': token, 'X-Subject-Token': 'gAAAAnot-a-token'})
    assert bad.status_code == 404
