"""Notifications of operations: oslo.messaging events as Trove sends them.

An operation (an instance's create, delete or restart, a backup, a
cluster's create...) emits ``<operation>.start`` when it starts,
``<operation>.end`` when it succeeds and ``<operation>.error`` when it
fails, e.g. ``trove.instance.create.start``. Payloads carry the fields of
upstream Trove's DBaaS events (``trove.instance.*``), built from our rows
by :func:`instance_payload`, :func:`cluster_payload` and
:func:`backup_payload`.

Off by default: oslo.messaging's ``[oslo_messaging_notifications] driver``
is empty unless configured, and then :func:`notify` returns at once,
without building a transport or opening a connection.

Where notifications go: ``[oslo_messaging_notifications] transport_url``
when it is set (a bus dedicated to notifications); otherwise the bus of the
cell the context is targeted at (``context.cell_transport_url``, set by
``trove_mr.db.cells``), so that a region's events reach that region's
consumers; otherwise this process's own ``transport_url``. One notifier
per bus, cached.
"""

import datetime
import threading

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_messaging import opts as messaging_opts
from oslo_serialization import jsonutils

from trove_mr.common import cfg
from trove_mr.common import states

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

_GROUP = 'oslo_messaging_notifications'

# Operations, as upstream Trove names its events; each is followed by
# START, END or ERROR.
INSTANCE_CREATE = 'trove.instance.create'
INSTANCE_DELETE = 'trove.instance.delete'
INSTANCE_RESTART = 'trove.instance.restart'
INSTANCE_MODIFY_VOLUME = 'trove.instance.modify_volume'
INSTANCE_MODIFY_FLAVOR = 'trove.instance.modify_flavor'
INSTANCE_PROMOTE = 'trove.instance.promote'
INSTANCE_EJECT = 'trove.instance.eject'
INSTANCE_DETACH = 'trove.instance.detach'
BACKUP_CREATE = 'trove.backup.create'
BACKUP_DELETE = 'trove.backup.delete'
CLUSTER_CREATE = 'trove.cluster.create'
CLUSTER_DELETE = 'trove.cluster.delete'
CLUSTER_GROW = 'trove.cluster.grow'
CLUSTER_SHRINK = 'trove.cluster.shrink'
INSTANCE_UPGRADE = 'trove.instance.upgrade'
CLUSTER_UPGRADE = 'trove.cluster.upgrade'
# An admin's volume failover: named for what the tenant's instance goes
# through (its storage is switched), not for replication.
INSTANCE_STORAGE_SWITCH = 'trove.instance.storage_switch'

START = 'start'
END = 'end'
ERROR = 'error'

# Priorities a Notifier has a method for.
PRIORITIES = ('audit', 'critical', 'debug', 'error', 'info', 'sample',
              'warn')

_lock = threading.Lock()
# transport URL (None: the configured one) -> (transport, Notifier)
_notifiers = {}


def _register_opts():
    # oslo.messaging registers its notification options only when a
    # transport or a notifier is made; reading ``driver`` must not need
    # one. Registering the same options again is harmless.
    if _GROUP in CONF and 'driver' in CONF[_GROUP]:
        return
    for group, opts in messaging_opts.list_opts():
        if group == _GROUP:
            CONF.register_opts(opts, group=_GROUP)


def enabled():
    """Whether a notification driver other than ``noop`` is configured."""
    _register_opts()
    drivers = [d for d in CONF[_GROUP].driver if d and d != 'noop']
    return bool(drivers)


def transport_url_for(context):
    """The bus URL a notification made with ``context`` goes to.

    None means the configured one (notifications' own ``transport_url``,
    else ``[DEFAULT] transport_url``).
    """
    _register_opts()
    if CONF[_GROUP].transport_url:
        return None
    return getattr(context, 'cell_transport_url', None) or None


