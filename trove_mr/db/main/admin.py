"""Region DB API of the admin (``/mgmt``) calls: every project's instances.

An admin list is one keyset page over every cell: each cell answers the
(created, id) keys of its next rows of any project, then the page's rows
are loaded by id (``instance_pages.instance_get_many``), two queries per cell
whatever the page size. Resets put a stuck instance or cluster back in a
state its owner can act on again, deleting nothing.
"""

import sqlalchemy as sa

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db import pagination
from trove_mr.db import rows
from trove_mr.db.main import models

Backup = models.Backup
Cluster = models.Cluster
Instance = models.Instance
InstanceStatus = models.InstanceStatus

# Backups still being written when their instance is reset: their guest
# will not report on them any more.
_UNFINISHED_BACKUPS = ('NEW', 'BUILDING')


def _admin_filter(query, deleted=False, project_id=None,
                  include_clustered=False):
    query = query.where(Instance.deleted.is_(bool(deleted)))
    if project_id is not None:
        query = query.where(Instance.tenant_id == project_id)
    if not include_clustered:
        query = query.where(Instance.cluster_id.is_(None))
    return query


@engines.region_reader
def admin_instance_list_keys(context, limit, after=None, deleted=False,
                             project_id=None, include_clustered=False):
    """(created, id) keys of the next ``limit`` instances of any project.

    ``deleted`` True lists only deleted instances (as Trove's mgmt list
    does), False only live ones; ``project_id`` keeps one project's.
    """
    query = _admin_filter(sa.select(Instance.created, Instance.id),
                          deleted, project_id, include_clustered)
    if after is not None:
        query = query.where(pagination.after_clause(Instance, after))
    query = query.order_by(Instance.created, Instance.id).limit(limit)
    return [tuple(found) for found in context.session.execute(query)]


@engines.region_reader
def admin_instance_marker_key(context, marker):
    """The (created, id) key of instance ``marker`` here (any project,
    deleted too), or None."""
    return pagination.marker_key(context.session, Instance, marker)


@engines.region_reader
def admin_instance_get(context, instance_id):
    """An instance of any project, deleted ones too; InstanceNotFound."""
    found = context.session.execute(
        sa.select(Instance).where(Instance.id == instance_id)
    ).unique().scalars().first()
    if found is None:
        raise exceptions.InstanceNotFound(
            'Instance %s could not be found.' % instance_id)
    return found


def _fail_unfinished_backups(session, instance_id):
    session.execute(
        sa.update(Backup)
        .where(Backup.instance_id == instance_id,
               Backup.deleted.is_(False),
               Backup.state.in_(_UNFINISHED_BACKUPS))
        .values(state='FAILED', updated=rows.now())
        .execution_options(synchronize_session=False))


@engines.region_writer
def instance_reset(context, instance_id, service_status=None):
    """Clear a live instance's task (NONE) whatever it was; with
    ``service_status``, also set the recorded guest status.

    Unfinished backups of the instance become FAILED. The guest status
    keeps its heartbeat time, so the guest's next heartbeat applies and
    shows the real state again. Returns the instance.
    """
    session = context.session
    rows.get_live(session, Instance, instance_id,
                  exceptions.InstanceNotFound)
    if service_status is not None:
        session.execute(
            sa.update(InstanceStatus)
            .where(InstanceStatus.instance_id == instance_id)
            .values(status=service_status, updated_at=rows.now())
            .execution_options(synchronize_session=False))
    _fail_unfinished_backups(session, instance_id)
    return rows.conditional_update(
        session, Instance, instance_id,
        {'task_status': 'NONE', 'task_owner': None},
        not_found=exceptions.InstanceNotFound)


@engines.region_writer
def cluster_reset(context, cluster_id, task_name, task_id, description):
    """Set a live cluster's task whatever it was; returns the cluster."""
    return rows.conditional_update(
        context.session, Cluster, cluster_id,
        {'task_name': task_name, 'task_id': task_id,
         'task_description': description},
        not_found=exceptions.ClusterNotFound)
