"""Which cell owns a backup, through the API database's mappings.

Used by every call that addresses a backup by id: show, delete, and an
instance create restoring from it.
"""

from oslo_log import log as logging

from trove_mr.api.domain import scatter
from trove_mr.common import exceptions
from trove_mr.db.api import api as api_db
from trove_mr.db.api import backups as backup_mappings
from trove_mr.db.main import api as db_api

LOG = logging.getLogger(__name__)


def _not_found(backup_id):
    return exceptions.BackupNotFound('Backup %s could not be found.'
                                     % backup_id)


def backup_cell(context, backup_id, local_cell=None):
    """The region mapping of the cell owning a backup; 404 if none.

    A backup without a mapping (made before backups were mapped) is
    looked for in every cell, and mapped to the one that has it.
    ``local_cell(context)`` gives this API's own cell when no cell is
    mapped yet.
    """
    try:
        return backup_mappings.backup_mapping_get(context, backup_id)
    except exceptions.NotFound:
        pass
    mappings = api_db.region_mapping_list(context)
    if not mappings and local_cell is not None:
        mappings = [local_cell(context)]
    found, unavailable = scatter.gather(
        context, lambda cctx, mapping: _find(cctx, backup_id),
        mappings=mappings)
    owners = [(name, tenant) for name, tenant in found.items()
              if tenant is not None]
    if not owners:
        if unavailable:
            raise exceptions.ServiceUnavailable(
                'Region %s is unavailable: backup %s cannot be looked up '
                'there. Try again later.' % (', '.join(unavailable),
                                             backup_id))
        raise _not_found(backup_id)
    name, tenant = owners[0]
    mapping = next(m for m in mappings if m.name == name)
    try:
        backup_mappings.backup_mapping_create(context, backup_id,
                                              mapping.uuid, tenant)
    except exceptions.Conflict:
        return backup_mappings.backup_mapping_get(context, backup_id)
    LOG.info('Backup %s mapped to the cell of region %s', backup_id, name)
    return mapping


def _find(cctx, backup_id):
    """The tenant of a live backup in this cell, or None."""
    try:
        return db_api.backup_get(cctx, backup_id).tenant_id
    except exceptions.NotFound:
        return None
