"""The two-cell system: RegionOne and RegionTwo each with its own
database, RabbitMQ virtual host, API, taskmanager and conductor."""

import os
import shutil
import tempfile

import pytest

from tests.fixtures import devenv


@pytest.fixture(scope='package')
def cells_system():
    """One control cell per region, both APIs listing globally.

    Shared by the modules of this folder: starting six services and the
    cloud costs seconds.
    """
    env = devenv.DevEnv(tempfile.mkdtemp(prefix='trove-mr-cells-'),
                        cells=True,
                        conf_overrides={'api': {'cell_timeout': '3'}})
    try:
        env.start(timeout=180)
    except Exception:
        env.stop()
        shutil.rmtree(env.state_dir, ignore_errors=True)
        raise
    yield env
    env.stop()
    if os.environ.get('TROVE_MR_KEEP_SYSTEM'):
        print('cells system state kept in %s' % env.state_dir)
    else:
        shutil.rmtree(env.state_dir, ignore_errors=True)
