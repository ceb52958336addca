"""Fail an instance's volume over to its replication target (admin).

The instance keeps its id, server, address and region; only the volume
under its server changes backend::

    MarkErrorOnRevert -> BeginFailover -> StopRedisCleanly
    -> FailoverVolume -> RebootOntoVolume -> wait server ACTIVE
    -> wait guest listening -> StartRedis -> wait RUNNING heartbeat
    -> CheckData -> MarkFailedOver

#. the guest stops Redis, saving its data, if it answers; a guest that
   does not (its volume is lost) is not waited for past
   ``[volume_replication] stop_timeout``;
#. Cinder fails the volume over (``os-failover_replication``): with a
   readable primary it copies once more first, so a planned failover
   loses nothing; from a lost primary, the writes after the last copy
   are lost (replication is asynchronous);
#. the server boots again (a hard reboot: the same server and address)
   onto the promoted volume, and its guest starts Redis from it;
#. the data is checked: Cinder shows the volume failed over and Redis
   answers with the promoted volume's keys (its dataset size is logged
   against the one before when the guest answered then);
#. the instance's task goes back to NONE (ACTIVE).

Tenants see REBOOT meanwhile, and the ``trove.instance.storage_switch``
notifications: nothing names replication. A failover that cannot complete
reverts to a server booted on whichever volume Cinder now serves (the
primary if the failover did not happen, the promoted replica if it did:
never none), with Redis started on it when possible, and the instance
goes to ERROR with a short fault; the details are for admins.
:func:`member_subflow` is the same work for one cluster member, its
atoms named with a prefix; a cluster's members fail over one after
another.
"""

import time

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import notifications
from trove_mr.common import states
from trove_mr.common import volume_replication as replication
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import database
from trove_mr.flows import engine
from trove_mr.flows import guest
from trove_mr.flows import reboot

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

OPERATION = notifications.INSTANCE_STORAGE_SWITCH
# Store values of one instance's failover, read under ``<prefix><name>``.
PER_INSTANCE = ('instance_id', 'failover', 'stopped_at',
                'keys_before', 'rebooted_at')
# Seconds a revert waits for the guest of the rebooted server.
REVERT_TIMEOUT = 300


def _bound(task_class, prefix, **kwargs):
    return common.bound(task_class, prefix, PER_INSTANCE, **kwargs)


def _cinder(context, failover):
    return replication.cinder(context, failover['region_name'])


def _dataset(status):
    """Keys of a guest's get_status answer when it tells them."""
    return (status or {}).get('keys')


class BeginFailover(task.Task):
    """The instance's task is FAILING_OVER (the API moved a standalone
    instance there already; a cluster member is moved here)."""

    def execute(self, context, instance_id):
        instance = db_api.instance_get(context, instance_id)
        if instance.task_status == states.TASK_FAILING_OVER:
            return
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.next_task(instance.task_status,
                                             'failover')},
            expected_task_status=instance.task_status)

    def revert(self, *args, **kwargs):
        """Nothing to undo: MarkErrorOnRevert sets the final state."""


class StopRedisCleanly(task.Task):
    """The guest stops Redis, saving its data, if it answers in time."""

    default_provides = ('stopped_at', 'keys_before')

    def execute(self, context, instance_id, failover):
        state = replication.volume_state(_cinder(context, failover),
                                         failover['volume_id'])
        if state['status'] == replication.STATUS_FAILED_OVER:
            return None, None  # resumed after the volume was switched
        client = guest.guest_client(context, instance_id)
        keys = None
        try:
            keys = _dataset(client.get_status(
                timeout=CONF.volume_replication.stop_timeout))
            client.stop(timeout=CONF.volume_replication.stop_timeout)
        except Exception as exc:  # noqa: BLE001 - a lost volume's guest
            LOG.warning('The guest of %s did not stop Redis (%s): failing '
                        'over without a clean stop; writes after the last '
                        'copy (%s) are lost.', instance_id,
                        type(exc).__name__, state['last_sync_at'])
            return None, keys
        LOG.info('Redis of %s stopped cleanly before the failover',
                 instance_id)
        return time.time(), keys

    def revert(self, *args, **kwargs):
        """Redis is started again by FailoverVolume's revert."""


def restore_service(context, instance_id, failover):
    """Boot the server on whatever volume Cinder serves now and start
    Redis on it; best effort (the instance goes to ERROR anyway)."""
    try:
        nova = clients.create_nova_client(context, failover['region_name'])
        nova.servers.reboot(failover['server_id'], reboot_type='HARD')
        deadline = common.Deadline(REVERT_TIMEOUT)
        client = guest.guest_client(context, instance_id)

        def listening():
            try:
                return client.ping(timeout=guest.PING_TIMEOUT)
            except Exception:  # noqa: BLE001 - not yet
                return False
        time.sleep(1)
        common.poll(listening, deadline, 'the guest agent to listen')
        client.restart()
    except Exception as exc:  # noqa: BLE001 - the first task decides
        LOG.error('Could not bring Redis of instance %s back after a '
                  'failed failover: %s', instance_id, exc)


