"""Which regions exist, and whether an instance can be built in one.

multi-region-trove.rst, "Proposed Change": before building in RegionB for a
datastore version of RegionA, the control plane

#. takes the image name of the datastore version in RegionA,
#. takes that image's checksum from RegionA's Glance,
#. makes sure RegionB has a datastore version of the same name whose image
   has the same name,
#. takes the checksum of that image from RegionB's Glance,
#. makes sure both checksums are identical,
#. makes sure a flavour of the same name with the same properties exists in
   RegionB,

and only then asks RegionB's Nova for a server.

The API runs these checks once, before it accepts a create, and sends the
decision to the taskmanager as one plain, versioned payload
(:func:`placement_payload`): the region, the image and flavor ids it
resolved there, and the request the decision was made from, including
the datastore version of the target region's cell. Before it builds, the
taskmanager runs the same :func:`check_placement` on that same request
(:func:`recheck_placement`), because images and flavors can change in
between, and builds from the ids it was sent.
"""

import collections
import threading
import time

from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc
from oslo_config import cfg
from oslo_log import log as logging

from trove_mr.common import clients
from trove_mr.common import exceptions

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# What the image and the flavor resolved to in the target region.
Placement = collections.namedtuple(
    'Placement', ['region_name', 'image_id', 'image_name', 'checksum',
                  'flavor_id', 'flavor_name'])

# Version of the placement payload; a payload without one is the older
# plain {region_name, image_id, image_name, flavor_id, flavor_name}.
PLACEMENT_VERSION = 1

_FLAVOR_PROPERTIES = ('ram', 'vcpus', 'disk')
_REGIONS_TTL = 60.0
_regions_lock = threading.Lock()
_regions_cache = {'at': 0.0, 'names': ()}


def known_regions():
    """Regions with a compute endpoint in the service user's catalog.

    Read from the cached token's catalog and kept for a minute, so a create
    does not cost a Keystone round trip.
    """
    now = time.monotonic()
    with _regions_lock:
        if now - _regions_cache['at'] < _REGIONS_TTL and \
                _regions_cache['names']:
            return _regions_cache['names']
    sess = clients.service_session()
    try:
        access = sess.auth.get_access(sess)
    except ks_exc.ClientException as exc:
        raise exceptions.ServiceUnavailable(
            'Identity service unavailable: %s' % exc) from exc
    endpoints = access.service_catalog.get_endpoints(service_type='compute')
    names = sorted({ep.get('region_id') or ep.get('region')
                    for eps in endpoints.values() for ep in eps})
    with _regions_lock:
        _regions_cache.update(at=now, names=tuple(names))
    return tuple(names)


def validate_region(region_name):
    """Return the region name if the cloud knows it; 400 otherwise."""
    regions = known_regions()
    if region_name not in regions:
        raise exceptions.BadRequest(
            "Region '%s' is not known. Known regions: %s."
            % (region_name, ', '.join(regions)))
    return region_name


class _RegionCalls:
    """Turn a region's transport failures into a 503 naming the region."""

    def __init__(self, region_name):
        self.region_name = region_name

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, exceptions.TroveMRError):
            return False
        if is_unreachable(exc) or isinstance(
                exc, (ks_exc.ClientException, glance_exc.BaseException,
                      nova_exc.ClientException)):
            LOG.warning('Region %s failed a placement check: %s',
                        self.region_name, exc)
            raise exceptions.ServiceUnavailable(
                'Region %s is unavailable; try again later.'
                % self.region_name) from exc
        return False


def _image(context, region_name, image_ref):
    """An image of a region by id, or by name when ``image_ref`` is one."""
    with _RegionCalls(region_name):
        return _find_image(context, region_name, image_ref)


def _find_image(context, region_name, image_ref):
    glance = clients.create_glance_client(context, region_name)
    try:
        return glance.images.get(image_ref)
    except (glance_exc.HTTPNotFound, glance_exc.HTTPBadRequest):
        pass  # not an id: look it up by name
    found = list(glance.images.list(filters={'name': image_ref}))
    found = [i for i in found if i.get('status', 'active') == 'active']
    if not found:
        return None
    return found[0]


def find_image(context, region_name, image_ref):
    """A region's active image by id or name; None when it has none.

    Transport failures are raised as they come (the caller names them).
    """
    return _find_image(context, region_name, image_ref)


def image_in_region(context, region_name, image_ref):
    """A region's image by id or name, or None; a region that fails is a
    503 naming it."""
    return _image(context, region_name, image_ref)


def _image_ref(version):
    return version.get('image_id') or version.get('image_name')


def _flavor(context, region_name, flavor_ref):
    with _RegionCalls(region_name):
        return _find_flavor(context, region_name, flavor_ref)


def _find_flavor(context, region_name, flavor_ref):
    nova = clients.create_nova_client(context, region_name)
    try:
        return nova.flavors.get(flavor_ref)
    except nova_exc.NotFound:
        pass
    for flavor in nova.flavors.list():
        if flavor.name == flavor_ref:
            return flavor
    return None


def resolve_local(context, version, flavor_ref, region_name=None):
    """Image and flavor of a datastore version in this (the home) region."""
    region_name = region_name or CONF.region_name
    image = _image(context, region_name, _image_ref(version))
    if image is None:
        raise exceptions.BadRequest(
            "Image '%s' of datastore version '%s' does not exist in region "
            "%s." % (_image_ref(version), version['name'], region_name))
    flavor = _flavor(context, region_name, flavor_ref)
    if flavor is None:
        raise exceptions.NotFound(
            "Flavor '%s' not found in region %s." % (flavor_ref,
                                                    region_name))
    return Placement(region_name, image['id'], image['name'],
                     image.get('checksum'), flavor.id, flavor.name), flavor


