"""The local Nova pages server lists as Nova does, so that novaclient's
``servers.list(limit=-1)`` (which asks again with a marker until a page is
empty) ends, and sees each server once."""

import pytest
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc

from tests.fixtures import localcloud

SERVERS = 250


@pytest.fixture(scope='module')
def cloud(request):
    """One region whose guests exit at once: listing needs no guest
    running, and 250 idle guests would only cost memory."""
    local = localcloud.LocalCloudProcess(regions=('RegionOne',),
                                         guest_command='true')
    request.addfinalizer(local.stop)
    return local.start()


@pytest.fixture(scope='module')
def nova(cloud):
    return nova_client.Client('2.37', session=cloud.session('demo'),
                              region_name='RegionOne')


@pytest.fixture(scope='module')
def created(nova):
    """The ids of SERVERS servers of project demo, newest first."""
    ids = [nova.servers.create('page-%03d' % n, None, '1', nics='none').id
           for n in range(SERVERS)]
    return ids[::-1]


def test_list_all_with_limit_minus_one_sees_each_server_once(nova,
                                                             created):
    for detailed in (True, False):
        listed = [s.id for s in nova.servers.list(detailed=detailed,
                                                  limit=-1)]
        assert listed == created


def test_pages_of_100_follow_the_marker_and_link_the_next_page(
        nova, created):
    pages, marker = [], None
    while True:
        page = nova.servers.list(limit=100, marker=marker)
        if not page:
            break
        pages.append([s.id for s in page])
        marker = page[-1].id
    assert [len(p) for p in pages] == [100, 100, 50]
    assert sum(pages, []) == created

    _resp, body = nova.client.get('/servers/detail?limit=100')
    next_link, = [link['href'] for link in body['servers_links']
                  if link['rel'] == 'next']
    assert 'marker=%s' % created[99] in next_link
    assert 'limit=100' in next_link
    _resp, last = nova.client.get('/servers?limit=100&marker=%s'
                                  % created[199])
    assert [s['id'] for s in last['servers']] == created[200:]
    assert 'servers_links' not in last


def test_unknown_marker_is_400_as_nova_says(nova, created):
    with pytest.raises(nova_exc.BadRequest) as error:
        nova.servers.list(marker='00000000-0000-0000-0000-000000000000')
    assert error.value.code == 400
    assert 'marker [00000000-0000-0000-0000-000000000000] not found' in \
        str(error.value)


def test_limit_must_be_a_non_negative_integer(nova, created):
    with pytest.raises(nova_exc.BadRequest):
        nova.client.get('/servers?limit=-5')
