"""The redis-server process of a guest: configuration, start, stop, status.

The agent starts redis-server as its own child, by default in a session of
its own so that signals meant for the agent do not reach the database. If
the agent restarts while redis-server keeps running, the pidfile leads the
new agent to the running server, which it adopts instead of starting a
second one.
"""

import logging
import os
import signal
import subprocess
import threading
import time

import redis
from redis import backoff as redis_backoff
from redis import retry as redis_retry

from trove_mr.common import cfg
from trove_mr.common.processes import pid_alive  # noqa: F401 (used here)
from trove_mr.guestagent.datastore.redis import backup
from trove_mr.guestagent.datastore.redis import cluster
from trove_mr.guestagent.datastore.redis import config
from trove_mr.guestagent.datastore.redis import errors
from trove_mr.guestagent.datastore.redis import overrides
from trove_mr.guestagent.datastore.redis import replication

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

RUNNING = 'running'
SHUTDOWN = 'shutdown'
FAILED = 'failed'

_POLL = 0.05
_LOG_TAIL_BYTES = 4096
# Errors that only mean "not answering yet" while redis-server starts.
_NOT_READY = (redis.ConnectionError, redis.TimeoutError,
              redis.BusyLoadingError)


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode('utf-8', 'replace')
    except OSError:
        return ''


