"""Build the members of a cluster side by side.

Each member is an instance row sharing the cluster's id; it is built with
the tasks of the single-instance create flow, except that the guest is
prepared as a cluster member (Redis started with ``cluster-enabled``).
The members' flows run at the same time on a thread pool, so building
twelve members takes about as long as building one.
"""

import concurrent.futures

import taskflow.engines
from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.flows import compute
from trove_mr.flows import create_instance
from trove_mr.flows import database
from trove_mr.flows import guest
from trove_mr.flows import volume

LOG = logging.getLogger(__name__)

# Members built at once by one taskmanager; a bigger cluster waits for a
# free slot. The work is waiting on remote services, not CPU.
MAX_PARALLEL_BUILDS = 32


class PrepareClusterMember(task.Task):
    """Cast ``prepare`` with the member's cluster role."""

    def execute(self, context, instance_id, rpc_key, password,
                cluster_config):
        config = {'password': password, 'backup_info': None,
                  'cluster': dict(cluster_config)}
        guest.guest_client(context, instance_id, rpc_key).prepare(config)

    def revert(self, *args, **kwargs):
        """Nothing to undo: deleting the server stops the guest."""


def get_member_flow():
    """The linear flow of one member's build."""
    flow = linear_flow.Flow('create-cluster-member')
    flow.add(database.MarkErrorOnRevert(),
             database.CheckPlacement(),
             guest.GenerateRpcKey(),
             volume.CreateVolume(),
             volume.WaitVolumeAvailable(),
             compute.CreateServer(),
             compute.WaitServerActive(),
             guest.WaitGuestListening(),
             PrepareClusterMember(),
             guest.WaitGuestRunning(),
             database.MarkBuilt())
    return flow


def build_member(context, instance, placement, password, cluster_config):
    """Build one member (a row); True when ACTIVE, False when ERROR."""
    store = {'context': context, 'instance_id': instance.id,
             'requested_placement': dict(placement), 'password': password,
             'backup_info': None, 'cluster_config': cluster_config,
             'deadline': create_instance.build_deadline(instance)}
    engine = taskflow.engines.load(get_member_flow(), store=store,
                                   engine='serial')
    try:
        engine.run()
    except Exception:  # noqa: BLE001 - reverted and recorded as ERROR
        LOG.exception('Build of cluster member %s failed and was reverted',
                      instance.id)
        return False
    return True


def build_members(context, keeper, members, placements, password,
                  cluster_config):
    """Build ``members`` (rows) in parallel; ``{instance_id: ok}``.

    Each build holds its lease through ``keeper`` for its whole length,
    so a taskmanager dying mid-way leaves builds that recovery cleans up.
    """
    def one(member):
        with keeper.hold(context, member.id) as taken:
            if not taken:
                LOG.warning('Member %s is not waiting for a build; '
                            'skipped', member.id)
                return False
            return build_member(
                context, member, placements[member.id], password,
                dict(cluster_config, instance_id=member.id,
                     type=member.type or 'master'))

    if not members:
        return {}
    workers = min(len(members), MAX_PARALLEL_BUILDS)
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=workers,
            thread_name_prefix='cluster-build') as pool:
        futures = {member.id: pool.submit(one, member)
                   for member in members}
        results = {}
        for member_id, future in futures.items():
            try:
                results[member_id] = future.result()
            except Exception:  # noqa: BLE001 - one member, not all
                LOG.exception('Build of member %s failed', member_id)
                results[member_id] = False
    return results
