"""Build the replicas of one create request, all or nothing.

One job builds every replica of a request (``replica_count``) as an
unordered flow of instance subflows (the single-instance build, prefixed
per replica, as cluster members are built), then makes each follow its
master. If any replica cannot be built or cannot follow, TaskFlow
reverts every build (each replica's server and volume go, each row is
left in ERROR with its fault), and then the first task posts the delete
of every replica of the request: the deletes remove the rows and
mappings and give the quota back, once, as for any delete. A request
therefore ends with all its replicas ACTIVE and following, or none.
"""

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow
from taskflow.patterns import unordered_flow

from trove_mr.common import exceptions
from trove_mr.db.main import api as db_api
from trove_mr.flows import create_instance
from trove_mr.flows import delete_instance
from trove_mr.flows import engine
from trove_mr.flows import replica

LOG = logging.getLogger(__name__)

# The replicas' builds are instance creates (and notified as such).
OPERATION = create_instance.OPERATION


def _prefix(index):
    return 'replica%d-' % index


class TearDownReplicasOnRevert(task.Task):
    """First task: if anything after it reverts, every replica of the
    request is deleted (their quota comes back with the deletes)."""

    def execute(self, context, replica_ids):
        pass

    def revert(self, context, replica_ids, **kwargs):
        LOG.warning('Replicas %s could not all be built; deleting every '
                    'one of them', ', '.join(replica_ids))
        for replica_id in replica_ids:
            try:
                delete_instance.submit(context, replica_id)
            except Exception as exc:  # noqa: BLE001 - the others go on
                LOG.error('Could not post the delete of replica %s: %s',
                          replica_id, exc)


class FollowMasterOrFail(task.Task):
    """A new replica follows its master; failing reverts the request."""

    def execute(self, context, instance_id):
        replica_row = db_api.instance_get(context, instance_id)
        try:
            replica.follow(context, instance_id, replica_row.replica_of_id)
        except Exception as exc:
            raise exceptions.TroveMRError(
                'Replica %s could not replicate from master %s: %s'
                % (instance_id, replica_row.replica_of_id, exc)) from exc
        LOG.info('Instance %s replicates from %s', instance_id,
                 replica_row.replica_of_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: the replica's build reverts and deletes it."""


def get_flow(replica_count):
    """Build ``replica_count`` replicas side by side, then attach each."""
    builds = unordered_flow.Flow('build-replicas')
    follows = linear_flow.Flow('follow-master')
    for index in range(replica_count):
        prefix = _prefix(index)
        builds.add(create_instance.instance_subflow(prefix))
        follows.add(FollowMasterOrFail(
            name=prefix + 'follow-master',
            rebind={'instance_id': prefix + 'instance_id'}))
    flow = linear_flow.Flow(OPERATION)
    flow.add(TearDownReplicasOnRevert(), builds, follows)
    return flow


def store(replicas, placement):
    """The plain store of the build of ``replicas`` (BUILDING rows)."""
    values = {'replica_ids': [row.id for row in replicas]}
    for index, row in enumerate(replicas):
        values.update(create_instance.instance_store(
            row, placement, prefix=_prefix(index)))
    return values


def submit(context, replica_ids, placement, password):
    """Post the build of the replicas ``replica_ids`` as one job."""
    replicas = [db_api.instance_get(context, i) for i in replica_ids]
    return engine.submit(
        context, OPERATION, get_flow, store(replicas, placement),
        factory_kwargs={'replica_count': len(replicas)},
        secrets={'password': password}, resource_type='instance',
        resource_id=replica_ids[0], lease_ids=list(replica_ids),
        parallel=len(replicas) > 1)
