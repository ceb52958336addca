"""Root (the Redis password) through python-troveclient and the
openstack CLI against the running system: the password changes on the
live redis-servers, replicas keep following, every cluster member gets
it and the cluster stays ok."""

import json
import os
import subprocess
import sys
import time

import pytest
import redis
from troveclient import exceptions as trove_exc

from tests.functional.api import helpers
from tests.functional.cluster import helpers as cluster_helpers

CHANGE_TIMEOUT = 60


def _redis(ip, password):
    return redis.Redis(host=ip, port=6379, password=password,
                       decode_responses=True, socket_timeout=10)


def _auth_works(ip, password):
    client = _redis(ip, password)
    try:
        return client.ping()
    except redis.AuthenticationError:
        return False
    finally:
        client.close()


def _wait_auth(ip, password, timeout=CHANGE_TIMEOUT):
    """Wait until ``password`` is the live password at ``ip``."""
    deadline = time.monotonic() + timeout
    while not _auth_works(ip, password):
        if time.monotonic() > deadline:
            raise AssertionError('password never took effect at %s' % ip)
        time.sleep(0.3)


def _create(session, system, body):
    answer = helpers.request(session, 'POST',
                             helpers.url(system, session, '/instances'),
                             {'instance': body})
    assert answer.status_code == 202, answer.text
    created = answer.json()['instance']
    return created, helpers.url(system, session,
                                '/instances/' + created['id'])


@pytest.fixture(scope='module')
def pair(system):
    """An ACTIVE master in RegionOne and its replica in RegionTwo."""
    session = system.session('demo')
    master, master_url = _create(session, system, {
        'name': 'root-master', 'flavorRef': '7', 'volume': {'size': 1},
        'region': 'RegionOne'})
    master_view = helpers.wait_status(session, master_url, 'ACTIVE')
    replica, replica_url = _create(session, system, {
        'name': 'root-replica', 'flavorRef': '7', 'volume': {'size': 1},
        'region': 'RegionTwo', 'replica_of': master['id']})
    replica_view = helpers.wait_status(session, replica_url, 'ACTIVE')
    yield {'master': master, 'master_ip': master_view['ip'][0],
           'master_url': master_url, 'replica': replica,
           'replica_ip': replica_view['ip'][0]}
    helpers.request(session, 'DELETE', replica_url)
    helpers.wait_gone(session, replica_url)
    helpers.request(session, 'DELETE', master_url)


def _replica_has(pair, key, value, timeout=30):
    client = _redis(pair['replica_ip'], pair['replica']['password'])
    deadline = time.monotonic() + timeout
    try:
        while client.get(key) != value:
            if time.monotonic() > deadline:
                raise AssertionError('replica never got %s' % key)
            time.sleep(0.2)
    finally:
        client.close()


def test_root_enable_sets_a_new_live_password_and_keeps_connections(
        system, pair):
    trove = system.trove('demo')
    instance_id = pair['master']['id']
    ip, old = pair['master_ip'], pair['master']['password']
    held = _redis(ip, old)
    held.set('before', '1')
    assert trove.root.is_instance_root_enabled(instance_id).rootEnabled \
        is False
    name, password = trove.root.create_instance_root(instance_id)
    assert name == 'root'
    assert password != old and len(password) >= 16
    assert trove.root.is_instance_root_enabled(instance_id).rootEnabled \
        is True
    _wait_auth(ip, password)
    assert not _auth_works(ip, old)
    # The connection opened with the old password was never dropped.
    assert held.get('before') == '1'
    assert held.config_get('requirepass') == {'requirepass': password}
    held.close()
    pair['root_password'] = password


def test_replica_keeps_following_after_root_enable(system, pair):
    master = _redis(pair['master_ip'], pair['root_password'])
    try:
        # The replica's masterauth is the new password: a new link (after
        # the old one is cut) still authenticates.
        master.client_kill_filter(_type='replica')
        master.set('after-root', 'yes')
    finally:
        master.close()
    _replica_has(pair, 'after-root', 'yes')
    replica = _redis(pair['replica_ip'], pair['replica']['password'])
    try:
        info = replica.info('replication')
        assert info['role'] == 'slave'
        assert info['master_link_status'] == 'up'
        assert replica.config_get('masterauth') == {
            'masterauth': pair['root_password']}
    finally:
        replica.close()


