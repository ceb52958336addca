"""Quotas of a project, in the API database.

Three resources have a hard limit per project: ``instances`` (one per
instance), ``volumes`` (GB) and ``backups``. The limit is the project's
override (``quotas`` table, set by an admin) or the configured default;
a negative limit means unlimited. Instances and volumes are counted in
``quota_usages``: a reservation is one conditional UPDATE per resource,
so concurrent creates in every API worker never overshoot. Backups are
counted in the cells that own them.
"""

from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db.api import api as api_db

CONF = cfg.CONF

INSTANCES = 'instances'
VOLUMES = 'volumes'
BACKUPS = 'backups'
# Every resource with a quota, in the order quota views list them.
RESOURCES = (BACKUPS, INSTANCES, VOLUMES)


def defaults():
    """{resource: default hard limit}, from the configuration."""
    return {INSTANCES: CONF.max_instances_per_tenant,
            VOLUMES: CONF.max_volumes_per_tenant,
            BACKUPS: CONF.max_backups_per_tenant}


def limits(context, project_id):
    """{resource: hard limit} of a project: its overrides, else defaults."""
    found = defaults()
    overrides = api_db.quota_get_all(context, project_id)
    found.update((resource, overrides[resource])
                 for resource in RESOURCES if resource in overrides)
    return found


def hard_limit(context, project_id, resource):
    """A project's hard limit of one resource (negative: unlimited)."""
    return limits(context, project_id)[resource]


def usages(context, project_id):
    """{resource: in use} of the resources counted here (not backups)."""
    counted = api_db.quota_usage_get_all(context, project_id)
    return {INSTANCES: counted.get(INSTANCES, 0),
            VOLUMES: counted.get(VOLUMES, 0)}


@engines.api_writer
def set_limits(context, project_id, new_limits):
    """Override a project's limits (``{resource: limit}``), in one
    transaction; returns what was set."""
    for resource, limit in sorted(new_limits.items()):
        api_db.quota_set(context, project_id, resource, limit)
    return dict(new_limits)


def reserve(context, project_id, volume_size):
    """Count one instance and ``volume_size`` GB; 413 past the limits."""
    hard = limits(context, project_id)
    try:
        api_db.quota_reserve(context, project_id, INSTANCES, 1,
                             hard[INSTANCES])
    except exceptions.QuotaExceeded:
        raise exceptions.QuotaExceeded(
            'Quota exceeded for instances: project %s may have at most '
            '%d instances.' % (project_id, hard[INSTANCES])) from None
    if not volume_size:
        return
    try:
        api_db.quota_reserve(context, project_id, VOLUMES, volume_size,
                             hard[VOLUMES])
    except exceptions.QuotaExceeded:
        api_db.quota_release(context, project_id, INSTANCES, 1)
        raise exceptions.QuotaExceeded(
            'Quota exceeded for volumes: asked for %d GB, project %s may '
            'use at most %d GB in all.' % (volume_size, project_id,
                                           hard[VOLUMES])) from None


def release(context, project_id, volume_size):
    """Give back what :func:`reserve` counted."""
    api_db.quota_release(context, project_id, INSTANCES, 1)
    if volume_size:
        api_db.quota_release(context, project_id, VOLUMES, volume_size)


@engines.api_writer
def release_instance(context, instance_id, project_id, volume_size):
    """Forget an instance's mapping and give its quota back, once.

    One API database transaction: the mapping's removal is the proof that
    the quota was given back, so a delete run again after its
    taskmanager died (or two deletes at once) never gives it twice.
    Returns False when the mapping was gone already.
    """
    try:
        api_db.instance_mapping_delete(context, instance_id)
    except exceptions.ResourceMappingNotFound:
        return False
    release(context, project_id, volume_size)
    return True
