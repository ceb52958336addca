"""Region DB API of backups and replicas: guest reports and lookups.

Creating, reading and listing backups is in ``clusters_backups``; this
module holds what the conductor records from guests, and the replica
lookups the API views and the replica flows need.
"""

import sqlalchemy as sa

from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.main import models

Backup = models.Backup
Instance = models.Instance

# What a guest may report, and from which states: a backup only moves
# forward, so a late BUILDING never hides a COMPLETED (the "message too
# old" rule of backups, which need no timestamp for it).
_FROM = {
    'BUILDING': ('NEW',),
    'COMPLETED': ('NEW', 'BUILDING'),
    'FAILED': ('NEW', 'BUILDING'),
}
# The location is the control plane's (set at create), never a guest's.
_GUEST_FIELDS = ('size', 'checksum')


@engines.region_writer
def backup_update_from_guest(context, instance_id, backup_id, sent,
                             state=None, **values):
    """Apply a guest's report on its backup; return whether it applied.

    Only a backup of ``instance_id`` moves, and only forward (NEW ->
    BUILDING -> COMPLETED | FAILED). ``sent`` (the guest's clock) is
    accepted for the record but ordering comes from the states.
    """
    expected = _FROM.get(state)
    if expected is None:
        return False
    update = {key: values[key] for key in _GUEST_FIELDS if key in values}
    update.update(state=state, updated=rows.now())
    result = context.session.execute(
        sa.update(Backup)
        .where(Backup.id == backup_id, Backup.instance_id == instance_id,
               Backup.deleted.is_(False), Backup.state.in_(expected))
        .values(**update).execution_options(synchronize_session=False))
    return result.rowcount == 1


@engines.region_reader
def instance_replicas(context, master_ids):
    """``{master_id: [replica rows, oldest first]}`` of live replicas.

    One query whatever the number of masters, for list and show views.
    """
    master_ids = list(master_ids)
    found = {master_id: [] for master_id in master_ids}
    if not master_ids:
        return found
    query = (sa.select(Instance)
             .where(Instance.replica_of_id.in_(master_ids),
                    Instance.deleted.is_(False))
             .order_by(Instance.created, Instance.id))
    for row in context.session.execute(query).unique().scalars():
        found[row.replica_of_id].append(row)
    return found
