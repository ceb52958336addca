"""Limits and quotas: what a project may use, and what it uses.

Limits and usage of instances and volumes are in the API database (one
read each); backups are counted in the cells that own them (one count
per cell, in parallel).
"""

from trove_mr.api.domain import scatter
from trove_mr.common import exceptions
from trove_mr.db.api import quotas
from trove_mr.db.main import api as db_api


def backups_in_use(context, project_id):
    """How many live backups a project has, over every cell.

    A cell that does not answer counts nothing (its name is logged by
    the scatter-gather).
    """
    found, _unavailable = scatter.gather(
        context, lambda cctx, mapping: db_api.backup_count(cctx,
                                                           project_id))
    return sum(found.values())


def usage(context, project_id):
    """``{resource: {'limit', 'in_use', 'reserved'}}`` of a project."""
    hard = quotas.limits(context, project_id)
    in_use = quotas.usages(context, project_id)
    in_use[quotas.BACKUPS] = backups_in_use(context, project_id)
    return {resource: {'limit': hard[resource],
                       'in_use': in_use[resource], 'reserved': 0}
            for resource in quotas.RESOURCES}


def update(context, project_id, new_limits):
    """Override limits of a project; ``{resource: limit}`` as set.

    Every resource is checked before any is written: an unknown resource
    is a 400 naming it and nothing changes.
    """
    for resource in sorted(new_limits):
        if resource not in quotas.RESOURCES:
            raise exceptions.BadRequest(
                "Invalid input for field 'quotas.%s': unknown resource; "
                "known resources are %s." % (resource,
                                             ', '.join(quotas.RESOURCES)))
    return quotas.set_limits(context, project_id, new_limits)
