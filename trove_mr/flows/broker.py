"""Each guest's own RabbitMQ user, and what an instance leaves on the bus.

With ``[guest_broker] credentials`` set to ``rabbitmqctl`` or
``management``, the taskmanager gives every guest a user of its own,
``trove-mr-guest-<instance id>``, in the cell's virtual host, before its
server boots. Its rights cover only what the guest's RPC server declares
and consumes (the queues and exchanges named ``guestagent.<id>``,
``guestagent.<id>.<x>`` and ``guestagent.<id>_<x>``), publishing its
reports to the conductor's guest exchange, and answering calls through
the default exchange. It cannot read any other queue, bind to the control
exchange, or declare anything else. The password is derived from the
instance's own RPC key (which the guest already holds), so a flow run
again after a crash renders the same one without storing it.

When the instance is deleted, the user goes, and so do the guest's queues
(fanout ones included) and exchanges, whatever the mode.
"""

import hashlib
import hmac
import threading

import kombu
import oslo_messaging as messaging
from oslo_log import log as logging
from taskflow import task

from trove_mr.common import broker_admin
from trove_mr.common import cfg
from trove_mr.conductor import rpcapi as conductor_rpcapi
from trove_mr.db.main import api as db_api
from trove_mr.guestagent import rpcapi as guest_rpcapi

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

USER_PREFIX = 'trove-mr-guest-'
_PASSWORD_LABEL = b'trove-mr guest broker password v1'


def user_name(instance_id):
    """The RabbitMQ user of ``instance_id``'s guest."""
    return USER_PREFIX + instance_id


def guest_password(rpc_key):
    """The guest's broker password, derived from its instance RPC key."""
    # Hex: a password must never start with '-', which rabbitmqctl would
    # read as an option.
    return hmac.new(rpc_key.encode('utf-8'), _PASSWORD_LABEL,
                    hashlib.sha256).hexdigest()


def _cell_url(transport_url=None):
    return messaging.TransportURL.parse(
        CONF, transport_url or CONF.transport_url)


def guest_permissions(instance_id):
    """(configure, write, read) regexes of the guest's user."""
    return broker_admin.permissions_for(
        [guest_rpcapi.topic_for(instance_id),
         guest_rpcapi.exchange_for(instance_id)],
        [conductor_rpcapi.guest_reports_exchange()])


def grant_guest_access(instance_id, rpc_key, transport_url=None):
    """Create (or reset) the guest's user; return the URL it connects with.

    Returns None when guests share the cell's credentials
    (``credentials = shared``): the caller then gives the cell's URL.
    Safe to run again.
    """
    admin = broker_admin.get_admin()
    if admin is None:
        return None
    url = _cell_url(transport_url)
    vhost = url.virtual_host or '/'
    name = user_name(instance_id)
    password = guest_password(rpc_key)
    permissions = guest_permissions(instance_id)
    # One administration round trip where the administrator has one (a
    # rabbitmqctl call starts an Erlang node: seconds on a busy host),
    # shared by the grants of builds running side by side.
    if hasattr(admin, 'put_users_with_permissions'):
        _GRANTS.grant(admin, (vhost, name, password) + tuple(permissions))
    else:
        admin.put_user(name, password)
        admin.set_permissions(vhost, name, *permissions)
    LOG.info('Broker user %s may use only the queues of instance %s',
             name, instance_id)
    return guest_transport_url(instance_id, rpc_key, transport_url)


