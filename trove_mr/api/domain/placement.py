"""Where an instance or a cluster member is built: decided once, here.

The decision (``regions.placement_payload``) is what the API casts to the
taskmanager; the taskmanager checks it again with the same function on
the same request before it builds.
"""

from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF


def target_version(context, version, region_name, home_cell):
    """The fields of the version of the same name in the target's cell.

    When the target region has a cell of its own, its database must know
    the version too (the seed's step 3); a shared cell serves both, and
    then this is None (the home version is the target's).
    """
    try:
        mapping = api_db.region_mapping_get(context, region_name)
    except exceptions.RegionMappingNotFound:
        return None
    if mapping.uuid == home_cell.uuid:
        return None
    with cells.target_cell(context, mapping) as cctx:
        try:
            other = db_api.datastore_version_get_by_name(
                cctx, version.datastore.name, version.name)
        except exceptions.NotFound:
            raise exceptions.BadRequest(
                "Datastore version '%s' of '%s' exists in region %s but not "
                "in region %s." % (version.name, version.datastore.name,
                                   CONF.region_name, region_name)) from None
        return regions.version_fields(other)


def decide(context, version, flavor_ref, region_name, home_cell):
    """The placement payload of one build of ``version`` in a region.

    ``version`` is the home cell's datastore version row. Raises the
    seed's 4xx naming the region and what differs.
    """
    return regions.decide_placement(
        context, regions.version_fields(version), str(flavor_ref),
        region_name, target_version(context, version, region_name,
                                    home_cell))