class FailoverVolume(task.Task):
    """Cinder promotes the replica (once: a resumed flow skips it)."""

    def execute(self, context, instance_id, failover):
        cinder = _cinder(context, failover)
        volume_id = failover['volume_id']
        state = replication.volume_state(cinder, volume_id)
        if state['status'] != replication.STATUS_FAILED_OVER:
            info = {}
            if failover.get('secondary'):
                info['secondary'] = failover['secondary']
            replication.act(cinder, volume_id, replication.FAILOVER, info)
            state = replication.volume_state(cinder, volume_id)
        if state['status'] != replication.STATUS_FAILED_OVER:
            raise common.StepFailed(
                'Cinder did not fail volume %s over (replication status '
                '%s).' % (volume_id, state['status']))
        db_api.instance_update(context, instance_id, {
            'volume_replication_status': replication.STATUS_FAILED_OVER})
        LOG.info('Volume %s of instance %s failed over to %s (last copy '
                 '%s)', volume_id, instance_id, state['backend'],
                 state['last_sync_at'])

    def revert(self, context, instance_id, failover, **kwargs):
        # Whether or not Cinder switched the volume, the server boots on
        # the volume it serves now: the one that has the data. A cluster
        # member whose own failover was done (task NONE) is left alone
        # when a later member's fails.
        try:
            task_status = db_api.instance_get(context,
                                              instance_id).task_status
        except Exception:  # noqa: BLE001 - restore all the same
            task_status = states.TASK_FAILING_OVER
        if task_status == states.TASK_FAILING_OVER:
            restore_service(context, instance_id, failover)


class RebootOntoVolume(task.Task):
    """A hard reboot: the guest comes up on the promoted volume."""

    default_provides = 'rebooted_at'

    def execute(self, context, failover):
        nova = clients.create_nova_client(context, failover['region_name'])
        nova.servers.reboot(failover['server_id'], reboot_type='HARD')
        return time.time()

    def revert(self, *args, **kwargs):
        """Nothing to undo: FailoverVolume's revert boots it again."""


