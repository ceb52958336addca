"""Region DB API: many guests' heartbeats recorded in one transaction.

The conductor's heartbeat path: at 10,000 guests reporting every 10 s a
cell takes 1,000 heartbeats a second, and a transaction (a commit, an
fsync) per heartbeat cannot keep up. The conductor groups the heartbeats
that arrive while a write is under way (``trove_mr.conductor.status_writer``)
and records them here together, with the same rule as
``instance_status_update``: a report sent before the last applied one of
its instance is ignored.
"""

import sqlalchemy as sa

from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.main import instances
from trove_mr.db.main import models

InstanceStatus = models.InstanceStatus

# Column sets of one UPDATE statement run for many rows (executemany):
# reports are grouped by which optional values they carry.
_OPTIONAL = ('volume_used', 'datastore_restarts', 'last_restart_at',
             'last_restart_reason', 'cluster_slots', 'repl_lag_bytes',
             'repl_lag_seconds')


def _values(report, now):
    values = {'instance_id': report['instance_id'],
              'status': report['status'],
              'heartbeat_at': instances._as_datetime(report['sent_at']),
              'updated_at': now}
    if report.get('volume_used') is not None:
        values['volume_used'] = report['volume_used']
    if report.get('cluster_slots') is not None:
        values['cluster_slots'] = report['cluster_slots']
    if report.get('replication') is not None:
        values['repl_lag_bytes'] = report['replication'].get('bytes')
        values['repl_lag_seconds'] = report['replication'].get('seconds')
    restarts = report.get('restarts')
    if restarts:
        values['datastore_restarts'] = restarts['count']
        values['last_restart_at'] = (
            instances._as_datetime(restarts['last_at'])
            if restarts.get('last_at') is not None else None)
        values['last_restart_reason'] = restarts.get('last_reason')
    return values


@engines.region_writer
def instance_status_update_many(context, reports):
    """Apply many guests' status reports in one transaction.

    :param reports: dicts with ``instance_id``, ``status``, ``sent_at``
        and optionally ``volume_used``, ``restarts`` and
        ``cluster_slots`` (the arguments of
        ``instance_status_update``), at most one per instance.
    :returns: ``{instance_id: applied}``.
    """
    now = rows.now()
    by_columns = {}
    # In instance id order: two conductors writing overlapping batches
    # then lock rows in the same order and never deadlock each other.
    for report in sorted(reports, key=lambda r: r['instance_id']):
        values = _values(report, now)
        key = tuple(name for name in _OPTIONAL if name in values)
        by_columns.setdefault(key, []).append(values)
    session = context.session
    table = InstanceStatus.__table__
    matched = 0
    for columns, params in by_columns.items():
        statement = (
            sa.update(table)
            .where(table.c.instance_id == sa.bindparam('b_instance_id'),
                   sa.or_(table.c.heartbeat_at.is_(None),
                          table.c.heartbeat_at <
                          sa.bindparam('b_heartbeat_at')))
            .values({name: sa.bindparam('b_' + name) for name in
                     ('status', 'heartbeat_at', 'updated_at') + columns}))
        matched += session.execute(statement, [
            {'b_' + name: value for name, value in values.items()}
            for values in params]).rowcount
    sent = {values['instance_id']: values['heartbeat_at']
            for params in by_columns.values() for values in params}
    if matched == len(sent) and \
            session.get_bind().dialect.supports_sane_multi_rowcount:
        # Every report updated its row: all applied, nothing to look up.
        return dict.fromkeys(sent, True)
    # Which applied: the row now carries the report's send time. A
    # report whose instance has no status row yet takes the single path,
    # which creates it (or finds the instance gone).
    found = dict(session.execute(
        sa.select(table.c.instance_id, table.c.heartbeat_at)
        .where(table.c.instance_id.in_(list(sent)))).all())
    applied = {}
    for instance_id, sent_at in sent.items():
        if instance_id in found:
            applied[instance_id] = found[instance_id] == sent_at
    return applied