class GrantBatcher:
    """Grants of many guests in one administration call (group commit).

    A grant that finds no call running starts one with every grant
    waiting at that moment; grants that arrive meanwhile wait and go
    together in the next. Twelve members of a cluster cost two
    ``rabbitmqctl`` runs, not twelve Erlang nodes at once.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._queue = []
        self._busy = False

    def grant(self, admin, entry):
        """``admin.put_users_with_permissions`` of ``entry`` and whatever
        else waits; raises what the call that carried it raised."""
        pending = {'entry': entry, 'done': False, 'error': None}
        with self._cond:
            self._queue.append(pending)
            while not pending['done'] and self._busy:
                self._cond.wait()
            if pending['done']:
                return self._result(pending)
            # Every administrator of this process is configured alike.
            batch, self._queue = self._queue, []
            self._busy = True
        error = None
        try:
            admin.put_users_with_permissions([p['entry'] for p in batch])
        except Exception as exc:  # noqa: BLE001 - each grant raises it
            error = exc
        with self._cond:
            for item in batch:
                item['error'] = error
                item['done'] = True
            self._busy = False
            self._cond.notify_all()
        return self._result(pending)

    @staticmethod
    def _result(pending):
        if pending['error'] is not None:
            raise pending['error']


_GRANTS = GrantBatcher()


def guest_transport_url(instance_id, rpc_key, transport_url=None):
    """The URL the guest connects with (its own user), or None when
    guests share the cell's credentials; changes nothing on the bus."""
    if broker_admin.get_admin() is None:
        return None
    url = _cell_url(transport_url)
    name = user_name(instance_id)
    password = guest_password(rpc_key)
    hosts = [messaging.TransportHost(hostname=h.hostname, port=h.port,
                                     username=name, password=password)
             for h in url.hosts]
    return str(messaging.TransportURL(
        CONF, transport=url.transport, virtual_host=url.virtual_host,
        hosts=hosts, query=url.query))


class GrantGuestBrokerAccess(task.Task):
    """Create (or reset) the guest's broker user before its server boots.

    A step of its own, so that a build runs it beside the volume and the
    ports (the broker's administration is slow); the server's user data
    then only renders the URL (:func:`guest_transport_url`).
    """

    def execute(self, context, instance_id):
        rpc_key = db_api.instance_rpc_key_get(context, instance_id)
        grant_guest_access(instance_id, rpc_key)

    def revert(self, *args, **kwargs):
        """Nothing to undo here: the instance's delete removes the user."""


def _owned(names, instance_id):
    prefix = guest_rpcapi.topic_for(instance_id)
    return [name for name in names
            if name == prefix or name.startswith(prefix + '.')
            or name.startswith(prefix + '_')]


def guest_queues(instance_id, admin=None, vhost='/'):
    """The guest's queues: the fixed ones, and any fanout queue the
    administrator lists."""
    topic = guest_rpcapi.topic_for(instance_id)
    names = {topic, '%s.guest-%s' % (topic, instance_id),
             '%s.%s' % (topic, topic)}
    if admin is not None:
        names.update(_owned(admin.list_queues(vhost), instance_id))
    return sorted(names)


def guest_exchanges(instance_id):
    exchange = guest_rpcapi.exchange_for(instance_id)
    return [exchange, '%s_fanout' % guest_rpcapi.topic_for(instance_id)]


def _delete_on_bus(url, queues, exchanges):
    host = url.hosts[0]
    with kombu.Connection(hostname=host.hostname, port=host.port,
                          userid=host.username, password=host.password,
                          virtual_host=url.virtual_host or '/',
                          connect_timeout=5) as conn:
        channel = conn.channel()
        for queue in queues:
            channel.queue_delete(queue)
        for exchange in exchanges:
            channel.exchange_delete(exchange)


def remove_guest_access(instance_id, transport_url=None):
    """Delete the guest's queues, exchanges and user. Best effort, safe to
    run again: what cannot be removed now is logged."""
    url = _cell_url(transport_url)
    if not url.hosts:
        return
    admin = None
    try:
        admin = broker_admin.get_admin()
        queues = guest_queues(instance_id, admin, url.virtual_host or '/')
    except broker_admin.BrokerAdminError as exc:
        LOG.warning('Could not list the queues of instance %s: %s',
                    instance_id, exc)
        queues = guest_queues(instance_id)
    try:
        _delete_on_bus(url, queues, guest_exchanges(instance_id))
    except Exception as exc:  # noqa: BLE001 - best effort
        LOG.warning('Could not remove the queues of instance %s: %s',
                    instance_id, exc)
    if admin is None:
        return
    try:
        admin.delete_user(user_name(instance_id))
        LOG.info('Removed broker user %s', user_name(instance_id))
    except broker_admin.BrokerAdminError as exc:
        LOG.warning('Could not remove the broker user of instance %s: %s',
                    instance_id, exc)


class RemoveGuestBrokerAccess(task.Task):
    """Remove the guest's broker user, queues and exchanges (its server
    is gone)."""

    def execute(self, instance_id):
        remove_guest_access(instance_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: nobody uses them any more."""
