"""The logs a Redis guest offers, and where they are published.

Shared by the API (which names and checks them) and the guest agent
(which reads and publishes them):

* ``redis``: redis-server's own log file, type ``SYS``: always on, it can
  be published but not turned off;
* ``slow_query``: Redis's SLOWLOG, type ``USER``: enabled while
  ``slowlog-log-slower-than`` is not negative, published as text.

A publish appends one object ``<prefix>log-<UTC time>`` (with the
``X-Object-Meta-Lines`` header python-troveclient's ``log tail`` reads)
to the tenant's container in the instance's region, and rewrites the
JSON *metafile* ``<instance id>/redis-<log>_metafile`` beside it.
"""

SYS = 'SYS'
USER = 'USER'

# Statuses as Trove shows them.
DISABLED = 'Disabled'
ENABLED = 'Enabled'
PUBLISHED = 'Published'
PARTIAL = 'Partial'
ROTATED = 'Rotated'
UNAVAILABLE = 'Unavailable'
READY = 'Ready'

REDIS_LOG = 'redis'
SLOW_QUERY_LOG = 'slow_query'
LOG_TYPES = {REDIS_LOG: SYS, SLOW_QUERY_LOG: USER}

ACTIONS = ('enable', 'disable', 'publish', 'discard')


def prefix(instance_id, log_name):
    """The object name prefix of one log's published parts."""
    return '%s/redis-%s/' % (instance_id, log_name)


def metafile(instance_id, log_name):
    """The object describing one log's publishes."""
    return '%s/redis-%s_metafile' % (instance_id, log_name)
