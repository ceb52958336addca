"""Token issue and validation of the local cloud's Keystone."""

import time

import pytest

from trove_mr_localcloud import keystone
from trove_mr_localcloud import microversion
from trove_mr_localcloud import store
from trove_mr_localcloud import wsgi


@pytest.fixture
def ks(tmp_path):
    return keystone.Keystone(store.Store(str(tmp_path)), 'pw', 60,
                             lambda project_id: [], 'http://x/identity')


def _auth(user, password, project):
    return {'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'name': user, 'domain': {'name': 'Default'},
                 'password': password}}},
        'scope': {'project': {'name': project,
                              'domain': {'id': 'default'}}}}}


def test_token_carries_project_and_implied_roles(ks):
    info = ks.validate(ks.authenticate(_auth('demo', 'pw', 'demo')))
    assert info.project_name == 'demo'
    assert info.roles == ('member', 'reader')


def test_altered_token_is_refused(ks):
    token = ks.authenticate(_auth('admin', 'pw', 'admin'))
    assert ks.validate(token) is not None
    assert ks.validate(token[:-1] + ('a' if token[-1] != 'a' else 'b')) \
        is None
    assert ks.validate('gAAAA' + token[6:]) is None


def test_token_is_refused_once_expired(ks):
    ks.token_ttl = 0.05
    token = ks.authenticate(_auth('demo', 'pw', 'demo'))
    time.sleep(0.1)
    assert ks.validate(token) is None


def test_wrong_password_or_foreign_project_is_unauthorized(ks):
    for body in (_auth('demo', 'bad', 'demo'), _auth('demo', 'pw', 'admin')):
        with pytest.raises(wsgi.HTTPError) as err:
            ks.authenticate(body)
        assert err.value.code == 401


def test_tokens_stay_valid_with_a_reloaded_state(tmp_path, ks):
    token = ks.authenticate(_auth('trove', 'pw', 'service'))
    again = keystone.Keystone(store.Store(str(tmp_path)), 'pw', 60,
                              lambda project_id: [], 'http://x/identity')
    assert again.validate(token).project_name == 'service'


def test_microversion_out_of_range_is_not_acceptable():
    class Req:
        headers = {'OpenStack-API-Version': 'compute 2.200'}
    with pytest.raises(wsgi.HTTPError) as err:
        microversion.requested(Req, 'compute', None, '2.1', '2.96')
    assert err.value.code == 406
    Req.headers = {'X-OpenStack-Nova-API-Version': '2.37'}
    assert microversion.requested(
        Req, 'compute', 'X-OpenStack-Nova-API-Version', '2.1', '2.96') == \
        (2, 37)
