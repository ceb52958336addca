"""Tasks that talk to an instance's guest agent, or wait for its reports."""

import oslo_messaging as messaging
from oslo_log import log as logging
from taskflow import task

from trove_mr.common import cfg
from trove_mr.common import crypto
from trove_mr.common import readiness
from trove_mr.common import rpc
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import overrides
from trove_mr.guestagent import rpcapi as guest_rpcapi

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# Heartbeats are written to the DB by the conductor: polling it is a
# cheap indexed read, so the wait reacts quickly.
STATUS_POLL_INTERVAL = 0.3
# Seconds one ping of a guest that may not listen yet may take.
PING_TIMEOUT = 2


def guest_client(context, instance_id, key=None):
    """The guest agent API of an instance, sealed under its own key."""
    if key is None:
        key = db_api.instance_rpc_key_get(context, instance_id)
    return guest_rpcapi.GuestAgentAPI(context, instance_id, key=key)


def status_now(context, instance_id):
    """The guest's ``get_status`` answer now, or {} when it does not
    answer (logged)."""
    try:
        return guest_client(context, instance_id).get_status(
            timeout=PING_TIMEOUT * 2) or {}
    except Exception as exc:  # noqa: BLE001 - no answer, then
        LOG.info('Guest of instance %s did not answer: %s', instance_id,
                 exc)
        return {}


