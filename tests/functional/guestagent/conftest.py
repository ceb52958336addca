"""Fixtures starting real redis-server processes on 127.99.x.y addresses.

Each node gets a random address in 127.99.0.0/16 (never the local cloud's
ranges) and its own temporary directories; the finalizer stops every
server, killing it if need be, even when the test failed.
"""

import os
import random
import signal

import pytest

from trove_mr.guestagent.datastore.redis import config
from trove_mr.guestagent.datastore.redis import service

_used_addresses = set()


def random_address():
    """A loopback address in 127.99.0.0/16 not yet used in this run."""
    while True:
        address = '127.99.%d.%d' % (random.randint(1, 254),
                                    random.randint(1, 254))
        if address not in _used_addresses:
            _used_addresses.add(address)
            return address


def _make_factory(tmp_path_factory):
    apps = []

    def make(clustered=False, address=None, password=None, root=None):
        root = root or tmp_path_factory.mktemp('redis-node')
        app = service.RedisApp(
            address or random_address(), str(root / 'data'),
            password or config.generate_password(),
            conf_dir=str(root / 'conf'), clustered=clustered,
            cluster_node_timeout=2000)
        apps.append(app)
        return app

    def cleanup():
        for app in apps:
            try:
                app.stop(timeout=5, save=False)
            except Exception:
                pass
            for pid in (app._pid, app._pidfile_pid()):
                if pid and service.pid_alive(pid):
                    os.kill(pid, signal.SIGKILL)
                    try:
                        os.waitpid(pid, 0)
                    except ChildProcessError:
                        pass

    return make, cleanup


@pytest.fixture
def redis_node_factory(tmp_path_factory):
    """Make ``RedisApp`` objects; every one is stopped at teardown."""
    make, cleanup = _make_factory(tmp_path_factory)
    yield make
    cleanup()


@pytest.fixture(scope='module')
def module_redis_node_factory(tmp_path_factory):
    """As ``redis_node_factory``, for nodes shared by a module's tests."""
    make, cleanup = _make_factory(tmp_path_factory)
    yield make
    cleanup()
