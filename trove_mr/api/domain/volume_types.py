"""Volume types, checked in the region that will build the volume.

A create that names no type gets its flavor's or datastore version's
(``[volume_replication]``: a "highly available" flavor on a
replication-capable type, say), else ``cinder_volume_type``.
A type the region's Cinder does not know would be accepted (202) and then
fail in the taskmanager (ERROR); it is a 400 naming the region instead.
"""

from cinderclient import exceptions as cinder_exc
from keystoneauth1 import exceptions as ks_exc

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import exceptions

CONF = cfg.CONF


def check(context, region_name, volume_type, field):
    """Refuse (400) ``volume_type`` unless the Cinder of ``region_name``
    has a type of that name or id; None (the cloud's default) passes.

    ``field`` names the request field in the message, e.g.
    ``instance.volume.type``.
    """
    if not volume_type:
        return
    cinder = clients.create_cinder_client(context, region_name)
    try:
        found = cinder.volume_types.list()
    except (ks_exc.ClientException, cinder_exc.ClientException) as exc:
        raise exceptions.ServiceUnavailable(
            'The volume service of region %s did not answer: %s'
            % (region_name, type(exc).__name__)) from exc
    if any(volume_type in (t.name, t.id) for t in found):
        return
    raise exceptions.BadRequest(
        "Invalid input for field '%s': volume type '%s' does not exist in "
        "region %s." % (field, volume_type, region_name))


def default_volume_type(version, *flavor_refs):
    """The volume type of a create that names none: the flavor's, else
    the datastore version's (``[volume_replication]``), else None."""
    by_flavor = CONF.volume_replication.flavor_volume_types
    for ref in flavor_refs:
        if str(ref) in by_flavor:
            return by_flavor[str(ref)]
    by_version = CONF.volume_replication.datastore_version_volume_types
    for key in (version.name, version.id):
        if key in by_version:
            return by_version[key]
    return None
