"""The create-instance flow: volume, server, guest, RUNNING, ACTIVE.

Every task reverts what it built; the first task turns any revert into
task ERROR with the failure as fault message. Every wait is bounded by
one deadline, ``usage_timeout`` (``restore_usage_timeout`` when restoring
a backup) counted from the instance's creation.
"""

import taskflow.engines
from oslo_log import log as logging
from taskflow.patterns import linear_flow

from trove_mr.common import cfg
from trove_mr.db import rows
from trove_mr.flows import common
from trove_mr.flows import compute
from trove_mr.flows import database
from trove_mr.flows import guest
from trove_mr.flows import volume

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def get_flow():
    """The linear flow of one instance's build."""
    flow = linear_flow.Flow('create-instance')
    flow.add(database.MarkErrorOnRevert(),
             database.CheckPlacement(),
             guest.GenerateRpcKey(),
             volume.CreateVolume(),
             volume.WaitVolumeAvailable(),
             compute.CreateServer(),
             compute.WaitServerActive(),
             guest.WaitGuestListening(),
             guest.PrepareGuest(),
             guest.WaitGuestRunning(),
             database.MarkBuilt())
    return flow


def build_deadline(instance, backup_info=None):
    """The deadline of a build: its timeout counted from creation."""
    timeout = (CONF.restore_usage_timeout if backup_info
               else CONF.usage_timeout)
    age = (rows.now() - instance.created).total_seconds()
    deadline = common.Deadline(timeout)
    deadline.at -= max(0.0, age)
    return deadline


def run(context, instance, placement, password, backup_info=None):
    """Build ``instance`` (a row) where ``placement`` says; never raises.

    Returns True when the instance is ACTIVE, False when it ended in
    ERROR (with its fault message) or was taken away meanwhile.
    """
    store = {'context': context, 'instance_id': instance.id,
             'requested_placement': dict(placement), 'password': password,
             'backup_info': backup_info,
             'deadline': build_deadline(instance, backup_info)}
    engine = taskflow.engines.load(get_flow(), store=store,
                                   engine='serial')
    try:
        engine.run()
    except Exception:  # noqa: BLE001 - reverted and recorded as ERROR
        LOG.exception('Build of instance %s failed and was reverted',
                      instance.id)
        return False
    LOG.info('Instance %s is ACTIVE in %s', instance.id,
             placement.get('region_name'))
    return True
