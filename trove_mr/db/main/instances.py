"""Region DB API: instances and the guest status of each."""

import datetime

import sqlalchemy as sa
from oslo_utils import uuidutils

from trove_mr.common import exceptions
from trove_mr.common import faults
from trove_mr.db import engines
from trove_mr.db import pagination
from trove_mr.db import rows
from trove_mr.db.main import models

Instance = models.Instance
InstanceStatus = models.InstanceStatus


@engines.region_writer
def instance_create(context, values):
    """Create an instance row and its status row in one transaction.

    ``values`` holds Instance columns plus an optional ``status`` (the
    initial guest status, NEW by default). ``addresses`` may be a list.
    """
    values = rows.encode_addresses(dict(values))
    status = values.pop('status', 'NEW')
    values.setdefault('id', uuidutils.generate_uuid())
    values.setdefault('created', rows.now())
    values.setdefault('task_status', 'NONE')
    values.setdefault('deleted', False)
    session = context.session
    session.add(Instance(**values))
    session.add(InstanceStatus(instance_id=values['id'], status=status,
                               updated_at=values['created']))
    session.flush()
    return rows.get_live(session, Instance, values['id'],
                         exceptions.InstanceNotFound)


@engines.region_reader
def instance_get(context, instance_id, tenant_id=None):
    """A live instance, with status and datastore version loaded.

    Raises InstanceNotFound when it is missing, deleted or, with
    ``tenant_id``, another tenant's.
    """
    return rows.get_live(context.session, Instance, instance_id,
                         exceptions.InstanceNotFound, tenant_id=tenant_id)


@engines.region_reader
def instance_list(context, tenant_id, limit=None, marker=None,
                  cluster_id=None, include_clustered=False, after=None):
    """One page of a tenant's live instances, oldest first.

    With ``cluster_id``: that cluster's members only. Otherwise cluster
    members are left out unless ``include_clustered``. ``after`` (a
    (created, id) key, see ``instance_marker_key``) replaces ``marker``.
    Returns ``(instances, next_marker)``; status and datastore version
    come in the same query.
    """
    query = sa.select(Instance).where(Instance.tenant_id == tenant_id,
                                      Instance.deleted.is_(False))
    if cluster_id is not None:
        query = query.where(Instance.cluster_id == cluster_id)
    elif not include_clustered:
        query = query.where(Instance.cluster_id.is_(None))
    return pagination.page(context.session, query, Instance, limit, marker,
                           tenant_id=tenant_id, after=after)


def _keys_statement(include_clustered, paged):
    """The Core SELECT of ``instance_list_keys``, built once: only its
    bound values change from call to call, so SQLAlchemy reuses its
    compiled form."""
    # "deleted = false", not "deleted IS false": MySQL and MariaDB use
    # an index for equality only, and sort every row of the tenant else.
    query = sa.select(Instance.created, Instance.id).where(
        Instance.tenant_id == sa.bindparam('tenant_id'),
        Instance.deleted == sa.false())
    if not include_clustered:
        query = query.where(Instance.cluster_id.is_(None))
    if paged:
        created = sa.bindparam('after_created', type_=Instance.created.type)
        query = query.where(sa.or_(
            Instance.created > created,
            sa.and_(Instance.created == created,
                    Instance.id > sa.bindparam('after_id'))))
    return query.order_by(Instance.created, Instance.id).limit(
        sa.bindparam('limit'))


_KEYS_STATEMENTS = {(clustered, paged): _keys_statement(clustered, paged)
                    for clustered in (False, True)
                    for paged in (False, True)}


@engines.region_reader_connection
def instance_list_keys(context, tenant_id, limit, after=None,
                       include_clustered=False):
    """The (created, id) keys of a tenant's next ``limit`` live instances.

    Two columns off the index, no rows built: a global list merges the
    keys of every cell first and loads only the rows of the page.
    """
    params = {'tenant_id': tenant_id, 'limit': limit}
    if after is not None:
        params.update(after_created=after[0], after_id=after[1])
    query = _KEYS_STATEMENTS[(bool(include_clustered), after is not None)]
    return [tuple(found) for found in
            context.connection.execute(query, params)]


@engines.region_reader
def instance_list_all(context, region_name=None, include_deleted=False):
    """Every instance of this cell (admin and periodic tasks)."""
    query = sa.select(Instance)
    if not include_deleted:
        query = query.where(Instance.deleted.is_(False))
    if region_name is not None:
        query = query.where(Instance.region_name == region_name)
    query = query.order_by(Instance.created, Instance.id)
    return list(context.session.execute(query).unique().scalars())


