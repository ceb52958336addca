"""One view across regions: each region's API, in its own cell, lists
and acts on the other's instances; a cell that is down is named, not
fatal."""

import time

import pytest

ACTIVE_TIMEOUT = 180


def _url(system, session, region, path=''):
    return '%s/v1.0/%s/instances%s' % (
        system.api_url_of(region), session.get_project_id(), path)


def _get(session, url):
    return session.get(url, raise_exc=False, timeout=60)


def _create(system, session, api_region, name, placement):
    answer = session.post(_url(system, session, api_region), json={
        'instance': {'name': name, 'flavorRef': '7',
                     'volume': {'size': 1}, 'region': placement,
                     'datastore': {'type': 'redis', 'version': '7.0'}}},
        raise_exc=False, timeout=60)
    assert answer.status_code == 202, answer.text
    return answer.json()['instance']['id']


def _all_pages(system, session, api_region, limit):
    seen, url = [], _url(system, session, api_region, '?limit=%d' % limit)
    while url:
        answer = _get(session, url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body['unavailable_regions'] == []
        seen += [i['id'] for i in body['instances']]
        nexts = [link['href'] for link in body.get('links', [])
                 if link['rel'] == 'next']
        url = nexts[0] if nexts else None
    return seen


def _wait_status(session, url, wanted, timeout=ACTIVE_TIMEOUT):
    deadline = time.monotonic() + timeout
    view = None
    while time.monotonic() < deadline:
        answer = _get(session, url)
        assert answer.status_code == 200, answer.text
        view = answer.json()['instance']
        if view['status'] in wanted:
            return view
        time.sleep(1)
    raise AssertionError('still %s' % (view and view['status']))


@pytest.fixture(scope='module')
def instances(cells_system):
    """Two instances owned by each cell; only one is built for real.

    The others are placed in RegionOne with its volumes failing, so they
    reach ERROR at once without starting guests: lists show them all.
    """
    session = cells_system.session('demo')
    cells_system.cloud.set_fault('RegionOne', fail_next_volumes=3)
    made = {
        'one': _create(cells_system, session, 'RegionOne', 'c-one',
                       'RegionOne'),
        'two': _create(cells_system, session, 'RegionTwo', 'c-two',
                       'RegionTwo'),
        'one-b': _create(cells_system, session, 'RegionOne', 'c-one-b',
                         'RegionOne'),
        'two-b': _create(cells_system, session, 'RegionTwo', 'c-two-b',
                         'RegionOne'),
    }
    # The real build ends before any test runs: under xdist any of them
    # may come first, and one stops RegionTwo's database for a while.
    _wait_status(session, _url(cells_system, session, 'RegionTwo',
                               '/' + made['two']), ('ACTIVE', 'ERROR'))
    yield made
    cells_system.cloud.clear_faults()


def test_instance_built_by_regiontwo_cell_goes_active_on_its_own_bus(
        cells_system, instances):
    session = cells_system.session('demo')
    # Shown through RegionOne's API: the mapping routes the read to
    # RegionTwo's database, which RegionTwo's conductor keeps up to date
    # from heartbeats the guest sends over RegionTwo's bus.
    view = _wait_status(session, _url(cells_system, session, 'RegionOne',
                                      '/' + instances['two']),
                        ('ACTIVE', 'ERROR'))
    assert view['status'] == 'ACTIVE', view
    assert view['region'] == 'RegionTwo'


def test_each_region_api_lists_the_other_regions_instances(cells_system,
                                                           instances):
    session = cells_system.session('demo')
    for region in ('RegionOne', 'RegionTwo'):
        answer = _get(session, _url(cells_system, session, region))
        assert answer.status_code == 200, answer.text
        listed = {i['id'] for i in answer.json()['instances']}
        assert set(instances.values()) <= listed, region
        assert answer.json()['unavailable_regions'] == []
    # troveclient, through the catalog's RegionTwo database endpoint.
    trove = cells_system.trove('demo', region_name='RegionTwo')
    assert instances['one'] in {i.id for i in trove.instances.list()}


def test_pagination_over_two_cells_returns_every_instance_once(
        cells_system, instances):
    session = cells_system.session('demo')
    everything = _all_pages(cells_system, session, 'RegionOne', 100)
    assert set(instances.values()) <= set(everything)
    for region, limit in (('RegionOne', 1), ('RegionTwo', 3)):
        paged = _all_pages(cells_system, session, region, limit)
        assert paged == everything
        assert len(paged) == len(set(paged))


def test_regiontwo_database_down_lists_regionone_and_503s_actions(
        cells_system, instances):
    session = cells_system.session('demo')
    cells_system.stop_cell_database('RegionTwo')
    try:
        answer = _get(session, _url(cells_system, session, 'RegionOne'))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body['unavailable_regions'] == ['RegionTwo']
        listed = {i['id'] for i in body['instances']}
        assert {instances['one'], instances['one-b']} <= listed
        assert not {instances['two'], instances['two-b']} & listed

        action = session.post(
            _url(cells_system, session, 'RegionOne',
                 '/%s/action' % instances['two']),
            json={'restart': {}}, raise_exc=False, timeout=60)
        assert action.status_code == 503, action.text
        assert 'RegionTwo' in \
            action.json()['serviceUnavailable']['message']
        shown = _get(session, _url(cells_system, session, 'RegionOne',
                                   '/' + instances['one']))
        assert shown.status_code == 200
    finally:
        cells_system.start_cell_database('RegionTwo')
    answer = _get(session, _url(cells_system, session, 'RegionOne'))
    assert answer.json()['unavailable_regions'] == []


def test_upgrade_through_the_other_region_api_runs_in_the_owning_cell(
        cells_system, instances):
    session = cells_system.session('demo')
    # RegionOne's API checks against RegionTwo's cell (which owns the
    # instance and has its own 7.2 row) and casts to RegionTwo's
    # taskmanager, which rebuilds the server in RegionTwo.
    answer = session.patch(
        _url(cells_system, session, 'RegionOne', '/' + instances['two']),
        json={'instance': {'datastore_version': '7.2'}}, raise_exc=False,
        timeout=60)
    assert answer.status_code == 202, answer.text
    url = _url(cells_system, session, 'RegionTwo', '/' + instances['two'])
    deadline = time.monotonic() + ACTIVE_TIMEOUT
    view = None
    while time.monotonic() < deadline:
        view = _get(session, url).json()['instance']
        assert view['status'] != 'ERROR', view
        if view['status'] == 'ACTIVE' and \
                view['datastore']['version'] == '7.2':
            break
        time.sleep(1)
    assert view['datastore']['version'] == '7.2', view
    assert view['region'] == 'RegionTwo'
