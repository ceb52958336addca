"""Cinder volume replication v2 actions (cinder-volume-replication-v2.rst).

Each region has a primary backend and one replication target backend.
Enabling replication on a volume of a replication-capable type starts an
asynchronous copy of its folder to the target, taken again every
``replication_interval`` seconds by the region's :class:`Replicator`
(only files changed since the last copy); the volume records when its
last copy finished (``replication_last_sync_at``, admins only): writes
after it are what a failover from an unreadable primary loses.

Failover promotes the target copy, after a last copy while the primary
is still readable, and switches the volume, and the servers using it, to
it; a guest sees the promoted copy once its server boots again. The
``primary_unreadable`` fault of a region (``/localcloud/faults``) stands
for a lost primary backend: nothing is copied from it any more.
A failed-over volume can be protected again (enabled anew): it is then
copied back to the other backend, and a later failover returns it there.

Only admins may call these actions: replication is hidden from tenants.
"""

import datetime
import logging
import os
import shutil
import threading

from trove_mr_localcloud import wsgi

LOG = logging.getLogger(__name__)

ACTIONS = ('os-enable_replication', 'os-disable_replication',
           'os-failover_replication', 'os-list_replication_targets')
# The extra specs that mark a volume type replication-capable: the
# seed's name and Cinder's capability name.
CAPABLE_SPECS = ('replication_capable', 'replication_enabled')
DEFAULT_INTERVAL = 2.0
SYNCING = ('copying', 'enabled')


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%S.%f')


def primary_backend(region):
    """Host string of the region's primary volume backend."""
    return 'localcloud@lvm-%s#primary' % region.name


def target_backend_id(region):
    """Backend id of the region's replication target."""
    return 'lvm-%s-replica' % region.name


def replica_dir(region, vid):
    return os.path.join(region.state_dir, 'replicas', vid)


def replica_backend(region):
    """Host string of the region's replication target backend."""
    return 'localcloud@%s#replica' % target_backend_id(region)


def on_replica(volume):
    """Whether the volume was failed over to the target backend."""
    return volume.get('backend', '').endswith('#replica')


def copy_target(region, volume):
    """Where the volume is copied to: the target backend, or, for a
    volume failed over and protected again, the primary."""
    if on_replica(volume):
        return region.cinder.volume_dir(volume['id'])
    return replica_dir(region, volume['id'])


def target_of(region, volume):
    """Backend id the volume fails over to."""
    if on_replica(volume):
        return 'lvm-%s' % region.name
    return target_backend_id(region)


def forget(region, volume):
    """Remove a deleted volume's replica copy."""
    shutil.rmtree(replica_dir(region, volume['id']), ignore_errors=True)


def _same(source, target):
    try:
        a, b = os.lstat(source), os.lstat(target)
    except OSError:
        return False
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def _copy_order(name):
    # An AOF manifest names the files it needs: they are copied first.
    return (name.endswith('.manifest'), name)


def sync_tree(source, target):
    """Make ``target`` a copy of ``source``, copying only changed files.

    Each file is written beside its place and renamed over it, so the
    copy never holds half a file; manifests come after the files they
    name, and files gone from ``source`` go last.
    """
    os.makedirs(target, exist_ok=True)
    for root, dirs, files in os.walk(source):
        rel = os.path.relpath(root, source)
        there = os.path.normpath(os.path.join(target, rel))
        os.makedirs(there, exist_ok=True)
        for name in sorted(files, key=_copy_order):
            src, dst = os.path.join(root, name), os.path.join(there, name)
            if _same(src, dst):
                continue
            tmp = dst + '.replicating'
            try:
                shutil.copy2(src, tmp, follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed while copying: the next pass sees it
            os.replace(tmp, dst)
        wanted = set(dirs) | set(files)
        for name in os.listdir(there):
            if name not in wanted:
                path = os.path.join(there, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)


def capable(cinder, volume_type):
    """Whether the volume type (name or id) is replication-capable."""
    vtype = cinder.type_by_name_or_id(volume_type) or {}
    specs = vtype.get('extra_specs', {})
    return any(str(specs.get(key, '')).replace('<is>', '').strip().lower()
               == 'true' for key in CAPABLE_SPECS)


class Replicator:
    """The asynchronous copies of one region's replicated volumes."""

    def __init__(self, region, interval=DEFAULT_INTERVAL):
        self.region = region
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._copying = threading.Lock()
        self._thread = None

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, daemon=True,
            name='replicator-%s' % self.region.name)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def wake(self):
        self._wake.set()

    def _loop(self):
        while not self._stop.is_set():
            try:
                self.sync_all()
            except Exception:  # the loop must outlive one bad pass
                LOG.exception('replication pass of %s failed',
                              self.region.name)
            self._wake.wait(self.interval)
            self._wake.clear()

    def readable(self):
        return not self.region.faults.get('primary_unreadable')

    def sync_all(self):
        """One pass: copy every replicating volume of the region."""
        with self.region.store.lock:
            todo = [v['id'] for v in self.region.data['volumes'].values()
                    if v.get('replication_status') in SYNCING]
        for vid in todo:
            self.sync(vid)

    def sync(self, vid):
        """Copy volume ``vid`` to its replica now; False if it could not
        be (the primary is unreadable or the copy failed)."""
        if not self.readable():
            return False
        region = self.region
        with self._copying:
            with region.store.lock:
                volume = region.data['volumes'].get(vid)
                if volume is None or \
                        volume.get('replication_status') not in SYNCING:
                    return False
                source, target = volume['path'], copy_target(region, volume)
            try:
                sync_tree(source, target)
                status = 'enabled'
            except OSError:
                LOG.exception('replicating volume %s failed', vid)
                status = 'error'
            with region.store.transaction():
                if volume.get('replication_status') in SYNCING:
                    volume['replication_status'] = status
                    if status == 'enabled':
                        volume['replication_last_sync_at'] = now_iso()
        return status == 'enabled'


