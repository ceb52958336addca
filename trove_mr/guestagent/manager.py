"""Server side of the guest agent RPC API (see api.py for versions).

The datastore work itself lives in ``trove_mr.guestagent.datastore``; this
manager is the RPC surface that dispatches to it, and the memory of what
the guest is doing (preparing, prepared, failed), which the heartbeats
report.
"""

import os
import threading
import time

import oslo_messaging as messaging
from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import faults
from trove_mr.common import memory
from trove_mr.common import states
from trove_mr.guestagent import bootstrap
from trove_mr.guestagent import cluster_calls
from trove_mr.guestagent import errors
from trove_mr.guestagent import heartbeat
from trove_mr.guestagent import supervisor
from trove_mr.guestagent import volume as guest_volume
from trove_mr.guestagent.datastore.redis import logs as redis_logs
from trove_mr.guestagent.datastore.redis import overrides as redis_overrides
from trove_mr.guestagent.datastore.redis import service as redis_service

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# What the guest is doing, as the manager remembers it.
PHASE_NEW = 'new'              # never prepared
PHASE_PREPARING = 'preparing'
PHASE_READY = 'ready'          # prepared: the datastore's status counts
PHASE_FAILED = 'failed'        # the last prepare failed

_APP_TO_SERVICE = {
    redis_service.RUNNING: states.SERVICE_RUNNING,
    redis_service.SHUTDOWN: states.SERVICE_SHUTDOWN,
    redis_service.FAILED: states.SERVICE_FAILED,
}

START_TIMEOUT = 60
CLUSTER_WAIT_TIMEOUT = cluster_calls.CLUSTER_WAIT_TIMEOUT
_MAX_FAILURE = 1024


# Re-exported: callers and tests name it as the manager's.
GuestError = errors.GuestError


