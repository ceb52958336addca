"""With its taskmanager stopped, a cell refuses actions with 503 naming
its region and changes nothing; once the taskmanager is back, the same
action is accepted.

A system of its own: the test stops and starts its taskmanager.
"""

import signal
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import pool

from tests.fixtures import devenv
from tests.functional.api import helpers

REFUSED = ('No taskmanager of region RegionOne is alive; nothing was '
           'changed. Try again later.')


@pytest.fixture(scope='module')
def heartbeat_system():
    with devenv.running('trove-mr-heartbeats-', taskmanagers=1) as env:
        yield env


def _binaries(env):
    """The binary of every heartbeat row in the cell's database."""
    engine = sa.create_engine(env.db_url_of(env.region_name),
                              poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(
                sa.text('SELECT "binary" FROM services')).scalars())
    finally:
        engine.dispose()


def _error_instance(env, session):
    """An instance of the cell in ERROR: its volume fails, no guest."""
    env.cloud.set_fault('RegionOne', fail_next_volumes=1)
    answer = helpers.request(session, 'POST', helpers.url(
        env, session, '/instances'), {'instance': {
            'name': 'hb-error', 'flavorRef': '7', 'volume': {'size': 1}}})
    assert answer.status_code == 202, answer.text
    instance_url = helpers.url(env, session, '/instances/%s'
                               % answer.json()['instance']['id'])
    deadline = time.monotonic() + 30
    while helpers.request(session, 'GET', instance_url).json()[
            'instance']['status'] != 'ERROR':
        assert time.monotonic() < deadline, 'the build never failed'
        time.sleep(0.3)
    return instance_url


def test_stopped_taskmanager_makes_its_cell_refuse_actions_until_back(
        heartbeat_system):
    env = heartbeat_system
    session = env.session('demo')
    instance_url = _error_instance(env, session)
    list_url = helpers.url(env, session, '/instances')
    listed = helpers.request(session, 'GET', list_url).json()['instances']

    assert _binaries(env) == ['trove-mr-conductor', 'trove-mr-taskmanager']
    assert env.stop_service('taskmanager', signal.SIGTERM) == 0
    try:
        # A clean stop deletes its heartbeat: refused at once, not after
        # service_down_time.
        assert _binaries(env) == ['trove-mr-conductor']
        for method, path, body in (
                ('DELETE', instance_url, None),
                ('POST', instance_url + '/action', {'restart': {}}),
                ('POST', list_url, {'instance': {
                    'name': 'hb-new', 'flavorRef': '7',
                    'volume': {'size': 1}}})):
            answer = helpers.request(session, method, path, body)
            assert answer.status_code == 503, answer.text
            assert answer.json()['serviceUnavailable']['message'] == \
                REFUSED
        assert helpers.request(session, 'GET', instance_url).json()[
            'instance']['status'] == 'ERROR'
        assert helpers.request(session, 'GET', list_url).json()[
            'instances'] == listed
    finally:
        env.start_service('taskmanager')

    # Alive as soon as it has started: its first heartbeat is written then.
    deadline = time.monotonic() + 30
    while True:
        answer = helpers.request(session, 'DELETE', instance_url)
        if answer.status_code != 503:
            break
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.3)
    assert answer.status_code == 202, answer.text
    helpers.wait_gone(session, instance_url)
