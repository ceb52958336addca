"""Configuration safety checks."""

import pytest

from trove_mr.common import cfg


@pytest.fixture(autouse=True)
def _conf():
    cfg.CONF([], project='trove-mr')


def test_public_default_keys_are_reported_until_changed():
    left = cfg.keys_left_at_default()
    assert 'DEFAULT.taskmanager_rpc_encr_key' in left
    assert 'api_database.mapping_encr_key' in left
    cfg.CONF.set_override('taskmanager_rpc_encr_key', 'my-own-key')
    try:
        assert 'DEFAULT.taskmanager_rpc_encr_key' not in \
            cfg.keys_left_at_default()
    finally:
        cfg.CONF.clear_override('taskmanager_rpc_encr_key')
