"""SIGKILL one of a cell's two taskmanagers in the middle of operations.

Every kind of operation (create, restart, datastore upgrade, admin
rebuild, stop and migrate, backup, backup delete, instance delete,
cluster create and delete) is started through the API and, at a
random point of it, the taskmanager that runs its job is killed (the one
holding the job's claim, else either). The other taskmanager claims the
job once the claim lapses and resumes it; the killed one is started
again. Every operation must complete, and at the end nothing is stuck in
a task, nothing is left in Nova, Cinder, Swift or on the bus, quota
usage equals the rows, and a key written before the upgrade is still
there after the upgrade and the rebuild.
"""

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest
import redis
import swiftclient
from glanceclient import client as glance_client
from troveclient import exceptions as trove_exc

from tests.fixtures import devenv
from tests.functional.taskmanager import helpers

KILLS_WANTED = 20
TIMEOUT = 150


@pytest.fixture(scope='module')
def env():
    with devenv.running('trove-mr-kill-', taskmanagers=2) as system:
        yield system


class Killer:
    """Kills the taskmanager running a resource's job, and restarts it."""

    def __init__(self, env):
        self.env = env
        self.kills = []
        self.rng = random.Random(os.environ.get('TROVE_MR_KILL_SEED'))

    def kill_during(self, kind, resource_id, max_delay):
        """After a random delay, SIGKILL the job's taskmanager; restart."""
        time.sleep(self.rng.uniform(0.1, max_delay))
        owner = self.env.job_owner(resource_id)
        name = self.env.taskmanager_of(owner) if owner else None
        hit = name is not None
        if name is None:
            name = self.rng.choice(self.env.taskmanager_names())
        self.env.stop_service(name, signal.SIGKILL)
        self.kills.append((kind, hit))
        self.env.start_service(name)


def _small(trove):
    return helpers.small_flavor(trove).id


def _wait_cluster(trove, cluster_id, wanted='NONE'):
    deadline = time.monotonic() + TIMEOUT
    while True:
        cluster = trove.clusters.get(cluster_id)
        task = cluster.task['name']
        if task == wanted:
            return cluster
        assert task != 'FAILED', cluster._info
        assert time.monotonic() < deadline, task
        time.sleep(0.5)


def _wait_cluster_gone(trove, cluster_id):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            trove.clusters.get(cluster_id)
        except trove_exc.NotFound:
            return
        time.sleep(0.5)
    raise AssertionError('cluster %s not deleted' % cluster_id)


def _image_id(env, region, name):
    glance = glance_client.Client('2', session=env.session('admin'),
                                  region_name=region)
    (image,) = list(glance.images.list(filters={'name': name}))
    return image['id']


def _redis(trove, instance_id, password):
    ip = trove.instances.get(instance_id).ip[0]
    return redis.Redis(host=ip, port=6379, password=password,
                       decode_responses=True, socket_timeout=5)


def _upgrade_and_rebuild(env, killer, trove, created, region):
    """Upgrade to the second version, then an admin rebuild from its
    image, a kill in each; the data written before is still there."""
    client = _redis(trove, created.id, created.password)
    try:
        client.set('kept', created.id)
        client.save()
    finally:
        client.close()
    trove.instances.upgrade(created.id, devenv.UPGRADE_VERSION)
    killer.kill_during('upgrade', created.id, 3.0)
    upgraded = helpers.wait_status(trove, created.id, ('ACTIVE',),
                                   timeout=TIMEOUT)
    assert upgraded.datastore['version'] == devenv.UPGRADE_VERSION

    env.trove('admin').mgmt_instances.rebuild(
        created.id, _image_id(env, region, devenv.UPGRADE_IMAGE_NAME))
    killer.kill_during('rebuild', created.id, 3.0)
    helpers.wait_status(trove, created.id, ('ACTIVE',), timeout=TIMEOUT)
    client = _redis(trove, created.id, created.password)
    try:
        assert client.get('kept') == created.id
    finally:
        client.close()


def _wait_task_over(admin, instance_id):
    deadline = time.monotonic() + TIMEOUT
    while True:
        shown = admin.mgmt_instances.show(instance_id)._info
        if shown['task_description'] == 'NONE':
            return shown
        assert shown['task_description'] != 'ERROR', shown
        assert time.monotonic() < deadline, shown
        time.sleep(0.5)


def _stop_and_migrate(env, killer, trove, created):
    """An admin's stop, then the tenant's restart, then an admin's
    migration to the region's other compute host, a kill in the stop and
    in the migration; the data is still there."""
    admin = env.trove('admin')
    admin.mgmt_instances.stop(created.id)
    killer.kill_during('stop', created.id, 1.5)
    shown = _wait_task_over(admin, created.id)
    assert trove.instances.get(created.id).status == 'SHUTDOWN', shown
    trove.instances.restart(created.id)
    helpers.wait_status(trove, created.id, ('ACTIVE',), timeout=TIMEOUT)
    host = admin.mgmt_instances.show(created.id)._info['host']
    admin.mgmt_instances.migrate(created.id)
    killer.kill_during('migrate', created.id, 3.0)
    helpers.wait_status(trove, created.id, ('ACTIVE',), timeout=TIMEOUT)
    assert admin.mgmt_instances.show(created.id)._info['host'] != host
    client = _redis(trove, created.id, created.password)
    try:
        assert client.get('kept') == created.id
    finally:
        client.close()


