"""Where a guest's datastore lives: address, volume, directories, marker.

The taskmanager writes the agent's configuration; the hypervisor tells the
agent the rest through its environment:

* the address Redis binds to: ``[guest] bind_address``, else
  ``TROVE_MR_SERVER_ADDRESS``, else the address this host name resolves to;
* the volume: ``[guest] data_dir``, else the first entry of
  ``TROVE_MR_VOLUMES`` (a JSON list of ``{id, path, device}``), else
  ``/var/lib/trove-mr/data``;
* the server's RAM (its flavor's), which sets Redis' ``maxmemory``:
  ``TROVE_MR_SERVER_MEMORY_MB``, else ``MemTotal`` of ``/proc/meminfo``.

On the volume, Redis keeps its data in ``data/`` and its redis.conf (mode
0600: it holds the password), pidfile and log in ``redis-conf/`` (or
``[redis] redis_conf_dir``). A marker file beside them records that the
guest was prepared, with the non-secret settings, so that an agent started
again (after a crash or a reboot) brings the same Redis back.
"""

import collections
import json
import os
import re
import socket

from oslo_log import log as logging

from trove_mr.common import cfg

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

DEFAULT_VOLUME_DIR = '/var/lib/trove-mr/data'
ADDRESS_ENV = 'TROVE_MR_SERVER_ADDRESS'
VOLUMES_ENV = 'TROVE_MR_VOLUMES'
MEMORY_ENV = 'TROVE_MR_SERVER_MEMORY_MB'
MEMINFO_PATH = '/proc/meminfo'
MARKER_NAME = 'trove-mr-guest.json'
DATA_SUBDIR = 'data'
CONF_SUBDIR = 'redis-conf'

_REQUIREPASS_RE = re.compile(r'^\s*requirepass\s+"?([^"\s]+)"?\s*$')

Layout = collections.namedtuple(
    'Layout', ['address', 'volume_dir', 'data_dir', 'conf_dir'])


class GuestConfigError(Exception):
    """The agent cannot work out where or how to run its datastore."""


def server_address(environ=None):
    """The address the datastore binds to (see the module docstring)."""
    environ = os.environ if environ is None else environ
    address = CONF.guest.bind_address or environ.get(ADDRESS_ENV)
    if address:
        return address
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError as exc:
        raise GuestConfigError(
            'cannot find this server\'s address: set [guest] bind_address '
            'or %s (%s)' % (ADDRESS_ENV, exc)) from exc


def volume_dir(environ=None):
    """Where the instance's volume is mounted (see the module docstring)."""
    environ = os.environ if environ is None else environ
    if CONF.guest.data_dir:
        return os.path.abspath(CONF.guest.data_dir)
    raw = environ.get(VOLUMES_ENV)
    if raw:
        try:
            volumes = json.loads(raw)
            path = volumes[0]['path'] if volumes else None
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise GuestConfigError('%s is not a JSON list of {id, path, '
                                   'device}: %s' % (VOLUMES_ENV, exc)
                                   ) from exc
        if path:
            return os.path.abspath(path)
    return DEFAULT_VOLUME_DIR


def memory_mb(environ=None, meminfo=MEMINFO_PATH):
    """This server's RAM in MB (see the module docstring), or None.

    Read when the agent starts: a flavor resize reboots the server, so
    the agent then starts again and sees the new flavor's RAM.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(MEMORY_ENV)
    if raw:
        try:
            return int(raw)
        except ValueError:
            LOG.warning('%s is not a number of MB: %r', MEMORY_ENV, raw)
    try:
        with open(meminfo) as f:
            for line in f:
                if line.startswith('MemTotal:'):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError) as exc:
        LOG.warning('Cannot read the RAM of this server from %s: %s',
                    meminfo, exc)
    return None


def discover(environ=None):
    """The Layout of this guest's datastore."""
    volume = volume_dir(environ)
    return Layout(
        address=server_address(environ),
        volume_dir=volume,
        data_dir=os.path.join(volume, DATA_SUBDIR),
        conf_dir=os.path.abspath(CONF.redis.redis_conf_dir or
                                 os.path.join(volume, CONF_SUBDIR)))


def marker_path(layout):
    return os.path.join(layout.volume_dir, MARKER_NAME)


def read_marker(layout):
    """The settings recorded by the last prepare, or None if never."""
    try:
        with open(marker_path(layout)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        LOG.error('Cannot read the prepare marker %s: %s',
                  marker_path(layout), exc)
        return None


def write_marker(layout, settings):
    """Record ``settings`` (nothing secret) atomically in the marker."""
    path = marker_path(layout)
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(settings, f, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_password(conf_path):
    """The ``requirepass`` of an existing redis.conf, or None.

    redis.conf is the only place the password is kept on the guest, so an
    agent started again finds it there.
    """
    try:
        with open(conf_path) as f:
            for line in f:
                match = _REQUIREPASS_RE.match(line)
                if match:
                    return match.group(1)
    except OSError:
        return None
    return None