class RedisApp:
    """One redis-server on this guest, bound to ``address``.

    :param address: IP address the server binds to and announces.
    :param data_dir: data directory, normally on the instance's volume.
    :param password: ``requirepass`` and ``masterauth``; never logged.
    :param port: client port (``[redis] redis_port`` by default).
    :param conf_dir: where redis.conf and the pidfile live; ``[redis]
        redis_conf_dir``, else ``redis-conf`` beside the data directory.
    :param log_dir: where redis.log lives; ``conf_dir`` by default.
    :param clustered: whether this node is a Redis Cluster member.
    :param redis_server_bin: the redis-server binary.
    :param cluster_node_timeout: milliseconds, for clustered nodes.
    :param maxmemory: ``maxmemory`` in bytes written to redis.conf at
        every start; None for no limit.
    :param own_session: start redis-server in a session of its own. The
        guest agent turns it off so that the server stays in the agent's
        process group: stopping the whole server (its process group) then
        stops Redis too, while a signal to the agent alone does not.
    """

    CONF_NAME = 'redis.conf'
    PID_NAME = 'redis.pid'
    LOG_NAME = 'redis.log'

    def __init__(self, address, data_dir, password, port=None,
                 conf_dir=None, log_dir=None, clustered=False,
                 redis_server_bin=None, cluster_node_timeout=None,
                 own_session=True, maxmemory=None):
        self.address = address
        self.port = int(port if port is not None else CONF.redis.redis_port)
        self.data_dir = os.path.abspath(data_dir)
        self.conf_dir = os.path.abspath(
            conf_dir or CONF.redis.redis_conf_dir or os.path.join(
                os.path.dirname(self.data_dir), 'redis-conf'))
        self.log_dir = os.path.abspath(log_dir or self.conf_dir)
        self.clustered = clustered
        self.redis_server_bin = (redis_server_bin or
                                 CONF.redis.redis_server_bin)
        self.cluster_node_timeout = cluster_node_timeout
        self.own_session = own_session
        self.maxmemory = maxmemory
        self._password = password
        self._proc = None
        self._pid = None
        self._stopped = False
        self._client = None
        self._lock = threading.RLock()
        self.cluster = cluster.RedisClusterNode(self)
        self.replication = replication.RedisReplication(self)

    def __repr__(self):
        # No password here: reprs end up in logs and tracebacks.
        return '<RedisApp %s:%d %s>' % (self.address, self.port,
                                        self.data_dir)

    @property
    def password(self):
        """The node's password (for building clients; do not log it)."""
        return self._password

    @property
    def conf_path(self):
        return os.path.join(self.conf_dir, self.CONF_NAME)

    @property
    def pidfile(self):
        return os.path.join(self.conf_dir, self.PID_NAME)

    @property
    def logfile(self):
        return os.path.join(self.log_dir, self.LOG_NAME)

    def write_config(self, appendonly=True):
        """Render redis.conf into ``conf_dir`` and create the directories.

        :param appendonly: AOF persistence; only turned off for the first
            start after a restore.
        """
        for path in (self.data_dir, self.conf_dir, self.log_dir):
            os.makedirs(path, mode=0o700, exist_ok=True)
        # The first start after a restore leaves the configuration group
        # out: it must not turn AOF on before the restored RDB is loaded.
        overrides_file = overrides.ensure_file(self) if appendonly \
            else None
        text = config.render_config(
            self.address, self.data_dir, self._password,
            pidfile=self.pidfile, logfile=self.logfile, port=self.port,
            clustered=self.clustered, appendonly=appendonly,
            cluster_node_timeout=self.cluster_node_timeout,
            maxmemory=self.maxmemory, overrides_file=overrides_file)
        # A replica's role (replicaof, masterauth) outlives restarts.
        text += self.replication.persisted_config()
        config.write_config_file(self.conf_path, text)
        LOG.debug('Wrote %s (clustered=%s, appendonly=%s).',
                  self.conf_path, self.clustered, appendonly)

    def default_settings(self):
        """The settings this node runs with before any configuration
        group: redis.conf as rendered for its flavor, secrets left out."""
        return config.settings(config.render_config(
            self.address, self.data_dir, self._password,
            pidfile=self.pidfile, logfile=self.logfile, port=self.port,
            clustered=self.clustered, cluster_node_timeout=(
                self.cluster_node_timeout), maxmemory=self.maxmemory))

    def _new_client(self, retries):
        # The server is local: a refused connection means it is down, so
        # retrying with redis-py's default backoff only adds seconds.
        return redis.Redis(
            host=self.address, port=self.port, password=self._password,
            decode_responses=True, socket_connect_timeout=2,
            socket_timeout=30,
            retry=redis_retry.Retry(redis_backoff.NoBackoff(), retries))

    def client(self):
        """A redis-py client for the local node, created once."""
        with self._lock:
            if self._client is None:
                # One retry, for a pooled connection the server dropped.
                self._client = self._new_client(retries=1)
            return self._client

    def _pidfile_pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _live_pid(self):
        """Pid of this node's redis-server if one is alive, else None."""
        if self._proc is not None and self._proc.pid == self._pid:
            # Our own child: Popen reaps it and keeps its exit code.
            if self._proc.poll() is None:
                return self._pid
        elif self._pid is not None and pid_alive(self._pid):
            return self._pid
        pid = self._pidfile_pid()
        if pid is not None and pid != self._pid and pid_alive(pid) and \
                'redis-server' in _cmdline(pid):
            return pid
        return None

    @property
    def stopped_on_request(self):
        """Whether redis-server is down because :meth:`stop` was called."""
        return self._stopped

    def keep_stopped(self):
        """Take a redis-server that is not running as stopped on request
        (an earlier agent's :meth:`stop`): nothing starts it but
        :meth:`start`."""
        with self._lock:
            self._stopped = True

    def exit_reason(self):
        """Why redis-server is down, in words (for logs and admins)."""
        with self._lock:
            if self._proc is not None and self._proc.pid == self._pid:
                code = self._proc.poll()
                if code is not None and code < 0:
                    try:
                        name = signal.Signals(-code).name
                    except ValueError:
                        name = 'signal %d' % -code
                    return 'killed by %s' % name
                if code is not None:
                    return 'exited with code %d' % code
            # Adopted from an earlier agent: not our child, no exit status.
            return 'the process exited'

    def _ping(self):
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def is_running(self):
        """Whether redis-server is alive and answers PING."""
        return self._live_pid() is not None and self._ping()

    def status(self):
        """One of ``'running'``, ``'shutdown'`` or ``'failed'``.

        ``failed`` means the server died without being asked to (killed,
        crashed: it left its pidfile behind or exited non-zero) or is alive
        but does not answer.
        """
        return self.status_details()['status']

    def status_details(self):
        """Status as a dict: ``status``, ``process_alive`` and ``pid``."""
        with self._lock:
            pid = self._live_pid()
            if pid is not None:
                state = RUNNING if self._ping() else FAILED
            elif self._stopped:
                state = SHUTDOWN
            elif self._proc is not None and self._proc.returncode:
                state = FAILED
            elif self._pidfile_pid() is not None:
                # redis-server removes its pidfile on a clean exit only.
                state = FAILED
            else:
                state = SHUTDOWN
            return {'status': state, 'process_alive': pid is not None,
                    'pid': pid}

    def _log_tail(self):
        try:
            with open(self.logfile, 'rb') as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - _LOG_TAIL_BYTES))
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def start(self, timeout=60):
        """Start redis-server (or adopt a running one) and wait for PING.

        Writes redis.conf first. After :meth:`prepare_restore` the first
        start loads the restored RDB file, then turns AOF persistence on.

        :raises RedisStartError: with the tail of the log if the server
            exits or does not answer within ``timeout`` seconds.
        """
        with self._lock:
            pid = self._live_pid()
            if pid is not None:
                LOG.info('Adopting running redis-server pid %d at %s:%d.',
                         pid, self.address, self.port)
                self._pid = pid
                self._stopped = False
                try:
                    self._wait_ready(timeout)
                    return
                except errors.RedisStartError:
                    # A killed server is alive for a moment before it
                    # exits; one that died while adopted is started anew.
                    if self._live_pid() is not None:
                        raise
                    LOG.warning('redis-server pid %d at %s:%d exited while '
                                'adopted; starting a new one.', pid,
                                self.address, self.port)
            restoring = backup.restore_pending(self)
            self.write_config(appendonly=not restoring)
            self._remove_pidfile()
            with open(self.logfile, 'ab') as log:
                self._proc = subprocess.Popen(
                    [self.redis_server_bin, self.conf_path],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    start_new_session=self.own_session, close_fds=True)
            self._pid = self._proc.pid
            self._stopped = False
            LOG.info('Started redis-server pid %d at %s:%d.', self._pid,
                     self.address, self.port)
            try:
                self._wait_ready(timeout)
                if restoring:
                    backup.finish_restore(self, timeout)
            except Exception:
                self._kill(self._pid)
                raise

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self._proc is not None and self._proc.pid == self._pid and \
                    self._proc.poll() is not None:
                raise errors.RedisStartError(
                    'redis-server at %s:%d exited with code %s; log tail:\n'
                    '%s' % (self.address, self.port, self._proc.returncode,
                            self._log_tail()))
            try:
                if self.client().ping():
                    return
            except _NOT_READY:
                pass
            if time.monotonic() > deadline:
                raise errors.RedisStartError(
                    'redis-server at %s:%d did not answer within %ss; log '
                    'tail:\n%s' % (self.address, self.port, timeout,
                                   self._log_tail()))
            time.sleep(_POLL)

    def _wait_exit(self, pid, timeout):
        if self._proc is not None and self._proc.pid == pid:
            try:
                self._proc.wait(timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(_POLL)
        return True

    def _signal(self, pid, sig):
        try:
            # Started in its own session, so the group is the server's.
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _kill(self, pid):
        """SIGTERM, then SIGKILL: the fallback when SHUTDOWN fails."""
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if not pid_alive(pid):
                break
            LOG.warning('Sending signal %d to redis-server pid %d.', sig,
                        pid)
            self._signal(pid, sig)
            if self._wait_exit(pid, grace):
                break
        self._remove_pidfile()

    def _remove_pidfile(self):
        try:
            os.unlink(self.pidfile)
        except FileNotFoundError:
            pass

    def stop(self, timeout=60, save=True):
        """Stop redis-server with SHUTDOWN SAVE (or NOSAVE).

        Falls back to SIGTERM then SIGKILL if the server is still alive
        after ``timeout`` seconds. Does nothing if it is not running.
        """
        with self._lock:
            self._stopped = True
            pid = self._live_pid()
            if pid is None:
                self._reap()
                return
            if not self._shutdown(pid, timeout, save):
                self._kill(pid)
            self._reap()
            self._pid = None
            if self._client is not None:
                self._client.close()
            LOG.info('Stopped redis-server at %s:%d.', self.address,
                     self.port)

    def _shutdown(self, pid, timeout, save):
        """Send SHUTDOWN until the server exits; False on timeout."""
        deadline = time.monotonic() + timeout
        # No retry: the connection closing is SHUTDOWN succeeding.
        shutdown_client = self._new_client(retries=0)
        try:
            while True:
                try:
                    # NOSAVE also forces: the data is being thrown away,
                    # so nothing (an initial AOF rewrite, say) should
                    # keep the server up. SHUTDOWN SAVE is retried
                    # instead, since Redis refuses it only while such
                    # work is in progress.
                    shutdown_client.shutdown(save=save, nosave=not save,
                                             force=not save)
                except redis.ResponseError as e:
                    LOG.debug('SHUTDOWN of redis-server pid %d refused: '
                              '%s', pid, e)
                except redis.RedisError as e:
                    LOG.warning('SHUTDOWN of redis-server pid %d failed: '
                                '%s', pid, e)
                remaining = deadline - time.monotonic()
                if self._wait_exit(pid, max(0, min(0.2, remaining))):
                    return True
                if remaining <= 0:
                    return False
        finally:
            shutdown_client.close()

    def _reap(self):
        if self._proc is not None:
            try:
                self._proc.wait(0)
            except subprocess.TimeoutExpired:
                pass

    def restart(self, timeout=60):
        """Stop (saving the data) and start redis-server again."""
        self.stop(timeout=timeout, save=True)
        self.start(timeout=timeout)

    def volume_used_gb(self):
        """Size of the files in the data directory, in GB (float)."""
        total = 0
        for root, _dirs, files in os.walk(self.data_dir):
            for name in files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_size
                except FileNotFoundError:
                    # Redis renames temporary files while saving.
                    continue
        return total / float(1024 ** 3)

    def snapshot(self, timeout=600):
        """Take a consistent RDB snapshot; see :func:`backup.snapshot`."""
        return backup.snapshot(self, timeout)

    def prepare_restore(self, rdb_path):
        """Put an RDB file in place; see :func:`backup.prepare_restore`."""
        backup.prepare_restore(self, rdb_path)

    def memory_info(self):
        """``{'memory_used', 'maxmemory'}`` in bytes from INFO memory,
        and ``keys``: how many keys the node holds (DBSIZE)."""
        client = self.client()
        info = client.info('memory')
        return {'memory_used': int(info.get('used_memory', 0)),
                'maxmemory': int(info.get('maxmemory', 0)),
                'keys': int(client.dbsize())}

    def change_password(self, password, masterauth=True):
        """Set a new ``requirepass`` on the live server and in redis.conf.

        Connections already authenticated stay open; new ones need the new
        password. With ``masterauth`` the node's ``masterauth`` changes
        too (a standalone node or a cluster member, whose replicas share
        the password); a replica of another instance keeps its master's.
        Idempotent.
        """
        config.check_password(password)
        with self._lock:
            client = self.client()
            client.config_set('requirepass', password)
            if masterauth:
                client.config_set('masterauth', password)
            self._password = password
            # The pooled connections authenticated with the old password
            # still work; new ones must use the new one.
            self._client = None
            self.write_config()
        LOG.info('Password of %s:%d changed.', self.address, self.port)

    def set_masterauth(self, password):
        """Set ``masterauth`` (the master's password) on the live server.
        """
        config.check_password(password)
        self.client().config_set('masterauth', password)
