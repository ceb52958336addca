"""Rendering of a guest's redis.conf."""

import os
import stat

import pytest

from trove_mr.guestagent.datastore.redis import config

PASSWORD = 'Zx9-secret_password_123'


def _render(**kwargs):
    args = dict(bind_address='127.99.4.5', data_dir='/vol/data',
                password=PASSWORD, pidfile='/vol/conf/redis.pid',
                logfile='/vol/log/redis.log')
    args.update(kwargs)
    return config.render_config(**args)


def _directives(text):
    lines = [line for line in text.splitlines()
             if line and not line.startswith('#')]
    return dict(line.split(' ', 1) for line in lines)


def test_standalone_config_has_the_required_directives():
    conf = _directives(_render(port=6400))

    assert conf['bind'] == '127.99.4.5'
    assert conf['port'] == '6400'
    assert conf['dir'] == '/vol/data'
    assert conf['requirepass'] == '"%s"' % PASSWORD
    assert conf['masterauth'] == '"%s"' % PASSWORD
    assert conf['protected-mode'] == 'yes'
    assert conf['daemonize'] == 'no'
    assert conf['pidfile'] == '/vol/conf/redis.pid'
    assert conf['logfile'] == '/vol/log/redis.log'
    assert conf['appendonly'] == 'yes'
    assert conf['dbfilename'] == 'dump.rdb'
    assert not any(key.startswith('cluster-') for key in conf)


def test_port_defaults_to_the_configured_redis_port():
    assert _directives(_render())['port'] == '6379'


def test_clustered_config_announces_its_own_address():
    conf = _directives(_render(clustered=True, cluster_node_timeout=1500))

    assert conf['cluster-enabled'] == 'yes'
    assert conf['cluster-config-file'] == '/vol/data/nodes.conf'
    assert conf['cluster-announce-ip'] == '127.99.4.5'
    assert conf['cluster-node-timeout'] == '1500'


def test_cluster_node_timeout_defaults_to_the_option():
    conf = _directives(_render(clustered=True))
    assert conf['cluster-node-timeout'] == '5000'


def test_appendonly_can_be_turned_off_for_a_restore():
    assert _directives(_render(appendonly=False))['appendonly'] == 'no'


@pytest.mark.parametrize('password', ['short', 'has space in it 12345',
                                      'quote"inside_the_pass', ''])
def test_passwords_that_would_break_the_file_are_refused(password):
    with pytest.raises(ValueError):
        _render(password=password)


@pytest.mark.parametrize('field,value', [('data_dir', 'relative/data'),
                                         ('logfile', '/with space/log')])
def test_paths_must_be_absolute_and_plain(field, value):
    with pytest.raises(ValueError):
        _render(**{field: value})


def test_bind_address_must_be_an_ip_address():
    with pytest.raises(ValueError):
        _render(bind_address='127.99.4.5; flushall')


def test_generated_passwords_are_accepted_and_distinct():
    first, second = config.generate_password(), config.generate_password()
    assert first != second
    assert _directives(_render(password=first))['requirepass'] == \
        '"%s"' % first


def test_config_file_is_written_readable_by_owner_only(tmp_path):
    path = tmp_path / 'redis.conf'
    config.write_config_file(str(path), _render())

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().startswith('# redis.conf')
    assert not (tmp_path / 'redis.conf.tmp').exists()


def test_template_ships_inside_the_package():
    assert os.path.isfile(os.path.join(config.TEMPLATE_DIR,
                                       config.TEMPLATE_NAME))
