"""Apply configuration groups: attach, detach and changes of a group.

The API records the wanted group on the instance (``configuration_id``,
task CONFIGURING) or on the cluster and its members (task
UPDATING_CLUSTER), then asks for one of these jobs:

* an instance: one task that has the guest apply the overrides (CONFIG
  SET for the dynamic parameters, all of them written to the guest's
  overrides file that redis.conf includes), records whether some wait for
  a restart, and ends the task (NONE, or ERROR with a fault);
* a cluster: the same task for every member, side by side, then the
  cluster's task ends (NONE, or FAILED).

Every task applies what the databases say when it runs, so running it
again (another taskmanager resuming the job) is safe.
"""

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow
from taskflow.patterns import unordered_flow

from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.flows import database
from trove_mr.flows import engine
from trove_mr.flows import guest
from trove_mr.flows import overrides

LOG = logging.getLogger(__name__)

INSTANCE_OPERATION = 'trove.instance.update_configuration'
CLUSTER_OPERATION = 'trove.cluster.update_configuration'
CLUSTER_TASK = 'UPDATING_CLUSTER'


def apply_to_instance(context, instance_id):
    """Have the guest apply the instance's overrides; record whether a
    restart is pending. Returns the guest's answer."""
    instance = db_api.instance_get(context, instance_id)
    wanted = overrides.for_instance(context, instance)
    answer = guest.guest_client(context, instance_id).update_overrides(
        wanted) or {}
    pending = bool(answer.get('restart_pending'))
    db_api.instance_update(context, instance_id,
                           {'configuration_restart_required': pending})
    LOG.info('Configuration of instance %s applied (%d values, restart '
             'pending: %s)', instance_id, len(wanted['values']), pending)
    return answer


class ApplyInstanceConfiguration(task.Task):
    """Apply a CONFIGURING instance's group and end its task."""

    def execute(self, context, instance_id):
        try:
            apply_to_instance(context, instance_id)
            db_api.instance_update(
                context, instance_id,
                {'task_status': states.next_task(states.TASK_CONFIGURING,
                                                 'done')},
                expected_task_status=states.TASK_CONFIGURING)
        except exceptions.UnexpectedTaskState as exc:
            LOG.info('Instance %s left CONFIGURING meanwhile: %s',
                     instance_id, exc)
        except Exception as exc:  # noqa: BLE001 - recorded as the fault
            LOG.exception('Configuration of instance %s failed',
                          instance_id)
            database.mark_error(context, instance_id,
                                'Applying the configuration failed: %s'
                                % exc, states.TASK_CONFIGURING)


class ApplyMemberConfiguration(task.Task):
    """Apply a cluster member's group; a failure fails the cluster's
    task (after every member was tried)."""

    def execute(self, context, instance_id):
        try:
            apply_to_instance(context, instance_id)
        except exceptions.InstanceNotFound:
            LOG.info('Member %s is gone; nothing to configure',
                     instance_id)
        except Exception as exc:  # noqa: BLE001 - reported by the cluster
            LOG.exception('Configuration of member %s failed', instance_id)
            return str(exc)
        return None


class EndClusterTask(task.Task):
    """NONE when every member applied the group, else FAILED."""

    def execute(self, context, cluster_id, **failures):
        failed = {name: why for name, why in failures.items() if why}
        task_name = 'FAILED' if failed else 'NONE'
        if failed:
            LOG.warning('Configuration of cluster %s failed on %s',
                        cluster_id, ', '.join(sorted(failed)))
        db_api.cluster_update(
            context, cluster_id,
            {'task_name': task_name,
             'task_id': states.CLUSTER_TASKS[task_name][0]},
            expected_task_name=CLUSTER_TASK)


def get_instance_flow():
    """The one-task flow of an instance."""
    flow = linear_flow.Flow(INSTANCE_OPERATION)
    flow.add(ApplyInstanceConfiguration())
    return flow


def get_cluster_flow(member_ids):
    """Every member side by side, then the cluster's task ends."""
    members = unordered_flow.Flow('members')
    provides = []
    for index in range(len(member_ids)):
        name = 'member%d' % index
        provides.append(name)
        members.add(ApplyMemberConfiguration(
            name='%s-apply' % name, provides=name,
            rebind={'instance_id': 'member_id_%d' % index}))
    flow = linear_flow.Flow(CLUSTER_OPERATION)
    flow.add(members)
    flow.add(EndClusterTask(requires=provides))
    return flow


def submit_instance(context, instance_id):
    """Post the job that configures an instance."""
    return engine.submit(context, INSTANCE_OPERATION, get_instance_flow,
                         {'instance_id': instance_id},
                         resource_type='instance', resource_id=instance_id)


def submit_cluster(context, cluster_id):
    """Post the job that configures every member of a cluster."""
    member_ids = [m.id for m in db_api.instances_by_cluster(context,
                                                            cluster_id)]
    store = {'cluster_id': cluster_id}
    store.update({'member_id_%d' % i: member_id
                  for i, member_id in enumerate(member_ids)})
    return engine.submit(context, CLUSTER_OPERATION, get_cluster_flow,
                         store, factory_kwargs={'member_ids': member_ids},
                         resource_type='cluster', resource_id=cluster_id,
                         parallel=True)
