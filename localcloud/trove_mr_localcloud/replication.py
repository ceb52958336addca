"""Cinder volume replication v2 actions (cinder-volume-replication-v2.rst).

Each region has a primary backend and one replication target backend.
Enabling replication on a volume of a replication-capable type starts an
asynchronous copy of its folder to the target; failover promotes the
target copy (after a last sync while the primary is still readable) and
switches the volume, and the servers using it, to it. Only admins may call
these actions: replication is hidden from tenants.
"""

import logging
import os
import shutil
import threading

from trove_mr_localcloud import wsgi

LOG = logging.getLogger(__name__)

ACTIONS = ('os-enable_replication', 'os-disable_replication',
           'os-failover_replication', 'os-list_replication_targets')


def primary_backend(region):
    """Host string of the region's primary volume backend."""
    return 'localcloud@lvm-%s#primary' % region.name


def target_backend_id(region):
    """Backend id of the region's replication target."""
    return 'lvm-%s-replica' % region.name


def replica_dir(region, vid):
    return os.path.join(region.state_dir, 'replicas', vid)


def forget(region, volume):
    """Remove a deleted volume's replica copy."""
    shutil.rmtree(replica_dir(region, volume['id']), ignore_errors=True)


def _copy(source, target):
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)


def _replicate(region, volume):
    """The asynchronous copy to the target backend."""
    try:
        _copy(volume['path'], replica_dir(region, volume['id']))
        status = 'enabled'
    except OSError:
        LOG.exception('replicating volume %s failed', volume['id'])
        status = 'error'
    with region.store.transaction():
        if volume['replication_status'] == 'copying':
            volume['replication_status'] = status


def _capable(cinder, volume):
    vtype = cinder.type_by_name_or_id(volume['volume_type']) or {}
    spec = vtype.get('extra_specs', {}).get('replication_enabled', '')
    return spec.replace('<is>', '').strip().lower() == 'true'


def act(cinder, token, vid, action, args):
    """Perform a replication action on volume ``vid``; a WebOb answer."""
    if 'admin' not in token.roles:
        raise wsgi.HTTPError(403, 'Policy does not allow %s to be '
                                  'performed.' % action)
    region = cinder.region
    with region.store.transaction():
        volume = cinder.get(token, vid)
        if action == 'os-list_replication_targets':
            return wsgi.json_response({'volume_id': vid, 'targets': [
                {'backend_id': target_backend_id(region),
                 'type': 'managed'}] if _capable(cinder, volume) else []})
        if not _capable(cinder, volume):
            raise wsgi.HTTPError(400, 'Invalid volume: volume type %s is '
                                      'not replication capable.'
                                 % volume['volume_type'])
        state = volume['replication_status']
        if action == 'os-enable_replication':
            if state not in ('disabled', 'error'):
                raise wsgi.HTTPError(400, 'Invalid volume: replication '
                                          'status is %s.' % state)
            volume['replication_status'] = 'copying'
            threading.Thread(target=_replicate, args=(region, volume),
                             daemon=True).start()
        elif action == 'os-disable_replication':
            if state not in ('enabled', 'copying', 'error'):
                raise wsgi.HTTPError(400, 'Invalid volume: replication '
                                          'status is %s.' % state)
            volume['replication_status'] = 'disabled'
        else:
            _failover(region, volume, args.get('secondary'))
    return wsgi.json_response(None, 202)


def _failover(region, volume, secondary):
    """Switch the volume to its replica (region lock held)."""
    if secondary not in (None, target_backend_id(region)):
        raise wsgi.HTTPError(400, 'Invalid secondary backend %s.' % secondary)
    if volume['replication_status'] not in ('enabled', 'copying'):
        raise wsgi.HTTPError(400, 'Invalid volume: replication status is '
                                  '%s.' % volume['replication_status'])
    target = replica_dir(region, volume['id'])
    if os.path.isdir(volume['path']):
        _copy(volume['path'], target)
    volume.update(path=target, replication_status='failed-over',
                  backend='localcloud@%s#replica' % target_backend_id(region))
    for att in volume['attachments']:
        server = region.data['servers'].get(att['server_id'])
        if server is not None:
            region.hypervisor.expose_volumes(
                server['id'], region.cinder.exposed(server))
