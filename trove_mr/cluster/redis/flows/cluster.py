"""Redis cluster operations as flows: create, grow, shrink, delete.

Each operation is one job. Create and grow build their new members as one
unordered flow of member subflows (the single-instance build, prefixed
per member), then join them through the guests; shrink and delete remove
members with the single-instance delete. The cluster's task (the
per-cluster lock the API took) ends NONE when the work is done, or
FAILED when any of it fails: a failed build reverts every member it was
building (each left in ERROR with its fault), so a half-built cluster is
always visible as such and can be deleted.
"""

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow
from taskflow.patterns import unordered_flow

from trove_mr.cluster import strategy
from trove_mr.cluster.redis import password as cluster_password
from trove_mr.cluster.redis.flows import join as cluster_join
from trove_mr.cluster.redis.flows import remove as cluster_remove
from trove_mr.common import exceptions
from trove_mr.common import faults
from trove_mr.common import states
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api
from trove_mr.flows import create_instance
from trove_mr.flows import engine

LOG = logging.getLogger(__name__)

MASTER = 'master'
SLAVE = 'slave'

CREATE = 'trove.cluster.create'
GROW = 'trove.cluster.grow'
SHRINK = 'trove.cluster.shrink'
DELETE = 'trove.cluster.delete'


def set_task(context, cluster_id, task_name, expected):
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


def fail_members(context, instance_ids, operation, exc):
    """Members that were joining go ERROR: the tenant reads that
    ``operation`` failed and of what kind, admins why (``exc``)."""
    for instance_id in instance_ids:
        try:
            db_api.instance_update(
                context, instance_id,
                dict(faults.fault_values(exc, operation),
                     task_status=states.TASK_ERROR),
                expected_task_status=[states.TASK_NONE,
                                      states.TASK_BUILDING])
        except exceptions.TroveMRError as exc:
            LOG.info('Member %s not marked ERROR: %s', instance_id, exc)


def guest_clients(context, instance_ids):
    guests = strategy.guestagent_strategy('redis')
    return {i: guests.guest_client(context, i) for i in instance_ids}


def roles(members):
    """``(master ids, {replica id: its master id})`` of member rows."""
    masters = [m.id for m in members if (m.type or MASTER) == MASTER]
    replicas = {m.id: m.related_to for m in members if m.type == SLAVE}
    return masters, replicas


class ClusterFailedOnRevert(task.Task):
    """First task: if anything after it reverts, the cluster is FAILED."""

    def execute(self, context, cluster_id, cluster_task):
        pass

    def revert(self, context, cluster_id, cluster_task, **kwargs):
        LOG.warning('Cluster %s: %s failed', cluster_id, cluster_task)
        set_task(context, cluster_id, 'FAILED', cluster_task)


class EndClusterTask(task.Task):
    """Last task: the cluster's task is over (NONE)."""

    def execute(self, context, cluster_id, cluster_task):
        set_task(context, cluster_id, 'NONE', cluster_task)


class FormCluster(task.Task):
    """Meet, split the slots, attach replicas, wait for state ok."""

    def execute(self, context, cluster_id, new_ids):
        members = [m for m in db_api.instances_by_cluster(context,
                                                          cluster_id)
                   if m.id in new_ids]
        masters, replicas = roles(members)
        joiner = cluster_join.ClusterJoiner(guest_clients(context, new_ids))
        try:
            cluster_join.form(joiner, masters, replicas)
        except Exception as exc:
            fail_members(context, new_ids, 'Joining the cluster failed '
                         'during BUILDING_INITIAL', exc)
            raise


class ExtendCluster(task.Task):
    """A running member meets the new ones; new replicas attach."""

    def execute(self, context, cluster_id, new_ids):
        members = db_api.instances_by_cluster(context, cluster_id)
        new = [m for m in members if m.id in new_ids]
        old = [m for m in members if m.id not in new_ids
               and m.task_status == states.TASK_NONE]
        if not old:
            raise exceptions.TroveMRError(
                'Cluster %s has no running member to join.' % cluster_id)
        masters, replicas = roles(new)
        anchor = old[0].id
        involved = set(new_ids) | {anchor} | set(replicas.values())
        joiner = cluster_join.ClusterJoiner(
            guest_clients(context, sorted(involved)))
        try:
            cluster_join.extend(joiner, anchor, masters, replicas)
        except Exception as exc:
            fail_members(context, new_ids, 'Joining the cluster failed '
                         'during GROWING_CLUSTER', exc)
            raise


class DeleteMembers(task.Task):
    """Delete members (server, volume, record), side by side."""

    def execute(self, context, removed_ids):
        failed = cluster_remove.delete_members(context, removed_ids)
        if failed:
            raise exceptions.TroveMRError(
                'Members %s could not be deleted.' % ', '.join(failed))


