"""Fixtures shared by the functional tests."""

import os
import shutil
import tempfile

import pytest

from tests.fixtures import devenv


@pytest.fixture(scope='session')
def system():
    """The whole system (local cloud, API, taskmanager, conductor).

    One per test session: starting it costs seconds. Tests create their own
    resources in it and must not depend on what other tests left.
    """
    env = devenv.DevEnv(tempfile.mkdtemp(prefix='trove-mr-system-'))
    try:
        env.start()
    except Exception:
        env.stop()
        raise
    yield env
    env.stop()
    # TROVE_MR_KEEP_SYSTEM=1 keeps the logs and databases for a post-mortem.
    if os.environ.get('TROVE_MR_KEEP_SYSTEM'):
        print('system state kept in %s' % env.state_dir)
    else:
        shutil.rmtree(env.state_dir, ignore_errors=True)
