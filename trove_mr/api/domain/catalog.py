"""Flavors of each region and the registered datastores.

Flavors come from the Nova of the region asked for, through the service
credentials' region-scoped client, and are kept for ``flavor_cache_ttl``
seconds per region so that listing them costs no remote call each time.
"""

import threading
import time

from keystoneauth1 import exceptions as ks_exc

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.db.main import api as db_api

CONF = cfg.CONF

FLAVOR_CACHE_TTL = 30.0
_lock = threading.Lock()
# region name -> (monotonic time fetched, [flavor dicts])
_flavor_cache = {}


def _fetch_flavors(context, region_name):
    nova = clients.create_nova_client(context, region_name)
    try:
        found = nova.flavors.list()
    except ks_exc.ClientException as exc:
        raise exceptions.ServiceUnavailable(
            'The compute service of region %s did not answer: %s'
            % (region_name, exc)) from exc
    return [{'id': str(f.id), 'name': f.name, 'ram': f.ram,
             'vcpus': f.vcpus, 'disk': f.disk,
             'ephemeral': getattr(f, 'OS-FLV-EXT-DATA:ephemeral', 0)}
            for f in found]


def flavors(context, region_name=None):
    """Flavors of a region (default: this API's), sorted by RAM then id."""
    region_name = region_name or CONF.region_name
    regions.validate_region(region_name)
    now = time.monotonic()
    with _lock:
        cached = _flavor_cache.get(region_name)
    if cached is not None and now - cached[0] < FLAVOR_CACHE_TTL:
        return cached[1]
    found = sorted(_fetch_flavors(context, region_name),
                   key=lambda f: (f['ram'], f['id']))
    with _lock:
        _flavor_cache[region_name] = (now, found)
    return found


def flavor(context, flavor_ref, region_name=None):
    """One flavor of a region, by id or by name; 404 if none."""
    region_name = region_name or CONF.region_name
    for candidate in flavors(context, region_name):
        if candidate['id'] == str(flavor_ref):
            return candidate
    for candidate in flavors(context, region_name):
        if candidate['name'] == str(flavor_ref):
            return candidate
    raise exceptions.NotFound("Flavor '%s' not found in region %s."
                              % (flavor_ref, region_name))


def reset_cache():
    """Forget cached flavors (tests)."""
    with _lock:
        _flavor_cache.clear()


def datastores(context):
    """[(datastore, [active versions])] of every datastore with one."""
    answer = []
    versions = db_api.datastore_version_list(context, only_active=True)
    for datastore in db_api.datastore_list(context):
        own = [v for v in versions if v.datastore_id == datastore.id]
        if own:
            answer.append((datastore, own))
    return answer


def datastore(context, id_or_name):
    """(datastore, [active versions]) by id or name; 404 if unknown."""
    found = db_api.datastore_get(context, id_or_name)
    return found, db_api.datastore_version_list(context, found.id,
                                                only_active=True)


def datastore_version(context, version_id, datastore_ref=None):
    """A version by id, or by name within ``datastore_ref``; 404 if none."""
    if datastore_ref is None:
        return db_api.datastore_version_get(context, version_id)
    return db_api.datastore_version_get_by_name(context, datastore_ref,
                                                version_id)