class ForgetNodes(task.Task):
    """CLUSTER FORGET the removed nodes on every remaining member."""

    def execute(self, context, cluster_id, removed_ids, node_ids):
        if not node_ids:
            return
        remaining = [m.id for m in db_api.instances_by_cluster(
            context, cluster_id) if m.id not in removed_ids
            and m.task_status == states.TASK_NONE]
        cluster_remove.forget_nodes(guest_clients(context, remaining),
                                    node_ids)


class ForgetCluster(task.Task):
    """Soft-delete the cluster record and its mapping."""

    def execute(self, context, cluster_id):
        db_api.cluster_soft_delete(context, cluster_id)
        try:
            api_db.cluster_mapping_delete(context, cluster_id)
        except exceptions.ResourceMappingNotFound:
            pass
        LOG.info('Cluster %s deleted', cluster_id)


def _prefix(index):
    return 'member%d-' % index


def members_flow(count):
    """An unordered flow of ``count`` member builds."""
    flow = unordered_flow.Flow('build-members')
    for index in range(count):
        flow.add(create_instance.instance_subflow(_prefix(index)))
    return flow


def create_flow(member_count):
    flow = linear_flow.Flow(CREATE)
    flow.add(ClusterFailedOnRevert(), members_flow(member_count),
             FormCluster(), EndClusterTask())
    return flow


def grow_flow(member_count):
    flow = linear_flow.Flow(GROW)
    flow.add(ClusterFailedOnRevert(), members_flow(member_count),
             ExtendCluster(), EndClusterTask())
    return flow


def shrink_flow():
    flow = linear_flow.Flow(SHRINK)
    flow.add(ClusterFailedOnRevert(), DeleteMembers(), ForgetNodes(),
             EndClusterTask())
    return flow


def delete_flow():
    flow = linear_flow.Flow(DELETE)
    flow.add(ClusterFailedOnRevert(), DeleteMembers(), ForgetCluster())
    return flow


def _build_store(cluster_id, cluster_task, members, placements,
                 extra_store=None):
    store = {'cluster_id': cluster_id, 'cluster_task': cluster_task,
             'new_ids': [m.id for m in members]}
    store.update(extra_store or {})
    for index, member in enumerate(members):
        store.update(create_instance.instance_store(
            member, placements[member.id],
            cluster={'cluster_id': cluster_id, 'instance_id': member.id,
                     'type': member.type or MASTER},
            prefix=_prefix(index)))
    return store


def submit_build(context, operation, factory, cluster_id, cluster_task,
                 members, placements, extra_store=None):
    """Post a job building ``members`` with ``factory(member_count)``;
    ``extra_store`` adds what the flow's further tasks need."""
    return engine.submit(
        context, operation, factory,
        _build_store(cluster_id, cluster_task, members, placements,
                     extra_store),
        factory_kwargs={'member_count': len(members)},
        secrets={'password': cluster_password.current_password(context,
                                                              cluster_id)},
        resource_type='cluster', resource_id=cluster_id,
        lease_ids=[m.id for m in members], parallel=True)


def submit_create(context, cluster_id, placements):
    """Post the build of every member and the forming of the cluster."""
    members = db_api.instances_by_cluster(context, cluster_id)
    return submit_build(context, CREATE, create_flow, cluster_id,
                         'BUILDING_INITIAL', members, placements)


def submit_grow(context, cluster_id, placements):
    """Post the build of the new members (those in ``placements``)."""
    members = [m for m in db_api.instances_by_cluster(context, cluster_id)
               if m.id in placements]
    return submit_build(context, GROW, grow_flow, cluster_id,
                         'GROWING_CLUSTER', members, placements)


def submit_shrink(context, cluster_id, instance_ids, node_ids):
    """Post the removal of members ``instance_ids`` (nodes ``node_ids``)."""
    return engine.submit(
        context, SHRINK, shrink_flow,
        {'cluster_id': cluster_id, 'cluster_task': 'SHRINKING_CLUSTER',
         'removed_ids': list(instance_ids), 'node_ids': list(node_ids)},
        resource_type='cluster', resource_id=cluster_id)


def submit_delete(context, cluster_id):
    """Post the delete of every member, then of the cluster."""
    members = db_api.instances_by_cluster(context, cluster_id)
    return engine.submit(
        context, DELETE, delete_flow,
        {'cluster_id': cluster_id, 'cluster_task': 'DELETING',
         'removed_ids': [m.id for m in members]},
        resource_type='cluster', resource_id=cluster_id)
