"""Region DB API of the conductor: guest heartbeat expiry.

Recording a heartbeat is ``trove_mr.db.api.instance_status_update``; this
module holds what only the conductor's periodic work needs.
"""

import sqlalchemy as sa

from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.main import models

Instance = models.Instance
InstanceStatus = models.InstanceStatus

# A guest never heard from (NEW) is still being built: the taskmanager's
# usage_timeout covers it, not the heartbeat expiry.
_NOT_EXPIRING = ('NEW', 'LOST')


@engines.region_writer
def instance_status_mark_lost(context, older_than, lost_status='LOST'):
    """Mark guests silent since ``older_than`` as ``lost_status``.

    One UPDATE whatever the number of instances: every live instance whose
    last applied heartbeat was sent before ``older_than`` (naive UTC) and
    whose status is neither NEW nor already lost. ``heartbeat_at`` is left
    alone, so that the guest's next heartbeat, if it comes back, applies.
    Returns how many instances were marked.
    """
    live = sa.select(Instance.id).where(Instance.deleted.is_(False))
    result = context.session.execute(
        sa.update(InstanceStatus)
        .where(InstanceStatus.heartbeat_at < older_than,
               InstanceStatus.status.notin_(_NOT_EXPIRING),
               InstanceStatus.instance_id.in_(live))
        .values(status=lost_status, updated_at=rows.now())
        .execution_options(synchronize_session=False))
    return result.rowcount
