"""Region DB API of the service group: heartbeats of a cell's processes.

As Nova's DB service group driver: every taskmanager and conductor
process of a cell upserts its own row every ``report_interval`` seconds
and deletes it on a clean stop. A process is alive while its row was seen
within ``service_down_time`` seconds; the API counts the cell's live
taskmanagers before accepting an action.

A row is one process: ``boot_id`` is made afresh at each start, so two
processes run with the same ``host`` option are two rows.
"""

import datetime

import sqlalchemy as sa

from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.main import models

Service = models.Service


def _this_process(host, binary, boot_id):
    return (Service.host == host, Service.binary == binary,
            Service.boot_id == boot_id)


@engines.region_writer
def service_heartbeat(context, host, binary, topic, boot_id,
                      forget_stale_after=None):
    """Record that a process is alive now; return its row.

    Updates the process's row (``report_count`` + 1) or, on its first
    heartbeat, creates it. Then, with ``forget_stale_after`` (seconds),
    the rows of earlier processes of the same host and binary not seen
    for that long go: they died without a clean stop, and a process that
    still runs under that host would have kept its own row fresh.
    """
    now = rows.now()
    session = context.session
    updated = session.execute(
        sa.update(Service).where(*_this_process(host, binary, boot_id))
        .values(last_seen_up=now, topic=topic,
                report_count=Service.report_count + 1)
        .execution_options(synchronize_session=False))
    if updated.rowcount == 0:
        session.add(Service(host=host, binary=binary, topic=topic,
                            boot_id=boot_id, report_count=1,
                            disabled=False, created_at=now,
                            last_seen_up=now))
        session.flush()
        if forget_stale_after is not None:
            since = now - datetime.timedelta(seconds=forget_stale_after)
            session.execute(
                sa.delete(Service)
                .where(Service.host == host, Service.binary == binary,
                       Service.boot_id != boot_id,
                       Service.last_seen_up < since)
                .execution_options(synchronize_session=False))
    return session.execute(
        sa.select(Service).where(*_this_process(host, binary, boot_id))
        .execution_options(populate_existing=True)).scalars().one()


@engines.region_reader
def service_get_all(context, binary=None):
    """Every service row of the cell (of ``binary`` only, when given),
    alive or not, by binary, host and start time."""
    query = sa.select(Service).order_by(Service.binary, Service.host,
                                        Service.created_at, Service.id)
    if binary is not None:
        query = query.where(Service.binary == binary)
    return list(context.session.execute(query).scalars())


@engines.region_reader
def service_alive_count(context, binary, window_seconds):
    """How many enabled processes of ``binary`` were seen within the last
    ``window_seconds``: one indexed count (binary, last_seen_up)."""
    since = rows.now() - datetime.timedelta(seconds=window_seconds)
    return context.session.execute(
        sa.select(sa.func.count(Service.id))
        .where(Service.binary == binary,
               Service.last_seen_up >= since,
               Service.disabled.is_(False))).scalar_one()


@engines.region_writer
def service_delete(context, host, binary, boot_id):
    """Delete a process's row (its clean stop); return how many went."""
    result = context.session.execute(
        sa.delete(Service).where(*_this_process(host, binary, boot_id))
        .execution_options(synchronize_session=False))
    return result.rowcount
