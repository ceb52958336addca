"""Cinder volume replication (v2) as the control plane reads and drives it.

Replication is sold as a volume type: a type whose extra specs say
``replication_capable=True`` (or Cinder's ``replication_enabled``
capability, ``<is> True``) in a region's Cinder. Types differ per region,
so a type is always judged in the instance's own region. The actions
(enable, disable, failover, list targets) are Cinder's volume actions,
sent by the service user with python-cinderclient; the backends and
their targets come from ``scheduler-stats/get_pools``.

Replication is asynchronous: the target holds the volume as of its last
copy (``replication_last_sync_at``); what was written after it is lost
by a failover from a primary that can no longer be read.
"""

import datetime

from cinderclient import exceptions as cinder_exc

from trove_mr.common import clients

# Extra specs that mark a volume type replication-capable.
CAPABLE_SPECS = ('replication_capable', 'replication_enabled')
# Cinder's volume actions of replication v2.
ENABLE = 'os-enable_replication'
DISABLE = 'os-disable_replication'
FAILOVER = 'os-failover_replication'
LIST_TARGETS = 'os-list_replication_targets'
# What the control plane records on the instance row.
STATUS_DISABLED = 'disabled'
STATUS_ENABLED = 'enabled'
STATUS_FAILED_OVER = 'failed-over'
STATUS_ERROR = 'error'
LAST_SYNC_KEY = 'replication_last_sync_at'
HOST_KEY = 'os-vol-host-attr:host'


def _truthy(value):
    return str(value or '').replace('<is>', '').strip().lower() == 'true'


def specs_capable(extra_specs):
    """Whether extra specs mark a type replication-capable."""
    return any(_truthy((extra_specs or {}).get(key))
               for key in CAPABLE_SPECS)


def cinder(context, region_name):
    """The service user's Cinder in ``region_name``."""
    return clients.create_cinder_client(context, region_name)


def type_capable(client, volume_type):
    """Whether ``volume_type`` (name or id; None: the cloud's default)
    is replication-capable in the region of ``client``."""
    for vtype in client.volume_types.list():
        if volume_type in (vtype.name, vtype.id) or (
                volume_type is None and vtype.name == '__DEFAULT__'):
            specs = vtype._info.get('extra_specs')
            if specs is None:
                specs = vtype.get_keys()
            return specs_capable(specs)
    return False


def parse_time(text):
    """Cinder's timestamp (naive UTC) as an aware datetime, or None."""
    if not text:
        return None
    try:
        when = datetime.datetime.fromisoformat(str(text).rstrip('Z'))
    except ValueError:
        return None
    return when.replace(tzinfo=datetime.timezone.utc)


def volume_state(client, volume_id, now=None):
    """What Cinder says of a volume's replication (admin view).

    ``{'status', 'last_sync_at', 'lag_seconds', 'backend'}``; the lag is
    how far the replica is behind now (None before the first copy).
    """
    info = client.volumes.get(volume_id)._info
    last = parse_time(info.get(LAST_SYNC_KEY))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return {'status': info.get('replication_status') or STATUS_DISABLED,
            'last_sync_at': info.get(LAST_SYNC_KEY),
            'lag_seconds': (round((now - last).total_seconds(), 3)
                            if last else None),
            'backend': info.get(HOST_KEY)}


def act(client, volume_id, action, info=None):
    """Send one replication action of Cinder for ``volume_id``."""
    return client.volumes._action(action, volume_id, info or {})


def list_targets(client, volume_id):
    """The replication targets of a volume: ``[{'backend_id', 'type'}]``.
    """
    _resp, body = act(client, volume_id, LIST_TARGETS)
    return list((body or {}).get('targets') or [])


def region_backends(client):
    """The region's backends with their replication capabilities."""
    found = []
    for pool in client.pools.list(detailed=True):
        info = pool._info
        caps = info.get('capabilities') or {}
        found.append({
            'backend': info.get('name'),
            'state': caps.get('backend_state', 'up'),
            'replication_enabled': _truthy(caps.get('replication_enabled')),
            'replication_type': caps.get('replication_type'),
            'targets': [{'backend_id': t.get('backend_id'),
                         'type': t.get('type')}
                        for t in caps.get('replication_targets') or []]})
    return found


def cinder_error_text(exc):
    """The message of a Cinder refusal, for admins."""
    if isinstance(exc, cinder_exc.ClientException):
        return getattr(exc, 'message', None) or str(exc)
    return str(exc)
