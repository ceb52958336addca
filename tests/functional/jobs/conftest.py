"""A cell with a real Redis jobboard and a SQLite persistence.

A private redis-server on a free loopback port in the test's folder, the
databases made by ``trove-mr-manage db sync``, and this process's CONF
pointing at both so that jobs are posted with ``engine.submit``.
"""

import pytest

from tests.fixtures import devenv
from tests.functional.jobs import helpers
from trove_mr.common import cfg
from trove_mr.flows import engine as flow_engine

CONF = cfg.CONF


class Cell:
    def __init__(self, conf, port, board_name):
        self.conf = conf
        self.port = port
        self.board_name = board_name

    def manage(self, *args):
        return helpers.manage(self.conf, *args)

    @property
    def board(self):
        return flow_engine.shared_jobboard()

    def job(self, job_uuid):
        for job, _owner in flow_engine.jobs(self.board):
            if job.uuid == job_uuid:
                return job
        return None


@pytest.fixture
def cell(tmp_path):
    port = devenv.free_port()
    board_name = 'jobs-test-%d' % port
    conf = helpers.write_config(tmp_path, port, board_name)
    redis = helpers.start_redis(tmp_path, port)
    overrides = (('connection', 'sqlite:///%s' % (tmp_path / 'region.sqlite'),
                  'database'),
                 ('jobboard_backend', 'redis', 'taskflow'),
                 ('jobboard_redis_port', port, 'taskflow'),
                 ('jobboard_name', board_name, 'taskflow'))
    try:
        synced = helpers.manage(conf, 'db', 'sync')
        assert synced.returncode == 0, synced.stderr
        for name, value, group in overrides:
            CONF.set_override(name, value, group=group)
        yield Cell(conf, port, board_name)
    finally:
        for name, _value, group in overrides:
            CONF.clear_override(name, group=group)
        for key in [k for k in flow_engine._shared_board
                    if k[0] == board_name]:
            flow_engine._shared_board.pop(key).close()
        backend = flow_engine._persistence.pop(
            'sqlite:///%s' % (tmp_path / 'region.sqlite'), None)
        if backend is not None:
            backend.close()
        redis.terminate()
        redis.wait(timeout=10)