def _failure_of(context, instance_id):
    """(``': <why>'``, ``': <kind>'``) from the guest (1.3 get_status;
    the tenant-safe kind is the ``failure_summary`` field newer guests
    add to its answer), else ``'.'`` for either.

    The fault users see should name the cause (a checksum mismatch, a
    Redis that does not start), which only the guest knows; its full text
    goes to the admins' details.
    """
    try:
        answer = guest_client(context, instance_id).get_status(
            timeout=PING_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - the fault stays generic
        LOG.debug('No failure detail from the guest of %s: %s',
                  instance_id, exc)
        return '.', '.'
    failure = (answer or {}).get('failure')
    summary = (answer or {}).get('failure_summary')
    return (': %s' % failure if failure else '.',
            ': %s' % summary if summary else '.')


def guest_status_reached(context, instance_id, waiting_for, since=None,
                         wanted=states.SERVICE_RUNNING):
    """Whether the guest reported ``wanted`` (after ``since``, if given).

    A FAILED report raises StepFailed naming the guest's reason.
    """
    status = db_api.instance_status_get(context, instance_id)
    if since is not None and (status.heartbeat_at is None
                              or status.heartbeat_at < since):
        return False
    if status.status == states.SERVICE_FAILED:
        detail, summary = _failure_of(context, instance_id)
        failed = common.StepFailed(
            'The guest of instance %s reported FAILED while %s%s'
            % (instance_id, waiting_for, detail))
        failed.tenant_message = 'The guest reported a failure while %s%s' \
            % (waiting_for, summary)
        raise failed
    return status.status == wanted


def wait_for_status(context, instance_id, deadline, waiting_for,
                    since=None, wanted=states.SERVICE_RUNNING):
    """Wait until the guest reports ``wanted`` (after ``since``, if given).

    A FAILED report ends the wait with StepFailed.
    """
    return common.poll(
        lambda: guest_status_reached(context, instance_id, waiting_for,
                                     since, wanted),
        deadline, waiting_for, interval=STATUS_POLL_INTERVAL)


def guest_queues(instance_id):
    """The queues of a guest on the bus: those its RPC server declares,
    and the one ``GuestAgentAPI.prepare`` declares before it listens."""
    topic = guest_rpcapi.topic_for(instance_id)
    return [topic, '%s.guest-%s' % (topic, instance_id),
            '%s.%s' % (topic, topic)]


def delete_guest_queues(instance_id):
    """Remove a deleted instance's guest queues from the cell's bus.

    Nothing reads them any more; left behind, they would collect every
    message still sent to the instance. Best effort: a bus that cannot be
    reached is logged, the delete goes on.
    """
    rpc.delete_queues(guest_queues(instance_id))


class DeleteGuestQueues(task.Task):
    """Remove the instance's guest queues (its server is gone)."""

    def execute(self, instance_id):
        delete_guest_queues(instance_id)


class GenerateRpcKey(task.Task):
    """Make the instance's own RPC key and store it, encrypted.

    Run again after a taskmanager died, it keeps the key made before: a
    server may already have booted with it. The key never enters the
    flow's store; tasks read it from the database.
    """

    def execute(self, context, instance_id):
        if db_api.instance_rpc_key_get(context, instance_id):
            return
        db_api.instance_rpc_key_set(context, instance_id,
                                    crypto.generate_key())

    def revert(self, *args, **kwargs):
        """Nothing to undo: the key is useless without its server."""


class WaitGuestListening(task.Task):
    """Check once that the guest agent answers a ping on its topic.

    A cast to ``guestagent.<id>`` sent before the agent declared its
    queue would be dropped by the broker; a call to a missing queue fails
    at once, so pinging until it answers is both quick and safe.
    """

    def execute(self, context, instance_id, deadline_at, timeout):
        deadline = common.Deadline.until(deadline_at, timeout)
        # A short call: a guest not listening yet must not hold the flow
        # past its deadline.
        ping_timeout = max(1, min(PING_TIMEOUT, int(deadline.remaining())))
        try:
            guest_client(context, instance_id).ping(timeout=ping_timeout)
        except messaging.MessagingException as exc:
            LOG.debug('Guest of %s not listening yet: %s', instance_id, exc)
            common.not_ready(deadline, 'the guest agent to listen')

    def revert(self, *args, **kwargs):
        """Nothing to undo: pinging built nothing."""


class WaitGuestFirstHeartbeat(WaitGuestListening):
    """Check once that a new instance's guest agent listens.

    The agent sends its first heartbeat once its RPC server listens, so a
    heartbeat recorded for an instance that never had one says it
    listens: one indexed read, where a ping sent while the agent is still
    starting waits out its timeout. Without one yet, a short ping (a
    heartbeat the bus is slow to deliver).

    The guest's reports reach the flow through the database the conductor
    writes: a fanout cast from the conductor to wake the waits would be
    accepted by one taskmanager process only (the RPC envelope lets
    exactly one receiver accept a nonce).
    """

    def execute(self, context, instance_id, deadline_at, timeout):
        status = db_api.instance_status_get(context, instance_id)
        if status is not None and status.heartbeat_at is not None:
            return
        deadline = common.Deadline.until(deadline_at, timeout)
        try:
            guest_client(context, instance_id).ping(timeout=0.5)
        except messaging.MessagingException as exc:
            LOG.debug('Guest of %s not listening yet: %s', instance_id, exc)
            common.not_ready(deadline, 'the guest agent to listen')


class PrepareGuest(task.Task):
    """Cast ``prepare`` to ``guestagent.<id>``: password, backup to
    restore, cluster role (``guest_config``)."""

    def execute(self, context, instance_id, password, guest_config):
        config = {'password': password,
                  'backup_info': guest_config.get('backup_info'),
                  'cluster': guest_config.get('cluster')}
        # Where the guest's "ready" is to wake this flow (through the
        # conductor); none when this process listens for no push.
        if readiness.address():
            config['ready_to'] = readiness.address()
        wanted = overrides.for_instance(
            context, db_api.instance_get(context, instance_id))
        if wanted['values']:
            config['overrides'] = wanted
        guest_client(context, instance_id).prepare(config)

    def revert(self, *args, **kwargs):
        """Nothing to undo: deleting the server stops the guest."""


class WaitGuestRunning(task.Task):
    """Check once for the guest's first RUNNING heartbeat.

    The guest's readiness push (common/readiness.py) wakes the retry's
    sleep; without one the database is read again after the interval.
    """

    def execute(self, context, instance_id, deadline_at, timeout):
        waiting_for = 'the first RUNNING heartbeat of the guest'
        # Expected before the read: a push that arrives between the read
        # and the retry's sleep ends that sleep at once.
        readiness.WAITERS.expect(instance_id)
        try:
            reached = guest_status_reached(context, instance_id,
                                           waiting_for)
        except Exception:
            readiness.WAITERS.forget(instance_id)
            raise
        if reached:
            readiness.WAITERS.forget(instance_id)
            return
        try:
            common.not_ready(common.Deadline.until(deadline_at, timeout),
                             waiting_for, wake_key=instance_id)
        except common.BuildTimeout:
            readiness.WAITERS.forget(instance_id)
            raise

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting built nothing."""
