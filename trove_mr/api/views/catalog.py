"""Flavor and datastore views."""

from trove_mr.api.views import links


def flavor_view(flavor, base, tenant_id, region_name):
    """A Nova flavor of a region, as Trove shows flavors."""
    flavor_id = str(flavor['id'])
    return {'id': flavor_id, 'str_id': flavor_id, 'name': flavor['name'],
            'ram': int(flavor['ram']), 'vcpus': int(flavor['vcpus']),
            'disk': int(flavor.get('disk') or 0),
            'ephemeral': int(flavor.get('ephemeral') or 0),
            'region': region_name,
            'links': links.resource_links(base, tenant_id, 'flavors',
                                          flavor_id)}


def version_view(version, base, tenant_id):
    """A datastore version (row) with its links."""
    return {'id': version.id, 'name': version.name,
            'datastore': version.datastore_id,
            'datastore_name': version.datastore.name,
            'active': bool(version.active),
            'default': bool(version.is_default),
            'image': version.image_id or version.image_name or '',
            'image_tags': [t for t in (version.image_tags or '').split(',')
                           if t],
            'packages': '',
            'version': version.name,
            'links': links.resource_links(
                base, tenant_id, 'datastores/versions', version.id)}


def datastore_view(datastore, versions, base, tenant_id):
    """A datastore with its (active) versions."""
    view = {'id': datastore.id, 'name': datastore.name,
            'links': links.resource_links(base, tenant_id, 'datastores',
                                          datastore.id),
            'versions': [{'id': v.id, 'name': v.name,
                          'version': v.name, 'active': bool(v.active),
                          'links': links.resource_links(
                              base, tenant_id, 'datastores/versions',
                              v.id)}
                         for v in versions]}
    if datastore.default_version_id:
        view['default_version'] = datastore.default_version_id
    return view
