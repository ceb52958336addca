"""Deleting a server ends every process of it, as deleting a VM would."""

import os
import time

import pytest
from novaclient import client as nova_client

from tests.fixtures import localcloud

# The guest starts a daemon in a session of its own (as the agent starts
# redis-server) and records its pid.
GUEST = ('sh -c "setsid sleep 900 & echo $! > {root}/daemon.pid; '
         'exec sleep 900"')


@pytest.fixture(scope='module')
def cloud(request):
    local = localcloud.LocalCloudProcess(regions=('RegionOne',),
                                         guest_command=GUEST)
    request.addfinalizer(local.stop)
    return local.start()


def _wait(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    with open('/proc/%d/stat' % pid) as f:
        return f.read().split()[2] != 'Z'


def test_delete_kills_daemons_that_left_the_guest_process_group(cloud):
    nova = nova_client.Client('2.37', session=cloud.session('trove'),
                              region_name='RegionOne')
    image = next(i for i in cloud.session('trove').get(
        '/v2/images', endpoint_filter={'service_type': 'image',
                                       'region_name': 'RegionOne'}
    ).json()['images'])
    server = nova.servers.create('boundary', image['id'], '7', nics='none')
    assert _wait(lambda: nova.servers.get(server.id).status == 'ACTIVE')
    pid_file = os.path.join(cloud.state_dir, 'servers', server.id, 'root',
                            'daemon.pid')
    assert _wait(lambda: os.path.exists(pid_file)
                 and open(pid_file).read().strip())
    daemon = int(open(pid_file).read())
    assert _alive(daemon)
    # It really left the guest's process group (setsid).
    assert os.getsid(daemon) == daemon

    server.delete()
    assert _wait(lambda: not _alive(daemon)), 'daemon outlived its server'
