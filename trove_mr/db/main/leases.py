"""Region DB API of the taskmanager: build leases and instance RPC keys.

A taskmanager building an instance holds a *lease* on it: ``task_owner``
names the process (``<host>:<boot id>``) and ``task_updated`` is renewed
every ``build_lease_interval`` seconds. Recovery takes over builds whose
lease lapsed with one conditional UPDATE, so two taskmanagers never clean
up the same build.

The per-instance RPC key is stored encrypted under
``inst_rpc_key_encr_key`` (purpose ``instance-key``, the instance id as
associated data, the key id in the text); only these functions see it in
clear.
"""

import sqlalchemy as sa

from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import keys
from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.main import models

CONF = cfg.CONF
Instance = models.Instance


def _live(instance_id):
    return sa.update(Instance).where(Instance.id == instance_id,
                                     Instance.deleted.is_(False))


@engines.region_writer
def instance_lease_take(context, instance_id, owner, expected_task_status,
                        expected_owner=False):
    """Make ``owner`` the builder of an instance; return whether it did.

    Only matches while the task is ``expected_task_status`` and, when
    ``expected_owner`` is given (None included), while the lease is still
    held by that owner: the compare-and-swap that lets one recovery win.
    """
    now = rows.now()
    stmt = _live(instance_id).where(
        Instance.task_status == expected_task_status)
    if expected_owner is not False:
        if expected_owner is None:
            stmt = stmt.where(Instance.task_owner.is_(None))
        else:
            stmt = stmt.where(Instance.task_owner == expected_owner)
    result = context.session.execute(
        stmt.values(task_owner=owner, task_updated=now, updated=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


@engines.region_writer
def instance_lease_renew(context, instance_ids, owner):
    """Renew ``owner``'s lease on every instance of ``instance_ids``.

    One UPDATE whatever the number of builds in progress. Returns how many
    leases were renewed.
    """
    if not instance_ids:
        return 0
    result = context.session.execute(
        sa.update(Instance)
        .where(Instance.id.in_(list(instance_ids)),
               Instance.task_owner == owner,
               Instance.deleted.is_(False))
        .values(task_updated=rows.now())
        .execution_options(synchronize_session=False))
    return result.rowcount


@engines.region_reader
def instance_builds_list(context, task_status='BUILDING'):
    """Live instances in ``task_status``, with their lease, oldest first."""
    query = (sa.select(Instance)
             .where(Instance.task_status == task_status,
                    Instance.deleted.is_(False))
             .order_by(Instance.created, Instance.id))
    return list(context.session.execute(query).unique().scalars())


def _key_ring():
    return keys.ring(keys.INSTANCE_KEY)


@engines.region_writer
def instance_rpc_key_set(context, instance_id, key):
    """Store an instance's RPC key, encrypted; InstanceNotFound if gone."""
    sealed = _key_ring().encrypt(key, instance_id.encode())
    result = context.session.execute(
        _live(instance_id).values(encrypted_rpc_key=sealed)
        .execution_options(synchronize_session=False))
    if result.rowcount == 0:
        raise exceptions.InstanceNotFound(
            'Instance %s could not be found.' % instance_id)


@engines.region_reader
def instance_rpc_key_get(context, instance_id):
    """An instance's RPC key in clear, or None when it has none.

    Deleted instances keep answering until their guest is gone, so that
    a guest being stopped can still be talked to.
    """
    sealed = context.session.execute(
        sa.select(Instance.encrypted_rpc_key)
        .where(Instance.id == instance_id)).scalar_one_or_none()
    if not sealed:
        return None
    return _key_ring().decrypt(sealed, instance_id.encode())


@engines.region_writer
def instance_rpc_keys_rewrap(context):
    """Re-encrypt every instance RPC key (deleted instances' too) under
    the current ``inst_rpc_key_encr_key``. Returns how many changed."""
    ring = _key_ring()
    count = 0
    for row in context.session.execute(
            sa.select(Instance).where(
                Instance.encrypted_rpc_key.is_not(None))).unique().scalars():
        if ring.is_current(row.encrypted_rpc_key):
            continue
        row.encrypted_rpc_key = ring.rewrap(row.encrypted_rpc_key,
                                            row.id.encode())
        count += 1
    return count


@engines.region_reader
def instance_rpc_key_ids(context):
    """{key id or 'v1': number of instance RPC keys sealed under it}."""
    return rows.key_id_counts(context.session, Instance.encrypted_rpc_key)


@engines.region_reader
def clusters_busy_since(context, tasks, older_than):
    """Live clusters in one of ``tasks`` not changed since ``older_than``,
    with the newest lease renewal of their building members (or None).
    """
    Cluster = models.Cluster
    Instance = models.Instance
    newest_lease = (
        sa.select(sa.func.max(Instance.task_updated))
        .where(Instance.cluster_id == Cluster.id,
               Instance.deleted.is_(False),
               Instance.task_status == 'BUILDING')
        .correlate(Cluster).scalar_subquery())
    query = (sa.select(Cluster, newest_lease)
             .where(Cluster.deleted.is_(False),
                    Cluster.task_name.in_(list(tasks)),
                    sa.func.coalesce(Cluster.updated, Cluster.created)
                    < older_than))
    return [(row[0], row[1]) for row in context.session.execute(query)]


@engines.region_reader
def instances_busy_since(context, tasks, older_than):
    """Live instances in one of ``tasks`` unchanged since ``older_than``,
    each with the ids of its unfinished (NEW, BUILDING) backups:
    ``[(instance, [backup id, ...]), ...]``."""
    changed = sa.func.coalesce(Instance.updated, Instance.created)
    found = list(context.session.execute(
        sa.select(Instance).where(Instance.task_status.in_(list(tasks)),
                                  Instance.deleted.is_(False),
                                  changed < older_than)
        .order_by(Instance.created, Instance.id)).unique().scalars())
    backups = {}
    if found:
        Backup = models.Backup
        for backup_id, instance_id in context.session.execute(
                sa.select(Backup.id, Backup.instance_id).where(
                    Backup.instance_id.in_([i.id for i in found]),
                    Backup.deleted.is_(False),
                    Backup.state.in_(['NEW', 'BUILDING']))):
            backups.setdefault(instance_id, []).append(backup_id)
    return [(instance, backups.get(instance.id, [])) for instance in found]
