"""Quota reservations of instance creates, in the API database.

Two resources are counted per project: ``instances`` (one per instance)
and ``volumes`` (GB). A reservation is one conditional UPDATE per
resource, so concurrent creates in every API worker never overshoot.
"""

from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db.api import api as api_db

CONF = cfg.CONF

INSTANCES = 'instances'
VOLUMES = 'volumes'


def limits(context, project_id):
    """{resource: hard limit} of a project: its overrides, else defaults."""
    overrides = api_db.quota_get_all(context, project_id)
    return {INSTANCES: overrides.get(INSTANCES,
                                     CONF.max_instances_per_tenant),
            VOLUMES: overrides.get(VOLUMES, CONF.max_volumes_per_tenant)}


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