def test_root_disable_sets_a_password_the_tenant_is_not_told(
        system, pair):
    trove = system.trove('demo')
    instance_id = pair['master']['id']
    ip = pair['master_ip']
    held = _redis(ip, pair['root_password'])
    held.ping()
    trove.root.disable_instance_root(instance_id)
    assert trove.root.is_instance_root_enabled(instance_id).rootEnabled \
        is False
    deadline = time.monotonic() + CHANGE_TIMEOUT
    while _auth_works(ip, pair['root_password']):
        assert time.monotonic() < deadline, 'root password still works'
        time.sleep(0.3)
    kept = held.config_get('requirepass')['requirepass']
    held.close()
    assert kept not in (pair['root_password'], pair['master']['password'])
    assert _auth_works(ip, kept)
    # Disabling again: root is not enabled any more.
    with pytest.raises(trove_exc.NotFound):
        trove.root.disable_instance_root(instance_id)


def test_root_of_a_replica_or_another_tenant_is_refused(system, pair):
    trove = system.trove('demo')
    with pytest.raises(trove_exc.BadRequest):
        trove.root.create_instance_root(pair['replica']['id'])
    alt = system.trove('alt_demo')
    with pytest.raises(trove_exc.NotFound):
        alt.root.create_instance_root(pair['master']['id'])
    with pytest.raises(trove_exc.NotFound):
        alt.root.is_instance_root_enabled(pair['master']['id'])


def test_openstack_database_root_enable(system, pair):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    done = subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database', 'root', 'enable', pair['master']['id'], '-f', 'json'],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown['name'] == 'root'
    _wait_auth(pair['master_ip'], shown['password'])


MEMBERS = [{'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionOne'},
           {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionOne'},
           {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionTwo'},
           {'flavorRef': '7', 'volume': {'size': 1}, 'region': 'RegionTwo',
            'type': 'slave', 'related_to': 'root-cluster-member-1'}]


def test_cluster_root_enable_reaches_every_member_and_replication(system):
    session = system.session('demo')
    answer = helpers.request(
        session, 'POST', cluster_helpers.clusters_url(system, session),
        {'cluster': {'name': 'root-cluster',
                     'datastore': {'type': 'redis', 'version': '7.0'},
                     'instances': MEMBERS}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = cluster_helpers.clusters_url(system, session, '/' + created['id'])
    try:
        view = cluster_helpers.wait_ready(session, url)
        ips = [m['ip'][0] for m in view['instances']]
        trove = system.trove('demo')
        name, password = trove.root.create_cluster_root(created['id'])
        assert name == 'root'
        assert trove.root.is_cluster_root_enabled(
            created['id']).rootEnabled is True
        for ip in ips:
            _wait_auth(ip, password)
            assert not _auth_works(ip, created['password'])
            client = _redis(ip, password)
            try:
                assert client.config_get('masterauth') == {
                    'masterauth': password}
            finally:
                client.close()
        by_name = {m['name']: m['ip'][0] for m in view['instances']}
        master_ip = by_name['root-cluster-member-1']
        replica_ip = by_name['root-cluster-member-4']
        master = _redis(master_ip, password)
        try:
            master.client_kill_filter(_type='replica')
        finally:
            master.close()
        # The replica links up again with the new masterauth.
        deadline = time.monotonic() + CHANGE_TIMEOUT
        while True:
            replica = _redis(replica_ip, password)
            try:
                info = replica.info('replication')
            finally:
                replica.close()
            if info.get('master_link_status') == 'up':
                break
            assert time.monotonic() < deadline, info
            time.sleep(0.3)
        for ip in ips:
            assert cluster_helpers.cluster_info(ip, password)[
                'cluster_state'] == 'ok'
        with pytest.raises(trove_exc.NotFound):
            system.trove('alt_demo').root.create_cluster_root(
                created['id'])
    finally:
        helpers.request(session, 'DELETE', url)
        cluster_helpers.wait_gone(session, url)