class WaitRebootedServer(task.Task):
    """Check once that the server is ACTIVE again."""

    def execute(self, context, failover, deadline_at, timeout):
        nova = clients.create_nova_client(context, failover['region_name'])
        server = nova.servers.get(failover['server_id'])
        if server.status == 'ERROR':
            raise common.StepFailed(
                'Server %s failed to boot on the promoted volume.'
                % server.id)
        if server.status != 'ACTIVE':
            common.not_ready(common.Deadline.until(deadline_at, timeout),
                             'server %s to be ACTIVE' % server.id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: waiting changed nothing."""


class StartRedis(task.Task):
    """Redis runs from the promoted volume (the guest starts it by
    itself when it was not stopped cleanly)."""

    def execute(self, context, instance_id):
        client = guest.guest_client(context, instance_id)
        status = client.get_status()
        if (status or {}).get('status') == 'running':
            return
        answer = client.restart()
        if (answer or {}).get('status') != 'running':
            raise common.StepFailed(
                'Redis of instance %s did not start on the promoted '
                'volume: %s' % (instance_id, (answer or {}).get('status')))

    def revert(self, *args, **kwargs):
        """Nothing to undo: a running Redis is what a revert wants."""


class CheckData(task.Task):
    """Cinder serves the promoted volume and Redis answers from it.

    When Cinder copied the volume after Redis stopped cleanly (a planned
    failover), every key must be there; otherwise the keys written after
    the last copy are lost, as asynchronous replication allows: logged
    with how many, for admins.
    """

    def execute(self, context, instance_id, failover, stopped_at,
                keys_before):
        state = replication.volume_state(_cinder(context, failover),
                                         failover['volume_id'])
        if state['status'] != replication.STATUS_FAILED_OVER:
            raise common.StepFailed(
                'Volume %s is %s after the failover.'
                % (failover['volume_id'], state['status']))
        status = guest.guest_client(context, instance_id).get_status()
        if (status or {}).get('status') != 'running':
            raise common.StepFailed(
                'Redis of instance %s does not run on the promoted volume.'
                % instance_id)
        keys_after = _dataset(status)
        last_copy = replication.parse_time(state['last_sync_at'])
        complete = stopped_at is not None and last_copy is not None and \
            last_copy.timestamp() >= stopped_at
        if keys_before is not None and keys_after is not None and \
                keys_after < keys_before:
            if complete:
                raise common.StepFailed(
                    'Instance %s had %s keys before a clean failover and '
                    '%s after it.' % (instance_id, keys_before, keys_after))
            LOG.warning('Instance %s lost %s keys written after the last '
                        'copy of its volume (%s).', instance_id,
                        keys_before - keys_after, state['last_sync_at'])
        LOG.info('Instance %s runs on volume %s at %s: %s keys (%s before; '
                 'copied after a clean stop: %s; last copy %s)',
                 instance_id, failover['volume_id'], state['backend'],
                 keys_after, keys_before, complete, state['last_sync_at'])

    def revert(self, *args, **kwargs):
        """Nothing to undo: checking changed nothing."""


class MarkFailedOver(task.Task):
    """Last task: FAILING_OVER -> NONE, the fault cleared."""

    def execute(self, context, instance_id):
        instance = db_api.instance_get(context, instance_id)
        if instance.task_status != states.TASK_FAILING_OVER:
            return
        db_api.instance_update(
            context, instance_id,
            {'task_status': states.next_task(states.TASK_FAILING_OVER,
                                             'done'),
             'fault_message': None, 'fault_details': None},
            expected_task_status=states.TASK_FAILING_OVER)

    def revert(self, *args, **kwargs):
        """Nothing to undo: MarkErrorOnRevert sets the final state."""


def member_subflow(prefix=''):
    """The linear flow of one instance's failover, atoms named
    ``prefix*``; reads ``<prefix>instance_id`` and ``<prefix>failover``,
    and the shared ``deadline_at`` and ``timeout``."""
    def wait(task_class, interval=None):
        return common.wait(_bound(task_class, prefix), interval=interval)

    flow = linear_flow.Flow(prefix + 'volume-failover')
    flow.add(_bound(database.MarkErrorOnRevert, prefix,
                    expected=states.TASK_FAILING_OVER),
             _bound(BeginFailover, prefix),
             _bound(StopRedisCleanly, prefix),
             _bound(FailoverVolume, prefix),
             _bound(RebootOntoVolume, prefix),
             wait(WaitRebootedServer),
             wait(guest.WaitGuestListening, guest.STATUS_POLL_INTERVAL),
             _bound(StartRedis, prefix),
             wait(reboot.WaitGuestRunningAgain, guest.STATUS_POLL_INTERVAL),
             _bound(CheckData, prefix),
             _bound(MarkFailedOver, prefix))
    return flow


def get_flow():
    """A standalone instance's failover."""
    return member_subflow()


def get_cluster_flow(count):
    """The failovers of ``count`` cluster members, one after another."""
    flow = linear_flow.Flow('cluster-volume-failover')
    for index in range(count):
        flow.add(member_subflow('m%d-' % index))
    return flow


def failover_timeout(members=1):
    """Seconds the failover of ``members`` instances may take in all."""
    return CONF.volume_replication.failover_timeout * max(1, members)


def check_payload(failover):
    """Refuse a payload without what the flow reads (a bad RPC)."""
    missing = [key for key in ('region_name', 'volume_id', 'server_id')
               if not (failover or {}).get(key)]
    if missing:
        raise ValueError('A failover needs %s.' % ', '.join(missing))


def submit(context, instance_id, failover):
    """Post the failover of ``instance_id`` (task FAILING_OVER).

    :param failover: ``{'region_name', 'volume_id', 'server_id',
        'secondary'}``: where the instance runs and the target backend
        (None: the volume's only one).
    """
    check_payload(failover)
    timeout = failover_timeout()
    store = {'instance_id': instance_id, 'failover': dict(failover),
             'deadline_at': common.deadline_at(timeout), 'timeout': timeout}
    return engine.submit(context, OPERATION, get_flow, store,
                         resource_type='instance', resource_id=instance_id)


def submit_cluster(context, cluster_id, failovers):
    """Post the failover of a cluster's members, one at a time.

    :param failovers: ``[(instance_id, failover payload)]`` in order.
    """
    for _instance_id, failover in failovers:
        check_payload(failover)
    timeout = failover_timeout(len(failovers))
    store = {'deadline_at': common.deadline_at(timeout), 'timeout': timeout}
    for index, (instance_id, failover) in enumerate(failovers):
        store['m%d-instance_id' % index] = instance_id
        store['m%d-failover' % index] = dict(failover)
    return engine.submit(context, OPERATION, get_cluster_flow, store,
                         factory_kwargs={'count': len(failovers)},
                         resource_type='cluster', resource_id=cluster_id)
