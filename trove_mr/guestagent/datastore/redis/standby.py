"""A cluster replica's view of its master: lag, and taking over.

Used for a cluster's standby region: every master has a replica there,
whose guest reports how far behind it is (with every heartbeat) and
promotes it on request, either as a planned switchover (CLUSTER FAILOVER:
the master stops taking writes until this replica reached its offset, so
no acknowledged write is lost) or as a takeover when the master's region
is gone (CLUSTER FAILOVER TAKEOVER: no agreement from the other masters,
which are gone too).
"""

import logging
import time

import redis

from trove_mr.guestagent.datastore.redis import errors

LOG = logging.getLogger(__name__)

_POLL = 0.1
# A manual failover Redis did not finish in this time is asked again.
_RETRY_AFTER = 10
# Seconds the guest waits for the master's offset (never the heartbeat).
MASTER_TIMEOUT = 1


def _replication(app):
    return app.client().info('replication')


def replica_lag(app):
    """``{'bytes', 'seconds'}`` this replica is behind its master, or None.

    None on a master, and on a replica whose master is down or does not
    answer (a dead link stays "up" in Redis until ``repl-timeout``): the
    last figures reported while the master answered stay on record as the
    window of writes a takeover may lose. ``bytes`` is the master's
    ``master_repl_offset`` minus this replica's (read here first, so the
    figure errs high); ``seconds`` is ``master_last_io_seconds_ago``.
    """
    info = _replication(app)
    if info.get('role') != 'slave' or \
            info.get('master_link_status') != 'up':
        return None
    own = int(info.get('slave_repl_offset', info.get('master_repl_offset',
                                                     0)))
    seconds = max(int(info.get('master_last_io_seconds_ago', 0)), 0)
    master = redis.Redis(host=info['master_host'],
                         port=int(info['master_port']),
                         password=app.password,
                         socket_connect_timeout=MASTER_TIMEOUT,
                         socket_timeout=MASTER_TIMEOUT)
    try:
        theirs = int(master.info('replication')['master_repl_offset'])
    except (redis.RedisError, OSError, KeyError, ValueError) as exc:
        LOG.debug('Master %s:%s gave no offset: %s', info['master_host'],
                  info['master_port'], exc)
        return None
    finally:
        master.close()
    return {'bytes': max(theirs - own, 0), 'seconds': seconds}


def replication_state(app):
    """``{'role', 'offset', 'link'}`` of the local node."""
    info = _replication(app)
    return {'role': 'master' if info.get('role') == 'master' else 'slave',
            'offset': int(info.get('master_repl_offset', 0)),
            'link': info.get('master_link_status')}


def promote(app, takeover=False, timeout=60):
    """Make this replica its shard's master; ``replication_state`` after.

    Safe to repeat: a node that is already a master is left as it is. A
    planned failover needs the link to the master up (else the master
    could not hand over its last writes) and is asked again if Redis
    gave it up (a manual failover times out on its own).

    :raises RedisTimeout: when the node is not a master in ``timeout``.
    """
    deadline = time.monotonic() + timeout
    asked = None
    while True:
        state = replication_state(app)
        if state['role'] == 'master':
            return state
        now = time.monotonic()
        if now > deadline:
            raise errors.RedisTimeout(
                'node %s:%d is still a replica after %ss (link %s)'
                % (app.address, app.port, timeout, state['link']))
        if asked is None or now - asked > _RETRY_AFTER:
            if takeover:
                LOG.warning('CLUSTER FAILOVER TAKEOVER on %s:%d.',
                            app.address, app.port)
                app.client().execute_command('CLUSTER', 'FAILOVER',
                                             'TAKEOVER')
                asked = now
            elif state['link'] == 'up':
                LOG.info('CLUSTER FAILOVER on %s:%d.', app.address,
                         app.port)
                app.client().execute_command('CLUSTER', 'FAILOVER')
                asked = now
        time.sleep(_POLL)
