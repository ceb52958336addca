"""Operation notifications from a flow's own transitions.

Attach an :class:`OperationNotifier` to the engine that runs an
operation's flow::

    engine = taskflow.engines.load(flow, store=store)
    with notify.OperationNotifier(
            engine, notifications.INSTANCE_CREATE,
            context_factory=lambda: context,
            payload_factory=lambda: notifications.instance_payload(
                db_api.instance_get(context, instance_id))):
        engine.run()

The flow entering RUNNING sends ``<operation>.start``; SUCCESS sends
``<operation>.end``; FAILURE or REVERTED send ``<operation>.error``, with
the failure's message as ``fault``. Tasks are not listened to, so any
engine (serial, parallel, or loaded from a jobboard's flow details) works.

Each event is sent once per operation, even when its flow is resumed
after a crash: the events sent are recorded in the flow detail's metadata,
which a persistence backend keeps with the job, and ``resumed=True`` skips
the start event for engines whose flow detail is not persisted.
"""

from oslo_log import log as logging
from taskflow import states
from taskflow.listeners import base

from trove_mr.common import notifications

LOG = logging.getLogger(__name__)

# Key of the flow detail's metadata listing the events already sent.
META_KEY = 'trove_mr_notified'

_EVENTS = {
    states.RUNNING: notifications.START,
    states.SUCCESS: notifications.END,
    states.FAILURE: notifications.ERROR,
    states.REVERTED: notifications.ERROR,
}


class OperationNotifier(base.Listener):
    """Sends ``<operation>.start|end|error`` as the flow runs and ends.

    :param engine: the engine running the operation's flow.
    :param operation: e.g. ``'trove.instance.create'``.
    :param context_factory: ``() -> context`` the notifications are sent
        with (its targeted cell picks the bus).
    :param payload_factory: ``() -> dict``, called at each event so the
        payload shows the state of that moment. If it raises (the
        resource is gone at the end of a delete, say), the last payload
        it gave is sent again.
    :param resumed: the flow was started before (by a taskmanager that
        died): do not send the start event again.
    :param service: the service named in the publisher id.
    """

    def __init__(self, engine, operation, context_factory, payload_factory,
                 resumed=False, service='taskmanager'):
        super().__init__(engine, task_listen_for=(), retry_listen_for=(),
                         flow_listen_for=tuple(_EVENTS))
        self.operation = operation
        self._context_factory = context_factory
        self._payload_factory = payload_factory
        self._service = service
        self._sent = {notifications.START} if resumed else set()
        self._last_payload = None

    def _flow_receiver(self, state, details):
        event = _EVENTS.get(state)
        if event is None or not self._claim(event):
            return
        payload = self._payload()
        priority = 'info'
        if event == notifications.ERROR:
            priority = 'error'
            payload['fault'] = self._fault()
        notifications.notify(self._context(),
                             '%s.%s' % (self.operation, event), payload,
                             priority=priority, service=self._service)

    def _claim(self, event):
        """Whether ``event`` is still to be sent; records it as sent.

        Recorded before sending: a crash in between loses the event
        rather than sending it twice.
        """
        if event in self._sent:
            return False
        storage = self._engine.storage
        sent = list(storage.flow_meta.get(META_KEY) or [])
        if event in sent:
            self._sent.add(event)
            return False
        self._sent.add(event)
        try:
            storage.update_flow_metadata({META_KEY: sent + [event]})
        except Exception:  # noqa: BLE001 - the engine's storage owns this
            LOG.warning('Could not record notification %s.%s in flow %s',
                        self.operation, event, storage.flow_name,
                        exc_info=True)
        return True

    def _context(self):
        try:
            return self._context_factory()
        except Exception:  # noqa: BLE001 - sent without a context
            LOG.exception('No context for notifications of %s',
                          self.operation)
            return None

    def _payload(self):
        try:
            self._last_payload = dict(self._payload_factory())
        except Exception:  # noqa: BLE001 - see the class docstring
            LOG.warning('No current payload for %s; sending the last one',
                        self.operation, exc_info=True)
        return dict(self._last_payload or {})

    def _fault(self):
        """The message of what failed (every distinct one, in order)."""
        storage = self._engine.storage
        failures = list(storage.get_execute_failures().values())
        failures += list(storage.get_revert_failures().values())
        messages = []
        for failure in failures:
            message = failure.exception_str or failure.pformat()
            if message not in messages:
                messages.append(message)
        return '; '.join(messages) or 'The operation failed.'
