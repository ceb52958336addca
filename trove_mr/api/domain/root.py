"""What the root controllers ask for: enable, show, disable.

For Redis, root is the password (``requirepass``). Enable sets a new one
(generated, or the tenant's) on the live instance, or on every member of
a cluster, and shows it once; disable sets a generated one the tenant is
not told, kept by the control plane; show says whether root was enabled
since the last disable. The change itself is a job of the owning cell's
taskmanager (``flows/root.py``); the record is written here, before the
job is posted, and put back if no taskmanager takes it.
"""

import re
import secrets

from oslo_log import log as logging
from oslo_utils import uuidutils

from trove_mr.api.domain import instances as instance_domain
from trove_mr.api.domain import services
from trove_mr.common import exceptions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

LOG = logging.getLogger(__name__)

INSTANCE = 'instance'
_PASSWORD_RE = re.compile(r'^[A-Za-z0-9_\-]{16,512}$')
CLUSTER = 'cluster'


def generate_password():
    """A new Redis password (URL-safe, what redis.conf holds as is)."""
    return secrets.token_urlsafe(24)


def _require_running(row):
    service = row.status.status if row.status else None
    if row.task_status != states.TASK_NONE or \
            service != states.SERVICE_RUNNING:
        raise exceptions.Conflict(
            'Instance %s is %s; root can be changed only while it is '
            'ACTIVE.' % (row.id, states.display_status(row.task_status,
                                                       service)))


def _instance(cctx, tenant_id, instance_id, changing=True):
    row = db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
    if row.cluster_id:
        raise exceptions.BadRequest(
            'Instance %s is a member of cluster %s; use the cluster\'s '
            'root.' % (instance_id, row.cluster_id))
    if changing and row.replica_of_id:
        raise exceptions.BadRequest(
            'Instance %s is a replica of %s; change root on its master, '
            'whose replicas follow.' % (instance_id, row.replica_of_id))
    if changing:
        _require_running(row)
        for replica in db_api.instance_replicas(cctx, [row.id])[row.id]:
            _require_running(replica)
    return row


def _cluster(cctx, tenant_id, cluster_id, changing=True):
    cluster = db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
    if changing:
        if cluster.task_name != 'NONE':
            raise exceptions.Conflict(
                'Cluster %s is busy: its task is %s; try again when it is '
                'NONE.' % (cluster_id, cluster.task_name))
        for member in db_api.instances_by_cluster(cctx, cluster_id):
            _require_running(member)
    return cluster


def _cluster_cell(context, cluster_id):
    try:
        return api_db.cluster_mapping_get(context, cluster_id)
    except exceptions.NotFound:
        raise exceptions.ClusterNotFound(
            'Cluster %s could not be found.' % cluster_id) from None


def _resource_cell(context, resource_type, resource_id):
    if resource_type == CLUSTER:
        return cells.owning_cell(context,
                                 _cluster_cell(context, resource_id))
    return cells.owning_cell(
        context, instance_domain.instance_cell(context, resource_id))


def _check(cctx, tenant_id, resource_type, resource_id, changing=True):
    if resource_type == CLUSTER:
        return _cluster(cctx, tenant_id, resource_id, changing)
    return _instance(cctx, tenant_id, resource_id, changing)


def _change(context, tenant_id, resource_type, resource_id, password,
            enable, taskmanager_api):
    with _resource_cell(context, resource_type, resource_id) as cctx:
        _check(cctx, tenant_id, resource_type, resource_id)
        previous = db_api.root_get(cctx, resource_id)
        if not enable and (previous is None or not previous.enabled):
            raise exceptions.NotFound(
                'Root is not enabled on %s %s.' % (resource_type,
                                                   resource_id))
        services.require_taskmanager(cctx)
        change_id = uuidutils.generate_uuid()
        db_api.root_set_enabled(cctx, resource_type, resource_id, enable,
                                user_id=context.user_id,
                                change_id=change_id)
        try:
            taskmanager_api.change_root_password(
                cctx, resource_type, resource_id, password, enable=enable,
                change_id=change_id)
        except Exception as exc:
            LOG.error('Could not ask a taskmanager to change the password '
                      'of %s %s: %s', resource_type, resource_id, exc)
            db_api.root_restore(cctx, resource_type, resource_id, previous)
            raise exceptions.ServiceUnavailable(
                'No taskmanager could be reached; root was not changed. '
                'Try again later.') from exc


def enable(context, tenant_id, resource_type, resource_id, taskmanager_api,
           password=None):
    """Set a new password (``password`` or a generated one); return it.

    Connected clients keep their connections; the password applies to
    new ones within seconds (the job's time).
    """
    if password is not None and not _PASSWORD_RE.match(password):
        raise exceptions.BadRequest(
            "Invalid input for field 'password': a Redis password here is "
            "16 to 512 letters, digits, '-' or '_'.")
    password = password or generate_password()
    _change(context, tenant_id, resource_type, resource_id, password, True,
            taskmanager_api)
    return password


def disable(context, tenant_id, resource_type, resource_id,
            taskmanager_api):
    """Replace the tenant's password by one only the control plane knows.
    """
    _change(context, tenant_id, resource_type, resource_id,
            generate_password(), False, taskmanager_api)


def is_enabled(context, tenant_id, resource_type, resource_id):
    """Whether root was enabled since its last disable."""
    with _resource_cell(context, resource_type, resource_id) as cctx:
        _check(cctx, tenant_id, resource_type, resource_id, changing=False)
        row = db_api.root_get(cctx, resource_id)
        return bool(row is not None and row.enabled)
