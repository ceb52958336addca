"""Root enable and disable: a new Redis password set on the live nodes.

For Redis, "root" is the password: ``requirepass`` of the instance (and
``masterauth``, which replicas of a cluster member share), set with
CONFIG SET so that connected clients keep their connections, and written
to redis.conf so that it outlives a restart. Replicas of a standalone
instance get the new password as their ``masterauth`` so that they keep
following. For a cluster every member gets it.

The password travels sealed in the job (as create's does). Each task can
run again after a taskmanager died: setting a password a node already
has changes nothing. The last task keeps the password, encrypted, in the
cell database (``root_history``): members added to a cluster later get
it, and a disable's generated password stays known to the control
plane.
"""

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.db.main import api as db_api
from trove_mr.flows import engine
from trove_mr.flows import guest

LOG = logging.getLogger(__name__)

ENABLE = 'trove.instance.root_enable'
DISABLE = 'trove.instance.root_disable'
CLUSTER_ENABLE = 'trove.cluster.root_enable'
CLUSTER_DISABLE = 'trove.cluster.root_disable'

# What each target node gets: its own password (and masterauth), or the
# master's password as masterauth only.
NODE = 'node'
REPLICA = 'replica'


def _superseded(context, resource_id, change_id):
    """Whether a newer change was asked for since this one (which then
    stops: the newer job sets its password on every node)."""
    if change_id is None or db_api.root_change_is_latest(
            context, resource_id, change_id):
        return False
    LOG.info('Password change %s of %s was superseded by a newer one.',
             change_id, resource_id)
    return True


class ApplyPassword(task.Task):
    """Set the password on every target node through its guest."""

    def execute(self, context, resource_id, targets, password,
                change_id=None):
        for target in targets:
            if _superseded(context, resource_id, change_id):
                return
            client = guest.guest_client(context, target['instance_id'])
            if target['role'] == REPLICA:
                client.set_masterauth(password)
            else:
                client.change_password(password, masterauth=True)
            LOG.info('Password of instance %s changed (%s).',
                     target['instance_id'], target['role'])

    def revert(self, *args, **kwargs):
        """Nothing to undo: asking again sets one password everywhere."""


class KeepPassword(task.Task):
    """Keep the password the nodes now have, encrypted."""

    def execute(self, context, resource_type, resource_id, password,
                change_id=None):
        db_api.root_password_set(context, resource_type, resource_id,
                                 password, change_id=change_id)


def get_flow():
    flow = linear_flow.Flow('change-root-password')
    flow.add(ApplyPassword(), KeepPassword())
    return flow


def targets_of(context, resource_type, resource_id):
    """The nodes a new password goes to, as plain dicts.

    An instance and its replicas (``masterauth`` only), or every member
    of a cluster.
    """
    if resource_type == 'cluster':
        return [{'instance_id': member.id, 'role': NODE}
                for member in db_api.instances_by_cluster(context,
                                                          resource_id)]
    targets = [{'instance_id': resource_id, 'role': NODE}]
    targets.extend({'instance_id': replica.id, 'role': REPLICA}
                   for replica in db_api.instance_replicas(
                       context, [resource_id])[resource_id])
    return targets


def operation_of(resource_type, enable):
    if resource_type == 'cluster':
        return CLUSTER_ENABLE if enable else CLUSTER_DISABLE
    return ENABLE if enable else DISABLE


def submit(context, resource_type, resource_id, password, enable=True,
           change_id=None):
    """Post the change of the password of an instance or a cluster.

    :param change_id: the change as recorded by the API; a job whose
        change is no longer the latest stops.
    """
    store = {'resource_type': resource_type, 'resource_id': resource_id,
             'targets': targets_of(context, resource_type, resource_id),
             'change_id': change_id}
    return engine.submit(context, operation_of(resource_type, enable),
                         get_flow, store, secrets={'password': password},
                         resource_type=resource_type,
                         resource_id=resource_id)
