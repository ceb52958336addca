"""Tasks that talk to an instance's guest agent, or wait for its reports."""

import oslo_messaging as messaging
from oslo_log import log as logging
from taskflow import task

from trove_mr.common import cfg
from trove_mr.common import crypto
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
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


def _failure_of(context, instance_id):
    """``': <why>'`` from the guest (1.3 get_status), else ``'.'``.

    The fault users see should name the cause (a checksum mismatch, a
    Redis that does not start), which only the guest knows.
    """
    try:
        answer = guest_client(context, instance_id).get_status(
            timeout=PING_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - the fault stays generic
        LOG.debug('No failure detail from the guest of %s: %s',
                  instance_id, exc)
        return '.'
    failure = (answer or {}).get('failure')
    return ': %s' % failure if failure else '.'


def wait_for_status(context, instance_id, deadline, waiting_for,
                    since=None, wanted=states.SERVICE_RUNNING):
    """Wait until the guest reports ``wanted`` (after ``since``, if given).

    A FAILED report ends the wait with StepFailed.
    """
    def reported():
        status = db_api.instance_status_get(context, instance_id)
        if since is not None and (status.heartbeat_at is None
                                  or status.heartbeat_at < since):
            return False
        if status.status == states.SERVICE_FAILED:
            raise common.StepFailed(
                'The guest of instance %s reported FAILED while %s%s'
                % (instance_id, waiting_for,
                   _failure_of(context, instance_id)))
        return status.status == wanted
    return common.poll(reported, deadline, waiting_for,
                       interval=STATUS_POLL_INTERVAL)


class GenerateRpcKey(task.Task):
    """Make the instance's own RPC key and store it, encrypted."""

    default_provides = 'rpc_key'

    def execute(self, context, instance_id):
        key = crypto.generate_key()
        db_api.instance_rpc_key_set(context, instance_id, key)
        return key

    def revert(self, *args, **kwargs):
        """Nothing to undo: the key is useless without its server."""


class WaitGuestListening(task.Task):
    """Wait until the guest agent answers a ping on its topic.

    A cast to ``guestagent.<id>`` sent before the agent declared its
    queue would be dropped by the broker; a call to a missing queue fails
    at once, so pinging until it answers is both quick and safe.
    """

    def execute(self, context, instance_id, rpc_key, deadline):
        client = guest_client(context, instance_id, rpc_key)

        def answers():
            # Short calls: a guest not listening yet must not hold the
            # flow past its deadline.
            timeout = max(1, min(PING_TIMEOUT, int(deadline.remaining())))
            try:
                return client.ping(timeout=timeout)
            except messaging.MessagingException as exc:
                LOG.debug('Guest of %s not listening yet: %s',
                          instance_id, exc)
                return None
        common.poll(answers, deadline, 'the guest agent to listen',
                    interval=STATUS_POLL_INTERVAL)

    def revert(self, *args, **kwargs):
        """Nothing to undo: pinging built nothing."""


class PrepareGuest(task.Task):
    """Cast ``prepare`` to ``guestagent.<id>`` with the Redis password."""

    def execute(self, context, instance_id, rpc_key, password,
                backup_info):
        config = {'password': password, 'backup_info': backup_info,
                  'cluster': None}
        guest_client(context, instance_id, rpc_key).prepare(config)

    def revert(self, *args, **kwargs):
        """Nothing to undo: deleting the server stops the guest."""


class WaitGuestRunning(task.Task):
    """Wait for the guest's first RUNNING heartbeat."""

    def execute(self, context, instance_id, deadline):
        wait_for_status(context, instance_id, deadline,
                        'the first RUNNING heartbeat of the guest')

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting built nothing."""