@engines.region_writer
def instance_update(context, instance_id, values, expected_task_status=None):
    """Update a live instance; the per-instance lock.

    With ``expected_task_status`` (a value or a list) the UPDATE only
    matches while the instance is in one of those task states, and
    UnexpectedTaskState (409) is raised otherwise. Raises
    InstanceNotFound when missing or deleted. Returns the instance.
    """
    values = rows.encode_addresses(faults.guard(dict(values)))
    return rows.conditional_update(
        context.session, Instance, instance_id, values,
        column=Instance.task_status, expected=expected_task_status,
        not_found=exceptions.InstanceNotFound)


@engines.region_writer
def instance_soft_delete(context, instance_id):
    """Mark an instance deleted; raises InstanceNotFound if already gone."""
    rows.soft_delete(context.session, Instance, instance_id,
                     exceptions.InstanceNotFound,
                     extra={'task_status': 'NONE'})


@engines.region_reader
def instance_count(context, tenant_id):
    """How many live instances a tenant has in this cell."""
    query = sa.select(sa.func.count(Instance.id)).where(
        Instance.tenant_id == tenant_id, Instance.deleted.is_(False))
    return context.session.execute(query).scalar_one()


@engines.region_reader
def instances_by_cluster(context, cluster_id):
    """The live members of a cluster, oldest first."""
    query = (sa.select(Instance)
             .where(Instance.cluster_id == cluster_id,
                    Instance.deleted.is_(False))
             .order_by(Instance.created, Instance.id))
    return list(context.session.execute(query).unique().scalars())


def _as_datetime(sent_at):
    if isinstance(sent_at, (int, float)):
        return datetime.datetime.fromtimestamp(
            sent_at, datetime.timezone.utc).replace(tzinfo=None)
    if sent_at.tzinfo is not None:
        sent_at = sent_at.astimezone(datetime.timezone.utc)
    return sent_at.replace(tzinfo=None)


@engines.region_writer
def instance_status_update(context, instance_id, status, sent_at,
                           volume_used=None, restarts=None,
                           cluster_slots=None, replication=None):
    """Apply a guest's status report unless a newer one was applied.

    ``sent_at`` is the guest's send time (datetime, naive UTC or aware, or
    a POSIX timestamp). A message sent before the last applied one is
    ignored: messages can arrive out of order. Returns whether it applied.
    ``restarts``: the agent's own restarts of redis-server, ``{'count',
    'last_at' (POSIX time), 'last_reason'}``, already checked.
    ``cluster_slots``: the hash slots a cluster member owns.
    ``replication``: a replica's lag, ``{'bytes', 'seconds'}``, checked.
    """
    sent_at = _as_datetime(sent_at)
    session = context.session
    values = {'status': status, 'heartbeat_at': sent_at,
              'updated_at': rows.now()}
    if volume_used is not None:
        values['volume_used'] = volume_used
    if cluster_slots is not None:
        values['cluster_slots'] = cluster_slots
    if replication is not None:
        values['repl_lag_bytes'] = replication.get('bytes')
        values['repl_lag_seconds'] = replication.get('seconds')
    if restarts:
        values.update(
            datastore_restarts=restarts['count'],
            last_restart_at=(_as_datetime(restarts['last_at'])
                             if restarts.get('last_at') is not None
                             else None),
            last_restart_reason=restarts.get('last_reason'))
    result = session.execute(
        sa.update(InstanceStatus)
        .where(InstanceStatus.instance_id == instance_id,
               sa.or_(InstanceStatus.heartbeat_at.is_(None),
                      InstanceStatus.heartbeat_at < sent_at))
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount:
        return True
    if session.get(InstanceStatus, instance_id) is not None:
        return False
    # Rows made before the status row existed: create it now.
    rows.get_live(session, Instance, instance_id,
                  exceptions.InstanceNotFound)
    session.add(InstanceStatus(instance_id=instance_id, **values))
    session.flush()
    return True


@engines.region_reader
def instance_status_get(context, instance_id):
    """The status row of an instance; raises InstanceNotFound."""
    found = context.session.get(InstanceStatus, instance_id)
    if found is None:
        raise exceptions.InstanceNotFound(
            'No status for instance %s.' % instance_id)
    return found


@engines.region_reader
def instance_status_stale(context, older_than, statuses=None):
    """Status rows of live instances not heard from since ``older_than``.

    A guest never heard from counts from its instance's creation.
    ``statuses`` limits the answer to rows in those states.
    """
    query = (
        sa.select(InstanceStatus)
        .join(Instance, Instance.id == InstanceStatus.instance_id)
        .where(Instance.deleted.is_(False),
               sa.or_(InstanceStatus.heartbeat_at < older_than,
                      sa.and_(InstanceStatus.heartbeat_at.is_(None),
                              Instance.created < older_than)))
        .order_by(InstanceStatus.instance_id))
    if statuses:
        query = query.where(InstanceStatus.status.in_(list(statuses)))
    return list(context.session.execute(query).scalars())
