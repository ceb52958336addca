"""Whether a cell can take work: the heartbeats of its taskmanagers.

Nova's service group, read by the API: an action that casts to a cell's
taskmanager is refused with 503 naming the region when no taskmanager of
that cell wrote a heartbeat within ``service_down_time`` seconds.
Otherwise the cast would wait in a queue nobody reads while the resource
sits in a task nobody works on. Callers check before changing anything.
"""

from oslo_log import log as logging

from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.db.main import api as db_api
from trove_mr.taskmanager import rpcapi as taskmanager_rpcapi

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def require_taskmanager(cctx):
    """503 naming the region unless a taskmanager of ``cctx``'s cell is
    alive.

    ``cctx`` is targeted at the owning cell (``cells.owning_cell``), or
    untargeted for this API's own cell. One indexed count in the cell's
    database.
    """
    alive = db_api.service_alive_count(cctx, taskmanager_rpcapi.BINARY,
                                       CONF.service_down_time)
    if alive:
        return
    region_name = cctx.cell_name or CONF.region_name
    LOG.warning('No taskmanager of region %s reported in the last %d s; '
                'refusing an action there', region_name,
                CONF.service_down_time)
    raise exceptions.ServiceUnavailable(
        'No taskmanager of region %s is alive; nothing was changed. Try '
        'again later.' % region_name)
