"""trove-mr-manage keys: the configuration edits of a rotation."""

import configparser
import os

import pytest

from trove_mr.cmd import manage_keys
from trove_mr.common import crypto


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / 'trove-mr.conf'
    path.write_text('[DEFAULT]\ntaskmanager_rpc_encr_key = first\n'
                    '[api_database]\nmapping_encr_key = m1\n')
    return str(path)


def _read(path):
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser


def test_add_promote_retire_of_a_key(conf, monkeypatch):
    new_id = manage_keys.add(conf, 'taskmanager_rpc_encr_key', 'second')
    assert new_id == crypto.key_id('second')
    parser = _read(conf)
    assert parser.get('DEFAULT', 'taskmanager_rpc_encr_key') == 'first'
    assert parser.get('DEFAULT', 'taskmanager_rpc_encr_old_keys') == \
        'second'
    assert oct(os.stat(conf).st_mode & 0o777) == '0o600'

    previous = manage_keys.promote(conf, 'taskmanager_rpc_encr_key', new_id)
    assert previous == crypto.key_id('first')
    parser = _read(conf)
    assert parser.get('DEFAULT', 'taskmanager_rpc_encr_key') == 'second'
    assert parser.get('DEFAULT', 'taskmanager_rpc_encr_old_keys') == 'first'

    with pytest.raises(manage_keys.KeyCommandError, match='current'):
        manage_keys.retire(None, conf, 'taskmanager_rpc_encr_key', new_id)
    manage_keys.retire(None, conf, 'taskmanager_rpc_encr_key', previous)
    assert _read(conf).get('DEFAULT', 'taskmanager_rpc_encr_old_keys') == ''
    # The other options were left as they were.
    assert _read(conf).get('api_database', 'mapping_encr_key') == 'm1'


def test_retire_refuses_a_key_something_stored_still_needs(conf,
                                                           monkeypatch):
    kid = manage_keys.add(conf, 'mapping_encr_key', 'm2')
    manage_keys.promote(conf, 'mapping_encr_key', kid)
    old_id = crypto.key_id('m1')
    monkeypatch.setattr(manage_keys, '_stored_key_ids',
                        lambda ctx, purpose: {old_id: 1})
    with pytest.raises(manage_keys.KeyCommandError, match='rewrap'):
        manage_keys.retire(None, conf, 'mapping_encr_key', old_id)
    monkeypatch.setattr(manage_keys, '_stored_key_ids',
                        lambda ctx, purpose: {kid: 3})
    manage_keys.retire(None, conf, 'mapping_encr_key', old_id)


def test_unknown_option_or_key_id_is_refused(conf):
    with pytest.raises(manage_keys.KeyCommandError):
        manage_keys.add(conf, 'not_a_key', None)
    with pytest.raises(manage_keys.KeyCommandError, match='no old key'):
        manage_keys.promote(conf, 'mapping_encr_key', 'abcdef012345')
