"""RedisApp behaviour that needs no running server."""

import os

from trove_mr.guestagent.datastore.redis import service

PASSWORD = 'Zx9-secret_password_123'


def _app(tmp_path, **kwargs):
    return service.RedisApp('127.99.7.8', str(tmp_path / 'data'), PASSWORD,
                            **kwargs)


def test_conf_dir_defaults_beside_the_data_dir(tmp_path):
    app = _app(tmp_path)
    assert app.conf_dir == str(tmp_path / 'redis-conf')
    assert app.pidfile == str(tmp_path / 'redis-conf' / 'redis.pid')
    assert app.logfile == str(tmp_path / 'redis-conf' / 'redis.log')


def test_log_dir_can_be_given(tmp_path):
    app = _app(tmp_path, log_dir=str(tmp_path / 'logs'))
    assert app.logfile == str(tmp_path / 'logs' / 'redis.log')


def test_never_started_node_is_shut_down(tmp_path):
    app = _app(tmp_path)
    assert app.status_details() == {'status': 'shutdown',
                                    'process_alive': False, 'pid': None}


def test_stale_pidfile_means_the_server_failed(tmp_path):
    app = _app(tmp_path)
    os.makedirs(app.conf_dir)
    # A pid that cannot be alive: above the kernel's pid_max limit.
    with open(app.pidfile, 'w') as f:
        f.write('%d\n' % (2 ** 22 + 1))
    assert app.status() == 'failed'


def test_password_stays_out_of_repr_and_logs(tmp_path, caplog):
    app = _app(tmp_path)
    caplog.set_level('DEBUG')
    app.write_config()
    assert PASSWORD not in repr(app)
    assert PASSWORD not in caplog.text
    with open(app.conf_path) as f:
        assert PASSWORD in f.read()


def test_volume_used_gb_counts_the_data_files(tmp_path):
    app = _app(tmp_path)
    os.makedirs(os.path.join(app.data_dir, 'appendonlydir'))
    with open(os.path.join(app.data_dir, 'appendonlydir', 'a.aof'),
              'wb') as f:
        f.write(b'x' * 1024 * 1024)
    assert abs(app.volume_used_gb() - 1.0 / 1024) < 1e-9