def check_placement(context, version, flavor_ref, target_region,
                    target_version=None):
    """Run the seed's cross-region checks; return the target Placement.

    ``version`` is the datastore version (a dict) in the home region,
    ``target_version`` the version of the same name in the target region's
    control cell (the same one in a shared database). Raises BadRequest
    naming both regions and what differs.
    """
    home_region = CONF.region_name
    home, home_flavor = resolve_local(context, version, flavor_ref)
    if target_region == home_region:
        return home
    validate_region(target_region)
    target_version = target_version or version
    if not target_version.get('active', True):
        raise exceptions.BadRequest(
            "Datastore version '%s' is not active in region %s (it is in "
            "%s)." % (version['name'], target_region, home_region))
    target_image_name = target_version.get('image_name') or home.image_name
    if target_image_name != home.image_name:
        raise exceptions.BadRequest(
            "Datastore version '%s' uses image '%s' in region %s but '%s' "
            "in region %s." % (version['name'], home.image_name, home_region,
                               target_image_name, target_region))
    image = _image(context, target_region, home.image_name)
    if image is None:
        raise exceptions.BadRequest(
            "Image '%s' exists in region %s but not in region %s."
            % (home.image_name, home_region, target_region))
    if image.get('checksum') != home.checksum:
        raise exceptions.BadRequest(
            "Image '%s' differs between regions: checksum %s in %s, %s in "
            "%s." % (home.image_name, home.checksum, home_region,
                     image.get('checksum'), target_region))
    flavor = _flavor(context, target_region, home_flavor.name)
    if flavor is None:
        raise exceptions.BadRequest(
            "Flavor '%s' exists in region %s but not in region %s."
            % (home_flavor.name, home_region, target_region))
    differences = ['%s %s in %s, %s in %s' % (
        prop, getattr(home_flavor, prop), home_region,
        getattr(flavor, prop), target_region)
        for prop in _FLAVOR_PROPERTIES
        if getattr(home_flavor, prop) != getattr(flavor, prop)]
    if differences:
        raise exceptions.BadRequest(
            "Flavor '%s' differs between regions: %s."
            % (home_flavor.name, '; '.join(differences)))
    return Placement(target_region, image['id'], image['name'],
                     image.get('checksum'), flavor.id, flavor.name)


def version_fields(version):
    """The plain dict of a datastore version row the checks read."""
    return {'id': version.id, 'name': version.name,
            'image_id': version.image_id, 'image_name': version.image_name,
            'active': bool(version.active)}


def placement_payload(placement, version, flavor_ref, target_version=None):
    """The decision the API sends the taskmanager: plain and versioned.

    ``placement`` is :func:`check_placement`'s answer for ``version``
    (home version fields), ``flavor_ref`` and ``target_version`` (the
    version fields in the target region's cell, None when it is the home
    cell's).
    """
    return {'placement_version': PLACEMENT_VERSION,
            'region_name': placement.region_name,
            'image_id': placement.image_id,
            'image_name': placement.image_name,
            'checksum': placement.checksum,
            'flavor_id': placement.flavor_id,
            'flavor_name': placement.flavor_name,
            'request': {'version': dict(version),
                        'flavor_ref': flavor_ref,
                        'target_version': (dict(target_version)
                                           if target_version else None)}}


def decide_placement(context, version, flavor_ref, target_region,
                     target_version=None):
    """Run the checks once and return the payload to send (the API)."""
    placement = check_placement(context, version, flavor_ref,
                                target_region, target_version)
    return placement_payload(placement, version, flavor_ref, target_version)


def recheck_placement(context, payload, version=None):
    """Check a received decision again; return the payload to build from.

    The same :func:`check_placement` on the request the API decided from,
    with the same target datastore version. Images and flavors may have
    changed since: a check that now fails raises as it would have in the
    API, and an image or flavor of the target region that resolves to
    another id than the one decided raises BadRequest, so nothing is
    built from something the user was not told about. ``version`` (home
    version fields) is needed only for a payload of the older shape.
    """
    request = payload.get('request')
    if payload.get('placement_version') is None or request is None:
        # An older API: it sent the ids only; check its image and flavor
        # names from the home version, as it did.
        placement = check_placement(
            context, version, payload.get('flavor_name') or
            payload.get('flavor_id'), payload['region_name'],
            target_version=version)
        return placement_payload(placement, version, placement.flavor_name,
                                 version)
    placement = check_placement(context, request['version'],
                                request['flavor_ref'],
                                payload['region_name'],
                                request['target_version'])
    for field in ('image_id', 'flavor_id'):
        if str(getattr(placement, field)) != str(payload[field]):
            raise exceptions.BadRequest(
                "The %s of instances in region %s changed from %s to %s "
                "after the request was accepted." % (
                    field.replace('_id', ''), payload['region_name'],
                    payload[field], getattr(placement, field)))
    return payload


def reset_cache():
    with _regions_lock:
        _regions_cache.update(at=0.0, names=())


def is_unreachable(exc):
    """Whether an exception from a client means the region is down."""
    return isinstance(exc, (ks_exc.ConnectFailure, ks_exc.ConnectTimeout,
                            ks_exc.EndpointNotFound))


def find_flavor(context, region_name, flavor_ref):
    """A flavor of a region by id, else by name; None when it has none.

    Region failures raise ServiceUnavailable naming the region.
    """
    return _flavor(context, region_name, str(flavor_ref))


def flavor_name(context, region_name, flavor_id):
    """The name of flavor ``flavor_id`` in a region; None if it has none.
    """
    flavor = _flavor(context, region_name, flavor_id)
    return flavor.name if flavor is not None else None
