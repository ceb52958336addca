"""Build an instance: volume, server, guest, RUNNING, ACTIVE.

One parameterised subflow (:func:`instance_subflow`, as Octavia's
``get_amphora_for_lb_subflow``) builds a standalone instance, a replica
and a cluster member alike: what differs is data in the store (the
guest's cluster role, the master a replica follows, the backup to
restore). Its atoms are named with a prefix and read their per-instance
values under prefixed names, so many members are one unordered flow of
member subflows in one job.

Every task reverts what it built; the first task turns any revert into
task ERROR with the failure as fault message. Every wait is a check
retried by the engine until one deadline, ``usage_timeout``
(``restore_usage_timeout`` when restoring a backup) counted from the
instance's creation. Every task can run again after a taskmanager died:
it finds what an earlier run built (volume, server, key) and goes on.
"""

from oslo_log import log as logging
from taskflow.patterns import linear_flow
from taskflow.patterns import unordered_flow

from trove_mr.common import cfg
from trove_mr.db import rows
from trove_mr.flows import broker
from trove_mr.flows import common
from trove_mr.flows import compute
from trove_mr.flows import database
from trove_mr.flows import engine
from trove_mr.flows import guest
from trove_mr.flows import network
from trove_mr.flows import replica
from trove_mr.flows import volume
from trove_mr.flows import volume_replication

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

OPERATION = 'trove.instance.create'

# Store values of one instance's build, read under ``<prefix><name>``.
PER_INSTANCE = ('instance_id', 'requested_placement', 'placement',
                'volume_id', 'server_id', 'addresses', 'deadline_at',
                'timeout', 'guest_config', 'ports')


def _bound(task_class, prefix, **kwargs):
    return common.bound(task_class, prefix, PER_INSTANCE, **kwargs)


def _before_server(prefix, wait):
    """What the server needs, side by side where the engine runs
    branches: the volume, the guest's broker user, the ports."""
    volume_flow = linear_flow.Flow(prefix + 'volume')
    volume_flow.add(_bound(volume.CreateVolume, prefix),
                    wait(volume.WaitVolumeAvailable),
                    _bound(volume_replication.EnableVolumeReplication,
                           prefix))
    flow = unordered_flow.Flow(prefix + 'before-server')
    flow.add(volume_flow, _bound(broker.GrantGuestBrokerAccess, prefix),
             _bound(network.CreatePorts, prefix))
    return flow


def instance_subflow(prefix=''):
    """The linear flow of one instance's build, atoms named ``prefix*``.
    """
    def wait(task_class, interval=None):
        check = _bound(task_class, prefix)
        return common.wait(check, interval=interval)

    flow = linear_flow.Flow(prefix + 'create-instance')
    flow.add(_bound(database.MarkErrorOnRevert, prefix),
             _bound(database.CheckPlacement, prefix),
             _bound(guest.GenerateRpcKey, prefix),
             _before_server(prefix, wait),
             _bound(compute.CreateServer, prefix),
             wait(compute.WaitServerActive),
             _bound(network.HideManagementAddresses, prefix),
             wait(guest.WaitGuestFirstHeartbeat, guest.STATUS_POLL_INTERVAL),
             _bound(guest.PrepareGuest, prefix),
             wait(guest.WaitGuestRunning, guest.STATUS_POLL_INTERVAL),
             _bound(database.MarkBuilt, prefix))
    return flow


def get_flow():
    """A standalone instance or a replica (which then follows its
    master)."""
    flow = linear_flow.Flow('create-instance-and-follow')
    flow.add(instance_subflow(), replica.FollowMaster())
    return flow


def build_timeout(backup_info=None):
    return (CONF.restore_usage_timeout if backup_info
            else CONF.usage_timeout)


def instance_store(instance, placement, backup_info=None, cluster=None,
                   prefix=''):
    """The plain store values of one instance's build."""
    timeout = build_timeout(backup_info)
    values = {'instance_id': instance.id,
              'requested_placement': dict(placement),
              'deadline_at': common.deadline_at(
                  timeout, rows.epoch(instance.created)),
              'timeout': timeout,
              'guest_config': {'backup_info': backup_info,
                               'cluster': cluster}}
    return {prefix + key: value for key, value in values.items()}


def submit(context, instance, placement, password, backup_info=None):
    """Post the build of ``instance`` (a BUILDING row) as a job."""
    # The parallel engine: the volume, the broker user and the ports of
    # the build run side by side (the broker's administration takes
    # seconds on a busy host).
    return engine.submit(
        context, OPERATION, get_flow,
        instance_store(instance, placement, backup_info),
        secrets={'password': password}, resource_type='instance',
        resource_id=instance.id, lease_ids=[instance.id], parallel=True)


def run(context, instance, placement, password, backup_info=None):
    """Build ``instance`` here, in memory; never raises.

    Returns True when the instance is ACTIVE, False when it ended in
    ERROR (with its fault message) or was taken away meanwhile.
    """
    try:
        engine.run_here(context, get_flow,
                        instance_store(instance, placement, backup_info),
                        secrets={'password': password})
    except Exception:  # noqa: BLE001 - reverted and recorded as ERROR
        LOG.exception('Build of instance %s failed and was reverted',
                      instance.id)
        return False
    LOG.info('Instance %s is ACTIVE in %s', instance.id,
             placement.get('region_name'))
    return True
