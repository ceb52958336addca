"""Operations complete when the cell's bus drops every connection.

In the middle of each operation (create, restart, backup, backup delete,
delete), RabbitMQ closes every connection of the cell's virtual host:
the API's, the taskmanagers', the conductor's and the guests'. Each
client reconnects on its own and every operation completes.
"""

import subprocess
import time

import pytest

from tests.fixtures import devenv
from tests.functional.taskmanager import helpers

TIMEOUT = 150


@pytest.fixture(scope='module')
def env():
    with devenv.running('trove-mr-bus-') as system:
        yield system


def _drop_connections(env, delay):
    """After ``delay`` s, close every connection of the cell's vhost."""
    time.sleep(delay)
    subprocess.run(
        ['rabbitmqctl', '-q', 'close_all_connections', '--vhost',
         env.vhost_of(env.region_name), 'trove-mr bus restart test'],
        check=True, capture_output=True, timeout=60)


def test_every_operation_completes_across_a_bus_restart(env):
    trove = env.trove('demo')
    flavor = helpers.small_flavor(trove).id
    created = trove.instances.create('bus-1', flavor, volume={'size': 1},
                                     region_name='RegionTwo')
    _drop_connections(env, 1.0)
    helpers.wait_status(trove, created.id, ('ACTIVE',), timeout=TIMEOUT)

    trove.instances.restart(created.id)
    _drop_connections(env, 0.3)
    helpers.wait_status(trove, created.id, ('ACTIVE',), timeout=TIMEOUT)

    backup = trove.backups.create('bus-bk', created.id)
    _drop_connections(env, 0.3)
    helpers.wait_backup(trove, backup.id)
    helpers.wait_status(trove, created.id, ('ACTIVE',), timeout=TIMEOUT)

    trove.backups.delete(backup.id)
    _drop_connections(env, 0.1)
    helpers.wait_backup_gone(trove, backup.id)

    trove.instances.delete(created.id)
    _drop_connections(env, 0.3)
    helpers.wait_gone(trove, created.id, timeout=TIMEOUT)
    assert helpers.servers_of(env, 'RegionTwo', created.id) == []
    assert helpers.volumes_of(env, 'RegionTwo', created.id) == []
