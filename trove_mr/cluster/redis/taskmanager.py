"""Taskmanager side of Redis clusters: build, grow, shrink, delete.

The API has already moved the cluster's task (the per-cluster lock, a
conditional UPDATE) and written the member rows; each method here does
the work and then ends the task: NONE when done, FAILED when a member
could not be built or joined (that member stays in ERROR with its fault),
so a half-joined cluster is always visible as such.
"""

from oslo_log import log as logging

from trove_mr.cluster import strategy
from trove_mr.cluster.redis import password as cluster_password
from trove_mr.cluster.redis.flows import join as cluster_join
from trove_mr.cluster.redis.flows import members as cluster_members
from trove_mr.cluster.redis.flows import remove as cluster_remove
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

LOG = logging.getLogger(__name__)

MASTER = 'master'
SLAVE = 'slave'


def _set_task(context, cluster_id, task_name, expected):
    """End or change the cluster's task; False if it moved meanwhile."""
    task_id, description = states.CLUSTER_TASKS[task_name]
    try:
        db_api.cluster_update(
            context, cluster_id,
            {'task_id': task_id, 'task_name': task_name,
             'task_description': description},
            expected_task_name=expected)
    except (exceptions.UnexpectedTaskState,
            exceptions.ClusterNotFound) as exc:
        LOG.warning('Cluster %s not moved to %s: %s', cluster_id,
                    task_name, exc)
        return False
    return True


def _fail_members(context, instance_ids, message):
    for instance_id in instance_ids:
        try:
            db_api.instance_update(
                context, instance_id,
                {'task_status': states.TASK_ERROR,
                 'fault_message': message},
                expected_task_status=[states.TASK_NONE,
                                      states.TASK_BUILDING])
        except exceptions.TroveMRError as exc:
            LOG.info('Member %s not marked ERROR: %s', instance_id, exc)


class RedisTaskManagerStrategy:
    """Does the cluster work the taskmanager is cast.

    :param keeper: the taskmanager's build lease keeper.
    """

    def __init__(self, keeper):
        self.keeper = keeper
        self.guests = strategy.guestagent_strategy('redis')

    def _clients(self, context, instance_ids):
        return {i: self.guests.guest_client(context, i)
                for i in instance_ids}

    def _build(self, context, cluster_id, members, placements):
        """Build ``members``; raise StepFailed naming those that failed."""
        password = cluster_password.cluster_password(cluster_id)
        results = cluster_members.build_members(
            context, self.keeper, members, placements, password,
            {'cluster_id': cluster_id})
        failed = sorted(i for i, ok in results.items() if not ok)
        if failed:
            raise exceptions.TroveMRError(
                'Members %s of cluster %s failed to build.'
                % (', '.join(failed), cluster_id))

    @staticmethod
    def _roles(members):
        masters = [m.id for m in members if (m.type or MASTER) == MASTER]
        replicas = {m.id: m.related_to for m in members
                    if m.type == SLAVE}
        return masters, replicas

    @staticmethod
    def _run(context, cluster_id, task_name, work):
        """Run ``work()``; end the task NONE, or FAILED on an error."""
        try:
            work()
        except Exception:  # noqa: BLE001 - recorded on the cluster
            LOG.exception('Cluster %s: %s failed', cluster_id, task_name)
            _set_task(context, cluster_id, 'FAILED', task_name)
            return False
        return _set_task(context, cluster_id, 'NONE', task_name)

    @staticmethod
    def _join(context, member_ids, task_name, join):
        """Run ``join()``; members it was joining go ERROR if it fails.
        """
        try:
            join()
        except Exception as exc:
            _fail_members(context, member_ids,
                          'Joining the cluster failed during %s: %s'
                          % (task_name, exc))
            raise

    def create_cluster(self, context, cluster_id, placements):
        """Build every member in parallel, then form the cluster.

        :param placements: ``{instance_id: placement dict}``.
        """
        members = db_api.instances_by_cluster(context, cluster_id)
        ids = [m.id for m in members]

        def work():
            self._build(context, cluster_id, members, placements)
            masters, replicas = self._roles(members)
            joiner = cluster_join.ClusterJoiner(self._clients(context, ids))
            self._join(context, ids, 'BUILDING_INITIAL',
                       lambda: cluster_join.form(joiner, masters, replicas))

        return self._run(context, cluster_id, 'BUILDING_INITIAL', work)

    def grow_cluster(self, context, cluster_id, placements):
        """Build the new members (those in ``placements``) and join them.

        New masters join empty; replicas attach to their related_to
        master, in whichever region.
        """
        members = db_api.instances_by_cluster(context, cluster_id)
        new = [m for m in members if m.id in placements]
        old = [m for m in members if m.id not in placements
               and m.task_status == states.TASK_NONE]
        new_ids = [m.id for m in new]

        def work():
            if not old:
                raise exceptions.TroveMRError(
                    'Cluster %s has no running member to join.'
                    % cluster_id)
            self._build(context, cluster_id, new, placements)
            masters, replicas = self._roles(new)
            anchor = old[0].id
            involved = set(new_ids) | {anchor} | set(replicas.values())
            joiner = cluster_join.ClusterJoiner(
                self._clients(context, sorted(involved)))
            self._join(context, new_ids, 'GROWING_CLUSTER',
                       lambda: cluster_join.extend(joiner, anchor, masters,
                                                   replicas))

        return self._run(context, cluster_id, 'GROWING_CLUSTER', work)

    def shrink_cluster(self, context, cluster_id, instance_ids, node_ids):
        """Delete the members ``instance_ids``, then forget ``node_ids``.

        The API checked that the nodes own no slots.
        """
        members = db_api.instances_by_cluster(context, cluster_id)
        remaining = [m.id for m in members if m.id not in instance_ids
                     and m.task_status == states.TASK_NONE]

        def work():
            failed = cluster_remove.delete_members(context, instance_ids)
            if node_ids:
                cluster_remove.forget_nodes(
                    self._clients(context, remaining), node_ids)
            if failed:
                raise exceptions.TroveMRError(
                    'Members %s could not be deleted.' % ', '.join(failed))

        return self._run(context, cluster_id, 'SHRINKING_CLUSTER', work)

    def delete_cluster(self, context, cluster_id):
        """Delete every member, then the cluster record and mapping."""
        members = db_api.instances_by_cluster(context, cluster_id)
        failed = cluster_remove.delete_members(context,
                                               [m.id for m in members])
        if failed:
            _set_task(context, cluster_id, 'FAILED', 'DELETING')
            return False
        db_api.cluster_soft_delete(context, cluster_id)
        try:
            api_db.cluster_mapping_delete(context, cluster_id)
        except exceptions.ResourceMappingNotFound:
            pass
        LOG.info('Cluster %s deleted', cluster_id)
        return True