class _Serializer(messaging.Serializer):
    """Plain JSON payloads; the context as a dict (oslo.messaging has
    already redacted its secrets)."""

    def serialize_entity(self, ctxt, entity):
        return jsonutils.to_primitive(entity, convert_instances=True)

    def deserialize_entity(self, ctxt, entity):
        return entity

    def serialize_context(self, ctxt):
        if hasattr(ctxt, 'to_dict'):
            return ctxt.to_dict()
        return dict(ctxt or {})

    def deserialize_context(self, ctxt):
        return ctxt


def get_notifier(context=None, service='taskmanager'):
    """The Notifier for ``context``'s bus, published as
    ``trove-mr-<service>.<host>``; cached per bus.

    Builds a transport: call it only when :func:`enabled`.
    """
    url = transport_url_for(context)
    with _lock:
        entry = _notifiers.get(url)
        if entry is None:
            transport = messaging.get_notification_transport(CONF, url=url)
            notifier = messaging.Notifier(transport, serializer=_Serializer())
            entry = _notifiers[url] = (transport, notifier)
    return entry[1].prepare(
        publisher_id='trove-mr-%s.%s' % (service, CONF.host))


def cleanup():
    """Close the cached notifiers' transports (at service stop, tests)."""
    with _lock:
        entries = list(_notifiers.values())
        _notifiers.clear()
    for transport, _notifier in entries:
        try:
            transport.cleanup()
        except Exception:  # noqa: BLE001 - closing is best effort
            LOG.warning('Could not close a notification transport',
                        exc_info=True)


def notify(context, event_type, payload, priority='info',
           service='taskmanager'):
    """Emit ``event_type`` with ``payload``; never raises.

    Does nothing when notifications are off. A broker or driver error is
    logged, not raised: a notification must not fail the operation it
    describes. ``payload`` gains ``server_type`` (``service``) if it has
    none, as upstream Trove's DBaaS events carry.
    """
    try:
        if not enabled():
            return
        if priority not in PRIORITIES:
            LOG.error('Not sending %s: unknown notification priority %r',
                      event_type, priority)
            return
        payload = dict(payload or {})
        payload.setdefault('server_type', service)
        notifier = get_notifier(context, service=service)
        LOG.debug('Sending notification %s (%s)', event_type, priority)
        getattr(notifier, priority)(context, event_type, payload)
    except Exception:  # noqa: BLE001 - see the docstring
        LOG.exception('Could not send notification %s', event_type)


# Payloads --------------------------------------------------------------

def _get(source, name, default=None):
    if isinstance(source, dict):
        return source.get(name, default)
    return getattr(source, name, default)


def isotime(value):
    """A stored (naive UTC) timestamp as upstream Trove's events show it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.strftime('%Y-%m-%dT%H:%M:%SZ')


def _datastore(source):
    """(datastore name, version name, version id) of a row or a dict.

    A row has its ``datastore_version`` loaded with it; a dict may give
    ``datastore`` and ``datastore_version`` as names instead.
    """
    version = _get(source, 'datastore_version')
    version_id = _get(source, 'datastore_version_id')
    if version is None or isinstance(version, str):
        return _get(source, 'datastore'), version, version_id
    datastore = _get(version, 'datastore')
    datastore_name = (datastore if isinstance(datastore, str) or
                      datastore is None else _get(datastore, 'name'))
    return (datastore_name, _get(version, 'name'),
            version_id or _get(version, 'id'))


def _region(source):
    # No region recorded means this control plane's own (cfg region_name).
    return _get(source, 'region_name') or CONF.region_name


def instance_state(source):
    """The status a user sees, lower-case as upstream Trove's events."""
    service = _get(source, 'status')
    if service is not None and not isinstance(service, str):
        service = _get(service, 'status')
    task = _get(source, 'task_status') or states.TASK_NONE
    return states.display_status(task, service).lower()


