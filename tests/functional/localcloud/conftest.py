"""Fixtures: the local cloud as a subprocess, with a trivial guest."""

import pytest

from tests.fixtures import localcloud

# The guest records what the hypervisor gave it, then idles.
GUEST = ('sh -c "env | grep ^TROVE_MR_ > {root}/guest.env; '
         'echo {address} > {root}/address; exec sleep 600"')


@pytest.fixture(scope='module')
def cloud(request):
    """A two-region local cloud, stopped with its guests afterwards."""
    local = localcloud.LocalCloudProcess(guest_command=GUEST)
    request.addfinalizer(local.stop)
    return local.start()


@pytest.fixture(scope='module')
def trove_session(cloud):
    """keystoneauth session of the service user (project service)."""
    return cloud.session('trove')
