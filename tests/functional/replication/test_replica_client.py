"""Replicas as python-troveclient and the openstack CLI create them: no
flavor (the master's, found by name in the replica's region), across
regions, all or nothing, the master's delete refused while it has
replicas, and a replica that keeps following after its redis-server
restarts."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import redis
from troveclient import exceptions as trove_exc

from tests.functional.api import helpers

FOLLOW_TIMEOUT = 30


def _redis(view, password):
    return redis.Redis(host=view['ip'][0], port=6379, password=password,
                       socket_timeout=10)


def _back_with_another_pid(client, pid, timeout=60):
    """Wait until a redis-server other than ``pid`` answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.info('server')['process_id'] != pid:
                return
        except redis.ConnectionError:
            pass
        assert time.monotonic() < deadline, 'redis-server not back'
        time.sleep(0.5)


def _url(system, session, instance_id):
    return helpers.url(system, session, '/instances/' + instance_id)


def _sees(client, key, value, timeout=FOLLOW_TIMEOUT):
    deadline = time.monotonic() + timeout
    while client.get(key) != value:
        assert time.monotonic() < deadline, 'the replica never saw %s' % key
        time.sleep(0.2)


def _usage(system, project_id):
    path = os.path.join(system.state_dir, 'trove_mr_api.sqlite')
    with sqlite3.connect(path) as conn:
        return dict(conn.execute(
            'SELECT resource, in_use FROM quota_usages WHERE project_id = ?',
            (project_id,)).fetchall())


def _delete_all(system, session, ids):
    """Delete replicas first (a master with replicas is refused)."""
    for instance_id in ids:
        helpers.request(session, 'DELETE', _url(system, session,
                                                instance_id))
    for instance_id in ids:
        try:
            helpers.wait_gone(session, _url(system, session, instance_id),
                              timeout=120)
        except AssertionError:
            helpers.request(session, 'DELETE', _url(system, session,
                                                    instance_id))


@pytest.fixture(scope='module')
def master(system):
    """A running master in RegionTwo with a key written."""
    session = system.session('demo')
    trove = system.trove('demo')
    created = trove.instances.create(
        'rc-master', flavor_id='7', volume={'size': 1},
        region_name='RegionTwo')
    view = helpers.wait_status(session, _url(system, session, created.id),
                               'ACTIVE')
    client = _redis(view, created.password)
    client.set('before-replica', 'yes')
    client.close()
    made = {'id': created.id, 'view': view, 'password': created.password,
            'replicas': []}
    yield made
    _delete_all(system, session, made['replicas'] + [created.id])


def test_replica_of_without_flavor_in_another_region_follows_and_keeps_it(
        system, master):
    session = system.session('demo')
    trove = system.trove('demo')
    # What ``instance create --replica-of`` sends: no flavor, no volume.
    replica = trove.instances.create('rc-replica', replica_of=master['id'],
                                     region_name='RegionOne')
    master['replicas'].append(replica.id)
    replica_url = _url(system, session, replica.id)
    view = helpers.wait_status(session, replica_url, 'ACTIVE')
    assert view['region'] == 'RegionOne'
    assert view['replica_of']['id'] == master['id']
    assert view['flavor']['id'] == master['view']['flavor']['id']
    assert view['volume']['size'] == master['view']['volume']['size']

    writer = _redis(master['view'], master['password'])
    reader = _redis(view, replica.password)
    try:
        _sees(reader, 'before-replica', b'yes')
        assert reader.info('replication')['role'] == 'slave'

        # The master's delete is refused while it has a replica.
        with pytest.raises(trove_exc.BadRequest) as refused:
            trove.instances.delete(master['id'])
        assert 'promote' in str(refused.value)
        assert 'detach' in str(refused.value)
        assert helpers.request(session, 'GET', _url(
            system, session, master['id'])).json()['instance'][
                'status'] == 'ACTIVE'

        # The replica's redis-server is killed: its guest agent starts it
        # again on its own, following its master.
        pid = reader.info('server')['process_id']
        os.kill(pid, signal.SIGKILL)
        _back_with_another_pid(reader, pid)
        writer.set('after-kill', 'yes')
        _sees(reader, 'after-kill', b'yes')
        helpers.wait_status(session, replica_url, 'ACTIVE', timeout=120)
        # Restarted through the API: it comes back following its master.
        pid = reader.info('server')['process_id']
        trove.instances.restart(replica.id)
        helpers.wait_status(session, replica_url, 'ACTIVE', timeout=120)
        _back_with_another_pid(reader, pid)
        writer.set('after-restart', 'yes')
        _sees(reader, 'after-restart', b'yes')
        info = reader.info('replication')
        assert info['role'] == 'slave'
        assert info['master_host'] == master['view']['ip'][0]
    finally:
        writer.close()
        reader.close()


def test_replica_count_is_all_or_nothing(system, master):
    session = system.session('demo')
    trove = system.trove('demo')
    project_id = session.get_project_id()
    before = _usage(system, project_id)
    # One of the two replicas' volumes fails in RegionOne.
    system.cloud.set_fault('RegionOne', fail_next_volumes=1)
    try:
        first = trove.instances.create('rc-pair', replica_of=master['id'],
                                       replica_count=2,
                                       region_name='RegionOne')
        assert _usage(system, project_id) == {
            'instances': before['instances'] + 2,
            'volumes': before['volumes'] + 2 * master['view']['volume'][
                'size']}
        pair = [i.id for i in trove.instances.list()
                if i.name == 'rc-pair']
        assert first.id in pair and len(pair) == 2
        for instance_id in pair:
            helpers.wait_gone(session, _url(system, session, instance_id),
                              timeout=240)
    finally:
        system.cloud.clear_faults()
    assert _usage(system, project_id) == before
    shown = helpers.request(session, 'GET', _url(
        system, session, master['id'])).json()['instance']
    assert {r['id'] for r in shown.get('replicas', [])}.isdisjoint(pair)


def test_openstack_cli_creates_a_replica_with_replica_of(system, master):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    done = subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database', 'instance', 'create', 'rc-cli-replica',
         '--replica-of', master['id'], '-f', 'json'],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    master['replicas'].append(created['id'])
    assert created['replica_of'] == master['id']
    assert created['flavor'] == master['view']['flavor']['id']
    session = system.session('demo')
    view = helpers.wait_status(session, _url(system, session, created['id']),
                               'ACTIVE')
    # Placed in the master's region when the command names none.
    assert view['region'] == 'RegionTwo'
