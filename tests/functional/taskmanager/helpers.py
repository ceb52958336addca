"""Helpers of the taskmanager functional tests: waits and cloud lookups."""

import time

from cinderclient import client as cinder_client
from novaclient import client as nova_client
from troveclient import exceptions as trove_exc


def wait_status(trove, instance_id, wanted, timeout=120):
    """Wait until the instance shows one of ``wanted``; return it."""
    deadline = time.monotonic() + timeout
    while True:
        instance = trove.instances.get(instance_id)
        if instance.status in wanted:
            return instance
        assert time.monotonic() < deadline, (
            'instance %s still %s after %ss' % (instance_id, instance.status,
                                                timeout))
        time.sleep(0.5)


def wait_gone(trove, instance_id, timeout=120):
    """Wait until the API answers 404 for the instance."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            trove.instances.get(instance_id)
        except trove_exc.NotFound:
            return True
        time.sleep(0.5)
    raise AssertionError('instance %s not deleted in %ss'
                         % (instance_id, timeout))


def delete_instance(env, instance_id, user='demo'):
    """DELETE the instance over raw HTTP; return the status code."""
    sess = env.session(user)
    resp = sess.delete('%s/v1.0/%s/instances/%s' % (
        env.api_url, sess.get_project_id(), instance_id), raise_exc=False)
    return resp.status_code


def nova(env, region):
    """novaclient of the service user (who owns the servers) in a region."""
    return nova_client.Client('2.37', session=env.session('trove'),
                              region_name=region)


def cinder(env, region):
    """cinderclient of the service user in a region."""
    return cinder_client.Client('3.0', session=env.session('trove'),
                                region_name=region)


def servers_of(env, region, instance_id):
    name = 'trove-mr-%s' % instance_id
    return [s for s in nova(env, region).servers.list(
        search_opts={'name': '^%s$' % name}) if s.name == name]


def volumes_of(env, region, instance_id):
    name = 'trove-mr-%s' % instance_id
    return [v for v in cinder(env, region).volumes.list(
        search_opts={'name': name}) if v.name == name]


def small_flavor(trove):
    """The smallest flavor with RAM, as the API lists it."""
    return sorted(trove.flavors.list(), key=lambda f: f.ram)[0]


def wait_backup(trove, backup_id, wanted='COMPLETED', timeout=150):
    """Wait until a backup is ``wanted``; FAILED ends the wait."""
    deadline = time.monotonic() + timeout
    while True:
        backup = trove.backups.get(backup_id)
        if backup.status == wanted:
            return backup
        assert backup.status not in ('FAILED', 'DELETE_FAILED'), \
            backup._info
        assert time.monotonic() < deadline, backup.status
        time.sleep(0.5)


def wait_backup_gone(trove, backup_id, timeout=150):
    """Wait until the API answers 404 for the backup."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            trove.backups.get(backup_id)
        except trove_exc.NotFound:
            return
        time.sleep(0.5)
    raise AssertionError('backup %s not deleted' % backup_id)
