"""Backup strategies: the default Swift container of a project's
backups, or of one instance's, kept in the API database (shared by every
region). A backup create that names no container uses the instance's
strategy, else the project's, else ``backup_swift_container``."""

from trove_mr.api.domain import instances as instance_domain
from trove_mr.db import cells
from trove_mr.db.api import backups as backup_db
from trove_mr.db.main import api as db_api


def _check_instance(context, project_id, instance_id):
    """404 unless ``instance_id`` is a live instance of the project."""
    mapping = instance_domain.instance_cell(context, instance_id)
    with cells.owning_cell(context, mapping) as cctx:
        db_api.instance_get(cctx, instance_id, tenant_id=project_id)


def create(context, project_id, instance_id, swift_container):
    """Set (create or replace) a strategy; returns it."""
    if instance_id:
        _check_instance(context, project_id, instance_id)
    return backup_db.backup_strategy_set(context, project_id, instance_id,
                                         swift_container)


def list_strategies(context, project_id, instance_id=None):
    """The project's strategies (the instance's only, when given)."""
    return backup_db.backup_strategy_list(context, project_id, instance_id)


def delete(context, project_id, instance_id=None):
    """Delete the project's (or the instance's) strategy; 404 if none."""
    backup_db.backup_strategy_delete(context, project_id, instance_id)
