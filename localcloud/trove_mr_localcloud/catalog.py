"""The Keystone service catalog of the local cloud, per project.

Every service is listed for every region with public, internal and admin
endpoints (all the same URL), and project-specific URLs are resolved for
the token's project as Keystone does with ``%(project_id)s`` templates.
"""

from trove_mr_localcloud import keystone

INTERFACES = ('public', 'internal', 'admin')


def database_url_of(cloud, region_name):
    """The trove-mr API URL a region publishes, or None.

    ``cloud.database_url`` is one URL for every region, or a dict of
    region name -> URL where the None key is the default (each region's
    own API, as with one control cell per region).
    """
    urls = cloud.database_url
    if isinstance(urls, dict):
        return urls.get(region_name) or urls.get(None)
    return urls


def _services(region, project_id, database_url):
    identity = region.cloud.identity_base + '/v3'
    volume = '%s/v3/%s' % (region.endpoint('volume'), project_id)
    services = [('identity', 'keystone', identity),
                ('compute', 'nova', region.endpoint('compute') + '/v2.1'),
                ('volumev3', 'cinderv3', volume),
                ('block-storage', 'cinder', volume),
                ('image', 'glance', region.endpoint('image')),
                ('network', 'neutron', region.endpoint('network')),
                ('object-store', 'swift', '%s/v1/AUTH_%s' % (
                    region.endpoint('object'), project_id))]
    if database_url:
        url = database_url.replace('%(tenant_id)s', project_id).replace(
            '%(project_id)s', project_id)
        services.append(('database', 'trove-mr', url))
    return services


def build(cloud, project_id):
    """The catalog list for a token scoped to ``project_id``."""
    entries = {}
    for region in cloud.regions.values():
        for stype, name, url in _services(
                region, project_id, database_url_of(cloud, region.name)):
            entry = entries.setdefault(stype, {
                'type': stype, 'name': name,
                'id': keystone.stable_id('service', stype),
                'endpoints': []})
            for interface in INTERFACES:
                entry['endpoints'].append({
                    'id': keystone.stable_id(
                        'endpoint', '%s:%s:%s' % (stype, region.name,
                                                  interface)),
                    'interface': interface, 'region': region.name,
                    'region_id': region.name, 'url': url})
    return list(entries.values())