def instance_payload(instance, **extra):
    """Fields of upstream Trove's ``trove.instance.*`` events.

    ``instance`` is an instance row (with its datastore version and
    guest status) or a dict of the same column names; ``datastore`` and
    ``datastore_version`` may be names and ``status`` the guest's status.
    What the row does not know (``user_id``, ``instance_type``: the flavor
    name, ``instance_size``: its memory in MB, ``availability_zone``,
    ``service_id``) is None unless given in ``extra``, which overrides
    any field.
    """
    datastore, version, version_id = _datastore(instance)
    created = isotime(_get(instance, 'created'))
    state = instance_state(instance)
    payload = {
        'instance_id': _get(instance, 'id'),
        'instance_name': _get(instance, 'name'),
        'name': _get(instance, 'name'),
        'tenant_id': _get(instance, 'tenant_id'),
        'user_id': None,
        'region': _region(instance),
        'region_name': _region(instance),
        'availability_zone': None,
        'flavor_id': _get(instance, 'flavor_id'),
        'instance_type_id': _get(instance, 'flavor_id'),
        'instance_type': None,
        'instance_size': None,
        'volume_size': _get(instance, 'volume_size'),
        'nova_volume_id': _get(instance, 'volume_id'),
        'nova_instance_id': _get(instance, 'server_id'),
        'state': state,
        'state_description': state,
        'service_id': None,
        'datastore': datastore,
        'datastore_version': version,
        'datastore_version_id': version_id,
        'cluster_id': _get(instance, 'cluster_id'),
        'replica_of': _get(instance, 'replica_of_id'),
        'created_at': created,
        # Upstream Trove counts usage from creation: launched_at = created.
        'launched_at': created,
        'deleted_at': isotime(_get(instance, 'deleted_at')),
    }
    payload.update(extra)
    return payload


def _cluster_state(cluster):
    task = _get(cluster, 'task_name')
    if task in states.CLUSTER_TASKS:
        view = states.cluster_task_view(task)
        return view['name'].lower(), view['description']
    return ((task or '').lower() or None,
            _get(cluster, 'task_description'))


def cluster_payload(cluster, members=None, **extra):
    """Fields of ``trove.cluster.*`` events.

    ``cluster`` is a cluster row or a dict of its column names;
    ``members`` its member instances (rows or dicts), when known, give
    ``instance_count`` and ``regions``: every region the cluster spans.
    """
    datastore, version, version_id = _datastore(cluster)
    state, description = _cluster_state(cluster)
    payload = {
        'cluster_id': _get(cluster, 'id'),
        'cluster_name': _get(cluster, 'name'),
        'tenant_id': _get(cluster, 'tenant_id'),
        'user_id': None,
        'region': _region(cluster),
        'region_name': _region(cluster),
        'regions': None,
        'instance_count': None,
        'datastore': datastore,
        'datastore_version': version,
        'datastore_version_id': version_id,
        'state': state,
        'state_description': description,
        'created_at': isotime(_get(cluster, 'created')),
        'deleted_at': isotime(_get(cluster, 'deleted_at')),
    }
    if members is not None:
        members = list(members)
        payload['instance_count'] = len(members)
        payload['regions'] = sorted({_region(m) for m in members})
    payload.update(extra)
    return payload


def backup_payload(backup, **extra):
    """Fields of ``trove.backup.*`` events, from a backup row or a dict
    of its column names; ``size`` is in MB, as the guest records it."""
    state = _get(backup, 'state')
    payload = {
        'backup_id': _get(backup, 'id'),
        'backup_name': _get(backup, 'name'),
        'name': _get(backup, 'name'),
        'description': _get(backup, 'description'),
        'instance_id': _get(backup, 'instance_id'),
        'tenant_id': _get(backup, 'tenant_id'),
        'user_id': None,
        'region': _region(backup),
        'region_name': _region(backup),
        'datastore_version_id': _get(backup, 'datastore_version_id'),
        'parent_id': None,
        'size': _get(backup, 'size'),
        'state': state.lower() if state else None,
        'created_at': isotime(_get(backup, 'created')),
        'deleted_at': isotime(_get(backup, 'deleted_at')),
    }
    payload.update(extra)
    return payload