def act(cinder, token, vid, action, args):
    """Perform a replication action on volume ``vid``; a WebOb answer."""
    if 'admin' not in token.roles:
        raise wsgi.HTTPError(403, 'Policy does not allow %s to be '
                                  'performed.' % action)
    region = cinder.region
    with region.store.transaction():
        volume = cinder.get(token, vid)
        is_capable = capable(cinder, volume['volume_type'])
        if action == 'os-list_replication_targets':
            return wsgi.json_response({'volume_id': vid, 'targets': [
                {'backend_id': target_of(region, volume),
                 'type': 'managed'}] if is_capable else []})
        if not is_capable:
            raise wsgi.HTTPError(400, 'Invalid volume: volume type %s is '
                                      'not replication capable.'
                                 % volume['volume_type'])
        state = volume['replication_status']
        if action == 'os-enable_replication':
            # A failed-over volume is protected again towards the other
            # backend (its old primary) once that is readable.
            if state not in ('disabled', 'error', 'failed-over'):
                raise wsgi.HTTPError(400, 'Invalid volume: replication '
                                          'status is %s.' % state)
            volume.update(replication_status='copying',
                          replication_last_sync_at=None)
            region.replicator.wake()
            return wsgi.json_response(None, 202)
        if action == 'os-disable_replication':
            if state not in ('enabled', 'copying', 'error'):
                raise wsgi.HTTPError(400, 'Invalid volume: replication '
                                          'status is %s.' % state)
            volume['replication_status'] = 'disabled'
            return wsgi.json_response(None, 202)
        _check_failover(region, volume, args.get('secondary'))
    # The last copy runs outside the region's lock (it may be long).
    region.replicator.sync(vid)
    with region.store.transaction():
        _failover(region, volume)
    return wsgi.json_response(None, 202)


def _check_failover(region, volume, secondary):
    if secondary not in (None, target_of(region, volume)):
        raise wsgi.HTTPError(400, 'Invalid secondary backend %s.' % secondary)
    if not promotable(volume):
        # 'copying': the first copy is not complete; nothing to promote.
        raise wsgi.HTTPError(400, 'Invalid volume: replication status is '
                                  '%s.' % volume['replication_status'])


def promotable(volume):
    """Whether the volume has a complete replica to fail over to."""
    return volume['replication_status'] in ('enabled', 'error') and \
        bool(volume.get('replication_last_sync_at'))


def _failover(region, volume):
    """Switch the volume to its replica (region lock held)."""
    if not promotable(volume):
        raise wsgi.HTTPError(409, 'Volume %s changed during its failover.'
                             % volume['id'])
    volume.update(path=copy_target(region, volume),
                  replication_status='failed-over',
                  backend=primary_backend(region) if on_replica(volume)
                  else replica_backend(region))
    for att in volume['attachments']:
        server = region.data['servers'].get(att['server_id'])
        if server is not None:
            region.hypervisor.expose_volumes(
                server['id'], region.cinder.exposed(server))


def pools(region):
    """``scheduler-stats/get_pools`` entries of the region's backends,
    with their replication capabilities (admins only)."""
    state = 'up' if not region.faults.get('primary_unreadable') else 'down'
    return [
        {'name': primary_backend(region), 'capabilities': {
            'pool_name': 'primary', 'volume_backend_name':
            'lvm-%s' % region.name, 'backend_state': state,
            'replication_enabled': True, 'replication_type': 'async',
            'replication_count': 1, 'replication_targets': [
                {'backend_id': target_backend_id(region),
                 'type': 'managed'}]}},
        {'name': replica_backend(region),
         'capabilities': {
             'pool_name': 'replica',
             'volume_backend_name': target_backend_id(region),
             'backend_state': 'up', 'replication_enabled': False,
             'replication_targets': []}}]