def _instance_round(env, killer, trove, index):
    region = 'RegionTwo' if index % 2 else 'RegionOne'
    created = trove.instances.create('kill-%d' % index, _small(trove),
                                     volume={'size': 1}, region_name=region)
    killer.kill_during('create', created.id, 3.0)
    helpers.wait_status(trove, created.id, ('ACTIVE',), timeout=TIMEOUT)

    trove.instances.restart(created.id)
    killer.kill_during('restart', created.id, 1.5)
    helpers.wait_status(trove, created.id, ('ACTIVE',), timeout=TIMEOUT)

    _upgrade_and_rebuild(env, killer, trove, created, region)
    _stop_and_migrate(env, killer, trove, created)

    backup = trove.backups.create('kill-bk-%d' % index, created.id)
    killer.kill_during('backup', backup.id, 1.5)
    backup = helpers.wait_backup(trove, backup.id)
    helpers.wait_status(trove, created.id, ('ACTIVE',), timeout=TIMEOUT)

    trove.backups.delete(backup.id)
    killer.kill_during('backup-delete', backup.id, 0.5)
    helpers.wait_backup_gone(trove, backup.id)

    trove.instances.delete(created.id)
    killer.kill_during('delete', created.id, 2.0)
    helpers.wait_gone(trove, created.id, timeout=TIMEOUT)
    return created.id, region, backup


def _cluster_round(env, killer, trove):
    flavor = _small(trove)
    cluster = trove.clusters.create(
        'kill-cluster', 'redis', '7.0',
        instances=[{'flavorRef': flavor, 'volume': {'size': 1}},
                   {'flavorRef': flavor, 'volume': {'size': 1},
                    'region_name': 'RegionTwo'},
                   {'flavorRef': flavor, 'volume': {'size': 1}}])
    killer.kill_during('cluster-create', cluster.id, 4.0)
    _wait_cluster(trove, cluster.id)
    trove.clusters.delete(cluster.id)
    killer.kill_during('cluster-delete', cluster.id, 2.0)
    _wait_cluster_gone(trove, cluster.id)


def _leftovers(env):
    """Servers, volumes and guest queues of instances that are gone."""
    left = []
    for region in env.regions:
        left += ['server %s' % s.name for s in
                 helpers.nova(env, region).servers.list()]
        left += ['volume %s' % v.name for v in
                 helpers.cinder(env, region).volumes.list()]
    out = subprocess.run(
        ['rabbitmqctl', '-q', 'list_queues', '-p', env.vhost_of(
            env.region_name), 'name'], capture_output=True, text=True,
        timeout=60, check=True).stdout
    left += ['queue %s' % q for q in out.split()
             if q.startswith('guestagent.')]
    return left


def test_every_operation_completes_when_its_taskmanager_is_killed(env):
    trove = env.trove('demo')
    killer = Killer(env)
    rounds = 0
    backups = []
    while len(killer.kills) < KILLS_WANTED - 2:
        backups.append(_instance_round(env, killer, trove, rounds))
        rounds += 1
    _cluster_round(env, killer, trove)
    kills = killer.kills
    assert len(kills) >= KILLS_WANTED
    assert {kind for kind, _hit in kills} == {
        'create', 'restart', 'upgrade', 'rebuild', 'stop', 'migrate',
        'backup', 'backup-delete', 'delete',
        'cluster-create', 'cluster-delete'}
    print('kills (kind, hit the job runner): %s' % json.dumps(kills))

    # Nothing stuck, nothing left, quota equals the rows.
    assert trove.instances.list() == []
    assert trove.clusters.list() == []
    assert _leftovers(env) == []
    session = env.session('demo')
    for _instance_id, region, backup in backups:
        swift = swiftclient.Connection(session=session,
                                       os_options={'region_name': region})
        container, name = backup.locationRef.rsplit('/', 2)[-2:]
        with pytest.raises(swiftclient.ClientException):
            swift.head_object(container, name)
    usage = _quota_usage(env, session.get_project_id())
    assert usage.get('instances', 0) == 0
    assert usage.get('volumes', 0) == 0


def _quota_usage(env, project_id):
    """{resource: in_use} of a project, read from the API database."""
    path = env.db_url('trove_mr_api.sqlite')[len('sqlite:///'):]
    with contextlib.closing(sqlite3.connect(path)) as db:
        return dict(db.execute(
            'SELECT resource, in_use FROM quota_usages '
            'WHERE project_id = ?', (project_id,)).fetchall())