class GuestManager(cluster_calls.ClusterCalls,
                   cluster_calls.StandbyCalls):
    """Endpoint of ``trove-mr-guestagent`` on ``guestagent.<id>``.

    :param instance_id: the instance served; ``[guest] instance_id``.
    :param layout: where the datastore lives (bootstrap.discover()).
    """

    target = messaging.Target(version='1.7')

    def __init__(self, instance_id=None, layout=None):
        self.instance_id = instance_id or CONF.guest.instance_id
        self._layout = layout
        self.app = None
        self.phase = PHASE_NEW
        self.failure = None
        # Prepare, restart and stop each take seconds and must not
        # interleave; heartbeats only read and never wait on it.
        self._lock = threading.Lock()
        # Set by the service: sends a heartbeat at once.
        self.notify = lambda: None
        # Set by the service: tells the conductor that prepare is over,
        # naming the taskmanager process to wake (common/readiness.py).
        self.notify_ready = lambda target: None
        # Made on the first backup: reports go to the conductor sealed
        # under this instance's key, like heartbeats.
        self._conductor = None
        # Starts redis-server again when it dies (started by the service).
        self.supervisor = supervisor.Supervisor(self, START_TIMEOUT)

    @property
    def layout(self):
        if self._layout is None:
            self._layout = bootstrap.discover()
        return self._layout

    def _new_app(self, password, clustered):
        layout = self.layout
        return redis_service.RedisApp(
            layout.address, layout.data_dir, password,
            conf_dir=layout.conf_dir, clustered=clustered,
            redis_server_bin=CONF.redis.redis_server_bin,
            own_session=False,
            maxmemory=memory.maxmemory_bytes(
                bootstrap.memory_mb(), CONF.redis.maxmemory_percent))

    # -- status ----------------------------------------------------------

    def service_status(self):
        """The status a heartbeat reports (states.SERVICE_*)."""
        phase, app = self.phase, self.app
        if phase == PHASE_FAILED:
            return states.SERVICE_FAILED
        if phase != PHASE_READY or app is None:
            return states.SERVICE_BUILD
        return _APP_TO_SERVICE[app.status()]

    def volume_used(self):
        app = self.app
        return round(app.volume_used_gb(), 6) if app is not None else 0.0

    def _failure_text(self):
        return self.failure or self.supervisor.failure

    def heartbeat_payload(self):
        """The payload of a heartbeat: status, volume used, failure and
        the restarts of redis-server by the agent
        (``datastore_restarts``: ``{count, last_at, last_reason}``)."""
        payload = {'service_status': self.service_status(),
                   'volume_used': self.volume_used()}
        if payload['service_status'] == states.SERVICE_FAILED and \
                self._failure_text():
            payload['message'] = self._failure_text()
        if self.supervisor.report:
            payload['datastore_restarts'] = dict(self.supervisor.report)
        slots = self._cluster_slots(payload['service_status'])
        if slots is not None:
            payload['cluster_slots'] = slots
        lag = self._replication_lag(payload['service_status'])
        if lag is not None:
            payload['replication'] = lag
        return payload

    def _cluster_slots(self, service_status):
        """The hash slots this running cluster member owns, or None."""
        app = self.app
        if app is None or not getattr(app, 'clustered', False) or \
                service_status != states.SERVICE_RUNNING:
            return None
        try:
            return sum(last - first + 1 for first, last in
                       app.cluster.my_slots())
        except Exception as exc:  # noqa: BLE001 - the heartbeat goes on
            LOG.debug('No slot count in this heartbeat: %s', exc)
            return None

    # -- agent start -----------------------------------------------------

    def resume(self):
        """Bring back a guest prepared before this agent started.

        Adopts a redis-server still running, or starts it again unless it
        was stopped on purpose. Never raises: a failure shows in the
        heartbeats.
        """
        with self._lock:
            try:
                marker = bootstrap.read_marker(self.layout)
            except bootstrap.GuestConfigError as exc:
                self._fail('cannot find the datastore: %s' % exc)
                return
            if marker is None:
                LOG.info('Guest not prepared yet; waiting for prepare.')
                return
            self.supervisor.load(marker)
            password = bootstrap.read_password(
                os.path.join(self.layout.conf_dir,
                             redis_service.RedisApp.CONF_NAME))
            if not password:
                self._fail('the guest was prepared but its redis.conf has '
                           'no password; prepare it again')
                return
            self.app = self._new_app(password, marker.get('clustered'))
            self.phase = PHASE_READY
            if marker.get('stopped'):
                LOG.info('Redis was stopped on request; not starting it.')
                # Nor may the supervisor take it for a redis-server that
                # died.
                self.app.keep_stopped()
                return
            try:
                self.app.start(timeout=START_TIMEOUT)
                self._apply_saved_logs()
            except Exception as exc:
                LOG.error('Could not bring Redis back after an agent '
                          'start: %s', exc)

    def _fail(self, message, exc=None):
        # The tail of a Redis log can be long; the fault shown to users
        # needs only its start.
        message = message[:_MAX_FAILURE]
        LOG.error('Guest of instance %s failed: %s', self.instance_id,
                  message)
        self.phase = PHASE_FAILED
        self.failure = message
        # What the tenant may read: the kind of failure, not its text.
        self.failure_summary = str(faults.tenant_message(exc)) \
            if exc is not None else None

    def _record(self, **changes):
        marker = bootstrap.read_marker(self.layout) or {}
        marker.update(changes)
        bootstrap.write_marker(self.layout, marker)

    # -- RPC methods -----------------------------------------------------

    def ping(self, context):
        """Answer a liveness check with this guest's instance id."""
        return {'service': 'guestagent', 'instance_id': self.instance_id,
                'host': CONF.host}

    def prepare(self, context, config):
        """Set the datastore up and start it (cast; since 1.1).

        :param config: ``{'password': the Redis password, 'backup_info':
            None or {id, location, checksum, region}, 'cluster': None or
            {...} for a cluster member}``.

        Idempotent: on a guest already prepared it only makes sure Redis
        runs. Sends a heartbeat at once when done: RUNNING, or FAILED with
        the reason.
        """
        with self._lock:
            if self.phase == PHASE_READY:
                LOG.info('Prepare on a prepared guest: only checking that '
                         'Redis runs.')
                try:
                    self._ensure_running()
                except Exception as exc:
                    LOG.error('Redis of a prepared guest did not start: %s',
                              exc)
                self.supervisor.reset()
                self._push_ready(config)
                self.notify()
                return
            self.phase = PHASE_PREPARING
            self.failure = None
            self.notify()
            try:
                self._prepare(config or {}, context)
            except Exception as exc:
                # Exceptions do not carry the password: it is only ever
                # in redis.conf and in the config dict, neither logged.
                LOG.exception('Prepare of instance %s failed',
                              self.instance_id)
                self._fail('prepare failed: %s' % exc, exc)
            else:
                self.phase = PHASE_READY
                LOG.info('Instance %s prepared; Redis runs at %s.',
                         self.instance_id, self.layout.address)
        self._push_ready(config)
        self.notify()

    def _push_ready(self, config):
        """Push the end of prepare (RUNNING or FAILED) to the conductor
        when the taskmanager named where to (``ready_to``); the
        heartbeat that follows reports it anyway."""
        target = (config or {}).get('ready_to')
        if target:
            self.notify_ready(target)

    def _prepare(self, config, context=None):
        password = config.get('password')
        if not password:
            raise GuestError('prepare needs the Redis password.')
        clustered = bool(config.get('cluster'))
        layout = self.layout
        os.makedirs(layout.data_dir, mode=0o700, exist_ok=True)
        app = self._new_app(password, clustered)
        if config.get('backup_info'):
            # Imported when needed: swiftclient is megabytes that a guest
            # not built from a backup never uses.
            from trove_mr.guestagent import backup as guest_backup
            guest_backup.restore_checked(app, config['backup_info'],
                                         context)
        app.start(timeout=START_TIMEOUT)
        _apply_first_overrides(app, config.get('overrides'))
        self.app = app
        try:
            self._record(instance_id=self.instance_id,
                         clustered=clustered, stopped=False,
                         prepared_at=time.time(), port=app.port,
                         datastore_version=CONF.guest.datastore_version)
        except OSError:
            app.stop(save=False)
            self.app = None
            raise

    def _ensure_running(self):
        self.supervisor.reset()
        if self.app.status() != redis_service.RUNNING:
            self.app.start(timeout=START_TIMEOUT)
            self._record(stopped=False)

    def _prepared_app(self):
        if self.phase != PHASE_READY or self.app is None:
            raise GuestError('The guest of instance %s is not prepared '
                             '(%s).' % (self.instance_id, self.phase))
        return self.app

    def restart(self, context):
        """Restart redis-server, saving its data (call; since 1.1).

        Heartbeats RUNNING once Redis answers again (or FAILED).
        """
        with self._lock:
            try:
                app = self._prepared_app()
                self.supervisor.reset()
                app.restart(timeout=START_TIMEOUT)
                self._apply_saved_logs()
                self._record(stopped=False)
            finally:
                self.notify()
        return {'status': app.status()}

    def stop(self, context):
        """Stop redis-server, saving its data (call; since 1.1).

        The guest then reports SHUTDOWN until restarted, also across agent
        restarts.
        """
        with self._lock:
            try:
                app = self._prepared_app()
                app.stop(timeout=START_TIMEOUT, save=True)
                self._record(stopped=True)
            finally:
                self.notify()
        return {'status': app.status()}

    def get_status(self, context):
        """The datastore's status (call; since 1.1).

        :returns: ``{'status': 'running'|'shutdown'|'failed',
            'volume_used': GB}``; a guest not prepared yet answers
            ``shutdown``, one whose prepare failed ``failed`` and, since
            1.3, ``failure``: why; with ``failure_summary``, the kind of
            failure a tenant may read (an optional field, added without a
            version change: older callers ignore it); and
            ``stopped_on_request`` (optional too) when Redis is kept
            stopped by ``stop``.
        """
        if self.phase == PHASE_FAILED:
            status = redis_service.FAILED
        elif self.app is None:
            status = redis_service.SHUTDOWN
        else:
            status = self.app.status()
        answer = {'status': status, 'volume_used': self.volume_used()}
        if status == redis_service.SHUTDOWN and self.app is not None and \
                self.app.stopped_on_request:
            # An optional field, added without a version change (older
            # callers ignore it): Redis is kept stopped on request, it
            # neither died nor is starting.
            answer['stopped_on_request'] = True
        if status == redis_service.FAILED and self._failure_text():
            answer['failure'] = self._failure_text()
            if getattr(self, 'failure_summary', None):
                answer['failure_summary'] = self.failure_summary
        if status == redis_service.RUNNING:
            # Since 1.4: what a flavor resize checks the new flavor
            # against, and the key count a volume failover checks.
            try:
                answer.update(self.app.memory_info())
            except Exception as exc:  # noqa: BLE001 - optional detail
                LOG.debug('No memory figures from Redis: %s', exc)
        return answer

    # -- backups and replication (since 1.3) -----------------------------

    def _report_backup(self, context, backup_id, **values):
        if self._conductor is None:
            self._conductor = heartbeat.guest_conductor_api(
                self.instance_id)
        try:
            self._conductor.update_backup(context, self.instance_id,
                                          backup_id, time.time(), **values)
        except Exception as exc:  # noqa: BLE001 - the taskmanager times out
            LOG.error('Could not report backup %s: %s', backup_id, exc)

    def create_backup(self, context, backup_info):
        """Back Redis up to the tenant's Swift (cast; since 1.3).

        :param backup_info: ``{'id', 'swift_url', 'container'}``; see
            :func:`trove_mr.guestagent.backup.create_backup`. Progress and
            the result go to the conductor's ``update_backup``.
        """
        def report(**values):
            self._report_backup(context, backup_info['id'], **values)
        try:
            app = self._prepared_app()
        except GuestError as exc:
            report(state='FAILED', message=str(exc))
            return
        from trove_mr.guestagent import backup as guest_backup
        guest_backup.create_backup(app, context, backup_info, report)

    def get_replication_source(self, context):
        """Where and how replicas reach this node (call; since 1.3).

        :returns: ``{'host', 'port', 'password'}``; the reply is sealed
            under this instance's key like every other.
        """
        app = self._prepared_app()
        return {'host': app.address, 'port': app.port,
                'password': app.password}

    def attach_replica(self, context, master):
        """Replicate from ``master`` ({'host', 'port', 'password'}) and
        wait until the link is up (call; since 1.3)."""
        app = self._prepared_app()
        app.replication.replicate_from(master['host'], master['port'],
                                       master['password'])
        return app.replication.wait_for_sync(timeout=CLUSTER_WAIT_TIMEOUT)

    def promote_to_master(self, context):
        """Stop replicating and accept writes (call; since 1.3)."""
        app = self._prepared_app()
        app.replication.promote_to_master()
        return app.replication.replication_info()

    def detach_replica(self, context):
        """Stop following the master, keeping the data (call; since 1.3).
        """
        return self.promote_to_master(context)

    def replication_info(self, context):
        """Role, link and offset from INFO replication (call; since 1.3).
        """
        return self._prepared_app().replication.replication_info()

    # -- Redis Cluster (since 1.2): see cluster_calls.py -----------------

    def _cluster_node(self):
        app = self._prepared_app()
        if not app.clustered:
            raise GuestError('Instance %s is not a cluster member.'
                             % self.instance_id)
        return app.cluster

    # -- resize (since 1.4) ----------------------------------------------

    def resize_fs(self, context, volume_size):
        """Grow the volume's filesystem to its new size (call; since 1.4).

        After the control plane extended the volume to ``volume_size``
        GB. A volume mounted from a block device is grown online with
        resize2fs; a volume that is a folder of the host (no filesystem
        of its own) has nothing to grow. Answers what the guest now sees.
        """
        with self._lock:
            return guest_volume.grow_filesystem(self.layout.volume_dir,
                                                volume_size)

    # -- root and logs (since 1.4) ---------------------------------------

    def change_password(self, context, password, masterauth=True):
        """Set a new Redis password live and in redis.conf (call; 1.4).

        :param masterauth: also the node's ``masterauth`` (standalone
            nodes and cluster members); False on a replica of another
            instance, which keeps its master's.
        """
        with self._lock:
            app = self._prepared_app()
            app.change_password(password, masterauth=masterauth)
        return {'status': app.status()}

    def set_masterauth(self, context, password):
        """Authenticate to the master with ``password`` (call; 1.4)."""
        self._prepared_app().set_masterauth(password)

    def get_configuration_defaults(self, context):
        """redis.conf's settings before any group (call; 1.5)."""
        return self._prepared_app().default_settings()

    def guest_log_list(self, context):
        """``[{name, type, status, published, pending}]`` (call; 1.4)."""
        return redis_logs.list_logs(self._prepared_app())

    def guest_log_action(self, context, name, actions, target=None):
        """Enable, disable, publish or discard log ``name`` (call; 1.4).

        :param target: where publish and discard write in the tenant's
            Swift: ``{'swift_url', 'container', 'prefix', 'metafile'}``.
        :returns: the log described after the actions.
        """
        app = self._prepared_app()
        try:
            return redis_logs.log_action(app, context, name, list(actions),
                                         target)
        except redis_logs.LogError as exc:
            raise GuestError(str(exc)) from exc

    def _apply_saved_logs(self):
        try:
            redis_logs.apply_saved(self.app)
        except Exception as exc:  # noqa: BLE001 - logs must not stop Redis
            LOG.warning('Could not apply the saved log settings: %s', exc)

    # -- configuration groups (since 1.4) --------------------------------

    def update_overrides(self, context, overrides):
        """Apply a configuration group's values (call; since 1.4).

        :param overrides: ``{'values': {name: redis text},
            'restart_required': [names]}``; empty values take them all
            away. Written to the overrides file redis.conf includes;
            dynamic ones set at once with CONFIG SET.
        :returns: ``{'restart_pending': [names], 'applied': [names]}``.
        """
        with self._lock:
            app = self._prepared_app()
            return redis_overrides.apply(app, overrides or {})


    # -- datastore version upgrade (since 1.4) ---------------------------

    def pre_upgrade(self, context):
        """Stop Redis with its data saved before the server is rebuilt
        from another image (call; since 1.4).

        Everything Redis keeps (data, redis.conf, the prepare marker) is
        on the volume, which the rebuild keeps. Returns version_info.
        """
        self.stop(context)
        return self.version_info(context)

    def post_upgrade(self, context):
        """Start Redis on the rebuilt server and record the datastore
        version it now runs (call; since 1.4).

        The agent started from the new image found the guest prepared (its
        marker on the volume) but stopped on purpose: start it. Idempotent.
        Returns version_info.
        """
        with self._lock:
            try:
                app = self._prepared_app()
                self.supervisor.reset()
                if app.status() != redis_service.RUNNING:
                    app.start(timeout=START_TIMEOUT)
                self._record(stopped=False,
                             datastore_version=CONF.guest.datastore_version)
            finally:
                self.notify()
        return self.version_info(context)

    def version_info(self, context):
        """What this guest runs (call; since 1.4).

        ``datastore_version`` from the agent's configuration, the image
        the server booted (``image_id``, ``image_version``) and
        ``redis_version`` from the running server (None when it is down).
        """
        redis_version = None
        app = self.app
        if app is not None and app.status() == redis_service.RUNNING:
            try:
                redis_version = app.client().info('server').get(
                    'redis_version')
            except Exception as exc:  # noqa: BLE001 - reported as None
                LOG.debug('No INFO server from Redis: %s', exc)
        return {'datastore_version': CONF.guest.datastore_version,
                'image_id': os.environ.get('TROVE_MR_IMAGE_ID') or None,
                'image_version':
                    os.environ.get('TROVE_MR_IMAGE_VERSION') or None,
                'redis_version': redis_version}


def _apply_first_overrides(app, overrides):
    """A new instance's configuration group: set live, and one restart
    at once when some values need it, so it starts with all of them."""
    if not overrides or not overrides.get('values'):
        return
    result = redis_overrides.apply(app, overrides)
    if result['restart_pending']:
        app.restart(timeout=START_TIMEOUT)

