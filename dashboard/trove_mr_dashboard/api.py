"""trove-mr's API for the signed-in user, through python-troveclient.

Every call carries the user's own token (never a service account's), sent
to the ``database`` endpoint of the catalog in the region asked for: with
one control cell per region each region publishes its own API, and any of
them lists every region's resources (global lists).
"""

import urllib.parse

from django.conf import settings
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from openstack_dashboard.api import base
from troveclient.apiclient import exceptions as trove_exceptions
from troveclient.v1 import client as trove_client

# Pages fetched at most for one list (the API caps a page at max_limit).
MAX_PAGES = 20


class Row:
    """An API resource as a table row: its JSON keys as attributes."""

    def __init__(self, info):
        self._info = info
        self.__dict__.update(info)

    def get(self, key, default=None):
        return self._info.get(key, default)


class Listing(list):
    """Rows of a list, with the regions that did not answer it."""

    def __init__(self, rows, unavailable_regions=()):
        super().__init__(rows)
        self.unavailable_regions = list(unavailable_regions or ())


def error_text(exc):
    """The API's own message of a failed call, as it answered it."""
    return getattr(exc, 'message', None) or str(exc)


def database_regions(request):
    """Sorted regions whose catalog publishes a ``database`` endpoint."""
    found = set()
    for service in request.user.service_catalog or ():
        if service.get('type') != 'database':
            continue
        for endpoint in service.get('endpoints', ()):
            region = endpoint.get('region_id') or endpoint.get('region')
            if region:
                found.add(region)
    return sorted(found)


def home_region(request):
    """The region whose API the lists and actions go to: the one chosen
    in Horizon's header when it publishes a database endpoint."""
    regions = database_regions(request)
    if not regions:
        raise trove_exceptions.EndpointNotFound(
            'No database endpoint in the service catalog.')
    chosen = getattr(request.user, 'services_region', None)
    return chosen if chosen in regions else regions[0]


def _session(request, url):
    verify = not getattr(settings, 'OPENSTACK_SSL_NO_VERIFY', False) and \
        (getattr(settings, 'OPENSTACK_SSL_CACERT', None) or True)
    return ks_session.Session(
        auth=token_endpoint.Token(url, request.user.token.id), verify=verify)


def troveclient(request, region=None):
    """A python-troveclient v1 client with the user's token."""
    region = region or home_region(request)
    url = base.url_for(request, 'database', region=region)
    return trove_client.Client(session=_session(request, url),
                               endpoint_override=url, region_name=region)


def _list(request, collection, query=None):
    """Every page of a list; the answer's ``unavailable_regions`` kept."""
    client = troveclient(request).client
    query = dict(query or {})
    rows, unavailable = [], set()
    for _page in range(MAX_PAGES):
        path = '/%s' % collection
        if query:
            path += '?' + urllib.parse.urlencode(query)
        _resp, body = client.get(path)
        rows.extend(Row(item) for item in body.get(collection, ()))
        unavailable.update(body.get('unavailable_regions') or ())
        marker = _next_marker(body)
        if not marker:
            break
        query['marker'] = marker
    return Listing(rows, sorted(unavailable))


def _next_marker(body):
    for link in body.get('links') or ():
        if link.get('rel') == 'next':
            found = urllib.parse.parse_qs(
                urllib.parse.urlparse(link['href']).query).get('marker')
            return found[0] if found else None
    return None


# -- instances --------------------------------------------------------------

def instance_list(request):
    return _list(request, 'instances')


def instance_get(request, instance_id):
    _resp, body = troveclient(request).client.get(
        '/instances/%s' % instance_id)
    return Row(body['instance'])


def instance_create(request, name, region, flavor, volume_size,
                    datastore, version, volume_type=None, backup_id=None,
                    replica_of=None):
    """POST /instances; the answer (with the password shown once)."""
    body = {'name': name, 'region': region,
            'datastore': {'type': datastore, 'version': version}}
    if flavor:
        body['flavorRef'] = flavor
    if volume_size:
        body['volume'] = {'size': volume_size}
        if volume_type:
            body['volume']['type'] = volume_type
    if backup_id:
        body['restorePoint'] = {'backupRef': backup_id}
    if replica_of:
        body['replica_of'] = replica_of
    _resp, answer = troveclient(request).client.post(
        '/instances', body={'instance': body})
    return Row(answer['instance'])


