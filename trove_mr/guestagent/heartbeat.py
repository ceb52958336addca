"""The guest's heartbeats to the conductor.

A daemon thread sends the guest's status every ``agent_heartbeat_interval``
seconds; the manager also sends one at once after each change (prepare
done or failed, restart, stop). Heartbeats are casts sealed under the
instance's own key, stamped with the send time; the conductor orders and
ages them by its own receive time and only logs a skewed send time.
"""

import threading
import time

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import rpc
from trove_mr.conductor import rpcapi as conductor_rpcapi

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def guest_conductor_api(instance_id=None, key=None):
    """A conductor client sealing messages under this instance's key."""
    instance_id = instance_id or CONF.guest.instance_id
    return conductor_rpcapi.ConductorAPI(
        key_id=rpc.instance_key_id(instance_id),
        key=key or CONF.instance_rpc_encr_key,
        exchange=conductor_rpcapi.guest_reports_exchange(),
        topic=conductor_rpcapi.guest_reports_topic())


class Heartbeat:
    """Sends ``payload_source()`` to the conductor now and periodically.

    :param payload_source: callable returning the heartbeat payload,
        ``{'service_status': ..., 'volume_used': ...}``.
    :param conductor: a ConductorAPI (sealed with the instance key).
    :param instance_id: the instance this guest serves.
    :param interval: seconds between two periodic heartbeats.
    """

    def __init__(self, payload_source, conductor, instance_id,
                 tenant_id=None, interval=None):
        self._payload_source = payload_source
        self._conductor = conductor
        self.instance_id = instance_id
        self.interval = interval or CONF.agent_heartbeat_interval
        self._context = trove_context.RequestContext(
            project_id=tenant_id, overwrite=False)
        self._stop = threading.Event()
        # Held while a payload is taken and sent, so that two heartbeats
        # leave in the order of their timestamps.
        self._send_lock = threading.Lock()
        self._thread = None

    def send(self, payload=None):
        """Send one heartbeat now; return the payload sent, or None.

        Never raises: a heartbeat that cannot be sent (bus down) is logged
        and the next one tries again.
        """
        with self._send_lock:
            try:
                payload = payload or self._payload_source()
                self._conductor.heartbeat(self._context, self.instance_id,
                                          payload, time.time())
            except Exception as exc:
                LOG.warning('Could not send a heartbeat for instance %s: '
                            '%s', self.instance_id, exc)
                return None
        LOG.debug('Heartbeat sent: %s', payload.get('service_status'))
        return payload

    def send_ready(self, target, payload=None):
        """Tell the conductor that prepare is over (``guest_ready``), for
        it to wake taskmanager process ``target``; return the payload
        sent, or None. Never raises: the heartbeats report it too.
        """
        with self._send_lock:
            try:
                payload = payload or self._payload_source()
                self._conductor.guest_ready(self._context, self.instance_id,
                                            payload, target, time.time())
            except Exception as exc:
                LOG.warning('Could not report the readiness of instance '
                            '%s: %s', self.instance_id, exc)
                return None
        LOG.debug('Readiness sent: %s', payload.get('service_status'))
        return payload

    def _run(self):
        while not self._stop.is_set():
            self.send()
            self._stop.wait(self.interval)

    def start(self):
        """Start the periodic heartbeats (first one at once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name='heartbeat', daemon=True)
        self._thread.start()

    def stop(self, timeout=5):
        """Stop the periodic heartbeats and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
