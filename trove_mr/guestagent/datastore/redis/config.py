"""redis.conf for a guest's redis-server, rendered from a template."""

import ipaddress
import os
import re
import secrets

import jinja2

from trove_mr.common import cfg

CONF = cfg.CONF

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), 'templates')
TEMPLATE_NAME = 'redis.conf.j2'

# redis.conf quoting is easy to get wrong; passwords we generate never need
# it, and refusing anything else keeps a bad value from breaking the file.
_PASSWORD_RE = re.compile(r'^[A-Za-z0-9_\-]{16,512}$')

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False)


def generate_password(nbytes=24):
    """Return a new random password usable as requirepass/masterauth."""
    return secrets.token_urlsafe(nbytes)


def _check_path(name, value):
    if not value or not os.path.isabs(value) or any(
            c.isspace() or c == '"' for c in value):
        raise ValueError('%s must be an absolute path without spaces or '
                         'quotes: %r' % (name, value))


def render_config(bind_address, data_dir, password, pidfile, logfile,
                  port=None, clustered=False, appendonly=True,
                  cluster_node_timeout=None, maxmemory=None,
                  overrides_file=None):
    """Return the text of redis.conf for one node.

    :param bind_address: the IP address redis-server binds to; also the
        address announced to the other members of a cluster.
    :param data_dir: absolute path of the data directory (on the volume).
    :param password: used as both ``requirepass`` and ``masterauth``, so
        that every member of a cluster can authenticate to the others.
    :param pidfile: absolute path of the pidfile.
    :param logfile: absolute path of the log file.
    :param port: client port; ``[redis] redis_port`` by default.
    :param clustered: whether to enable Redis Cluster mode.
    :param appendonly: whether AOF persistence is on. It is only turned
        off for the first start after a restore, so that Redis loads the
        restored RDB file instead of an empty AOF.
    :param cluster_node_timeout: milliseconds; ``[redis]
        cluster_node_timeout`` by default.
    :param maxmemory: Redis' memory limit in bytes; None for none.
    :param overrides_file: absolute path of a file of configuration
        group values, included last; None for none.
    """
    ipaddress.ip_address(bind_address)
    for name, value in (('data_dir', data_dir), ('pidfile', pidfile),
                        ('logfile', logfile)):
        _check_path(name, value)
    if overrides_file is not None:
        _check_path('overrides_file', overrides_file)
    if not _PASSWORD_RE.match(password or ''):
        raise ValueError('the Redis password must be 16 to 512 characters '
                         'of letters, digits, "-" or "_"')
    if port is None:
        port = CONF.redis.redis_port
    if cluster_node_timeout is None:
        cluster_node_timeout = CONF.redis.cluster_node_timeout
    return _env.get_template(TEMPLATE_NAME).render(
        bind_address=bind_address,
        port=int(port),
        data_dir=data_dir,
        password=password,
        pidfile=pidfile,
        logfile=logfile,
        appendonly=appendonly,
        clustered=clustered,
        cluster_config_file=os.path.join(data_dir, 'nodes.conf'),
        cluster_node_timeout=int(cluster_node_timeout),
        maxmemory=int(maxmemory) if maxmemory else None,
        overrides_file=overrides_file)


def write_config_file(path, text):
    """Write ``text`` to ``path`` atomically, readable by the owner only.

    The file holds the password, hence the 0600 mode from the start
    rather than a chmod after the content is already on disk.
    """
    tmp = '%s.tmp' % path
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def valid_password(password):
    """Whether ``password`` can be written into redis.conf as is."""
    return bool(_PASSWORD_RE.match(password or ''))


def check_password(password):
    """Refuse a password redis.conf could not hold as rendered."""
    if not _PASSWORD_RE.match(password or ''):
        raise ValueError('the Redis password must be 16 to 512 characters '
                         'of letters, digits, "-" or "_"')


# Lines of redis.conf never shown: secrets and the include of overrides.
_HIDDEN = ('requirepass', 'masterauth', 'include')


def settings(text):
    """``{parameter: value}`` of redis.conf text, secrets left out."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        name, _, value = line.partition(' ')
        if name in _HIDDEN:
            continue
        found[name] = value.strip().strip('"')
    return found