def instance_delete(request, instance_id):
    troveclient(request).instances.delete(instance_id)


def instance_restart(request, instance_id):
    troveclient(request).instances.restart(instance_id)


def instance_resize_flavor(request, instance_id, flavor):
    troveclient(request).instances.resize_instance(instance_id, flavor)


def instance_resize_volume(request, instance_id, size):
    troveclient(request).instances.resize_volume(instance_id, size)


def instance_backups(request, instance_id):
    _resp, body = troveclient(request).client.get(
        '/instances/%s/backups' % instance_id)
    return [Row(item) for item in body.get('backups', ())]


def root_enable(request, instance_id):
    """(user, password) of a newly enabled root; shown once."""
    user = troveclient(request).root.create_instance_root(instance_id)
    return user


# -- catalog: flavors, datastores, volume types -------------------------------

def flavor_list(request, region):
    _resp, body = troveclient(request).client.get(
        '/flavors?' + urllib.parse.urlencode({'region': region}))
    return sorted((Row(f) for f in body.get('flavors', ())),
                  key=lambda f: (f.ram, f.name))


def datastore_versions(request):
    """[(datastore name, version name)] of the active versions."""
    found = []
    for store in troveclient(request).datastores.list():
        for version in getattr(store, 'versions', ()):
            if version.get('active', True):
                found.append((store.name, version['name']))
    return found


def volume_type_list(request, region):
    """Names of the volume types of the Cinder of ``region``."""
    try:
        url = base.url_for(request, 'volumev3', region=region)
    except Exception:
        return []
    answer = _session(request, url).get(url + '/types', raise_exc=False)
    if answer.status_code != 200:
        return []
    return sorted(t['name'] for t in answer.json().get('volume_types', ()))


# -- clusters -----------------------------------------------------------------

def cluster_list(request):
    return _list(request, 'clusters')


def cluster_get(request, cluster_id):
    _resp, body = troveclient(request).client.get('/clusters/%s' % cluster_id)
    return Row(body['cluster'])


def cluster_create(request, name, datastore, version, members):
    """members: [{'region', 'flavor', 'volume_size'}]."""
    instances = [{'flavorRef': m['flavor'], 'volume': {
        'size': m['volume_size']}, 'region': m['region']} for m in members]
    _resp, answer = troveclient(request).client.post('/clusters', body={
        'cluster': {'name': name,
                    'datastore': {'type': datastore, 'version': version},
                    'instances': instances}})
    return Row(answer['cluster'])


def cluster_action(request, cluster_id, body):
    troveclient(request).client.post('/clusters/%s' % cluster_id, body=body)


def cluster_grow(request, cluster_id, region, flavor, volume_size,
                 member_type='master', related_to=None):
    member = {'flavorRef': flavor, 'volume': {'size': volume_size},
              'region': region, 'instance_type': member_type}
    if related_to:
        member['related_to'] = related_to
    cluster_action(request, cluster_id, {'grow': [member]})


def cluster_shrink(request, cluster_id, instance_ids):
    cluster_action(request, cluster_id,
                   {'shrink': [{'id': i} for i in instance_ids]})


def cluster_rebalance(request, cluster_id):
    cluster_action(request, cluster_id, {'rebalance': {}})


def cluster_delete(request, cluster_id):
    troveclient(request).clusters.delete(cluster_id)


# -- backups ------------------------------------------------------------------

def backup_list(request):
    return _list(request, 'backups')


def backup_get(request, backup_id):
    _resp, body = troveclient(request).client.get('/backups/%s' % backup_id)
    return Row(body['backup'])


def backup_create(request, name, instance_id, description=None):
    body = {'name': name, 'instance': instance_id}
    if description:
        body['description'] = description
    _resp, answer = troveclient(request).client.post(
        '/backups', body={'backup': body})
    return Row(answer['backup'])


def backup_delete(request, backup_id):
    troveclient(request).backups.delete(backup_id)
