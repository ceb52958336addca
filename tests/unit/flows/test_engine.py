"""The jobboard configuration ``[taskflow]`` gives TaskFlow."""

import pytest

from trove_mr.common import cfg
from trove_mr.flows import engine

CONF = cfg.CONF


@pytest.fixture(autouse=True)
def _conf():
    CONF([], project='trove-mr')
    CONF.set_override('region_name', 'RegionOne')
    yield
    CONF.clear_override('region_name')
    for name in ('jobboard_backend', 'jobboard_zookeeper_hosts',
                 'jobboard_zookeeper_path', 'jobboard_zookeeper_timeout',
                 'jobboard_name'):
        CONF.clear_override(name, group='taskflow')


def test_redis_is_the_default_board():
    conf = engine.jobboard_conf()
    assert conf['board'] == 'redis'
    assert conf['namespace'] == 'trove-mr-RegionOne'


def test_zookeeper_board_by_configuration_alone():
    CONF.set_override('jobboard_backend', 'zookeeper', group='taskflow')
    CONF.set_override('jobboard_zookeeper_hosts',
                      ['zk1:2181', 'zk2:2181', 'zk3:2181'], group='taskflow')
    CONF.set_override('jobboard_zookeeper_path', '/cloud/jobs/',
                      group='taskflow')
    CONF.set_override('jobboard_zookeeper_timeout', 6, group='taskflow')

    assert engine.jobboard_conf() == {
        'board': 'zookeeper', 'hosts': 'zk1:2181,zk2:2181,zk3:2181',
        'path': '/cloud/jobs/trove-mr-RegionOne', 'timeout': 6.0,
        'check_compatible': False}


def test_zookeeper_session_timeout_defaults_to_kazoo_s():
    CONF.set_override('jobboard_backend', 'zookeeper', group='taskflow')
    conf = engine.jobboard_conf()
    assert conf['timeout'] == 10.0
    assert conf['hosts'] == '127.0.0.1:2181'
    assert conf['path'] == '/trove-mr/jobs/trove-mr-RegionOne'


def test_zookeeper_session_timeout_is_bounded():
    with pytest.raises(ValueError):
        CONF.set_override('jobboard_zookeeper_timeout', 120,
                          group='taskflow')
