"""RedisApp behaviour that needs no running server."""

import os

import pytest

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


class _Proc(object):
    """A Popen stand-in whose poll() answers from a list, then the last."""

    def __init__(self, pid, polls):
        self.pid = pid
        self._polls = list(polls)
        self.returncode = None

    def poll(self):
        if len(self._polls) > 1:
            self.returncode = self._polls.pop(0)
        else:
            self.returncode = self._polls[0]
        return self.returncode


def test_a_server_dying_while_adopted_is_started_anew(tmp_path, monkeypatch):
    # SIGKILLed a moment ago: still alive at the first look, then gone.
    app = _app(tmp_path)
    app._proc = _Proc(4001, [None, -9])
    app._pid = 4001
    started = []

    def popen(argv, **kwargs):
        started.append(argv)
        return _Proc(4002, [None])

    class Client(object):
        def ping(self):
            if app._pid != 4002:
                raise service.redis.ConnectionError('refused')
            return True

    monkeypatch.setattr(service.subprocess, 'Popen', popen)
    monkeypatch.setattr(app, 'client', lambda: Client())
    app.start(timeout=5)
    assert len(started) == 1
    assert app._pid == 4002
    assert app.status_details()['pid'] == 4002


def test_an_adopted_server_that_lives_but_never_answers_fails(
        tmp_path, monkeypatch):
    app = _app(tmp_path)
    app._proc = _Proc(4001, [None])
    app._pid = 4001

    class Client(object):
        def ping(self):
            raise service.redis.ConnectionError('refused')

    monkeypatch.setattr(service.subprocess, 'Popen',
                        lambda *a, **k: pytest.fail('must not start another'))
    monkeypatch.setattr(app, 'client', lambda: Client())
    with pytest.raises(service.errors.RedisStartError):
        app.start(timeout=0.3)
