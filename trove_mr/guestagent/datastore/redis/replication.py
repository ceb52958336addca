"""Plain (non-cluster) replication of the local redis-server."""

import ipaddress
import logging
import os
import time

from trove_mr.guestagent.datastore.redis import config
from trove_mr.guestagent.datastore.redis import errors

LOG = logging.getLogger(__name__)

_POLL = 0.05


class RedisReplication:
    """Replica/master role of one local redis-server (a ``RedisApp``).

    The role is set on the running server and kept in ``replication.conf``
    beside redis.conf (owner-only, as it holds the master's password);
    redis.conf is rendered afresh on every start with that file's lines
    appended (:meth:`persisted_config`), so a replica whose redis-server
    restarts keeps following its master.
    """

    FILE_NAME = 'replication.conf'

    def __init__(self, app):
        self.app = app

    @property
    def path(self):
        return os.path.join(self.app.conf_dir, self.FILE_NAME)

    def persisted_config(self):
        """The redis.conf lines of the persisted role ('' on a master)."""
        try:
            with open(self.path) as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def _persist(self, host, port, password):
        ipaddress.ip_address(host)
        if not config.valid_password(password):
            raise ValueError('the master password must be 16 to 512 '
                             'characters of letters, digits, "-" or "_"')
        os.makedirs(self.app.conf_dir, mode=0o700, exist_ok=True)
        config.write_config_file(self.path, (
            '# Written by the trove-mr guest agent: this node is a replica.\n'
            'replicaof %s %d\nmasterauth "%s"\n' % (host, int(port),
                                                   password)))

    def _forget(self):
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def replicate_from(self, host, port, password):
        """Make this node a replica of ``host``:``port``, now and after
        any restart of its redis-server.

        :param password: the master's password, set as ``masterauth``.
        """
        self._persist(host, port, password)
        client = self.app.client()
        client.config_set('masterauth', password)
        LOG.info('%s:%d now replicates from %s:%s.', self.app.address,
                 self.app.port, host, port)
        client.execute_command('REPLICAOF', host, int(port))

    def promote_to_master(self):
        """Stop replicating and accept writes (REPLICAOF NO ONE)."""
        client = self.app.client()
        client.execute_command('REPLICAOF', 'NO', 'ONE')
        self._forget()
        # Back to the node's own password, as rendered in redis.conf.
        client.config_set('masterauth', self.app.password)
        LOG.info('%s:%d promoted to master.', self.app.address,
                 self.app.port)

    def replication_info(self):
        """Role and link state, from INFO replication.

        :returns: dict with ``role`` ('master' or 'slave'),
            ``master_host``, ``master_port``, ``master_link_status``
            ('up'/'down', None on a master), ``offset`` (this node's
            replication offset) and ``connected_slaves``.
        """
        info = self.app.client().info('replication')
        role = info.get('role')
        if role == 'slave':
            offset = info.get('slave_repl_offset')
        else:
            offset = info.get('master_repl_offset')
        return {
            'role': role,
            'master_host': info.get('master_host'),
            'master_port': info.get('master_port'),
            'master_link_status': info.get('master_link_status'),
            'offset': offset,
            'connected_slaves': info.get('connected_slaves', 0),
        }

    def wait_for_sync(self, timeout=60):
        """Wait until this replica's link to its master is up.

        :raises RedisTimeout: if the link is not up within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            info = self.replication_info()
            if info['role'] == 'slave' and \
                    info['master_link_status'] == 'up':
                return info
            if time.monotonic() > deadline:
                raise errors.RedisTimeout(
                    'replica %s:%d link is %s after %ss' % (
                        self.app.address, self.app.port,
                        info['master_link_status'], timeout))
            time.sleep(_POLL)
