"""Instance views: the dicts the API answers with.

Everything comes from the instance row and what was loaded with it (its
guest status and datastore version), so rendering a page of instances
makes no further query or remote call.
"""

from urllib import parse

from oslo_serialization import jsonutils

from trove_mr.api.views import links
from trove_mr.common import states


def _addresses(row):
    if not row.addresses:
        return []
    try:
        found = jsonutils.loads(row.addresses)
    except ValueError:
        return []
    # The management port's address (marked when the instance has tenant
    # networks) is the control plane's, never shown to tenants.
    return [a for a in found if isinstance(a, dict) and a.get('address')
            and not a.get('management')]


def status_of(row):
    """The status a user sees (task status first, then the guest's)."""
    service = row.status.status if row.status is not None else None
    return states.display_status(row.task_status, service)


def instance_view(row, base, password=None, replicas=None):
    """One instance as multi-region-trove.rst shows it; ``replicas``:
    the rows of its replicas, when it has any."""
    addresses = _addresses(row)
    version = row.datastore_version
    view = {
        'id': row.id,
        'name': row.name,
        'status': status_of(row),
        'links': links.resource_links(base, row.tenant_id, 'instances',
                                      row.id),
        'flavor': {'id': str(row.flavor_id),
                   'links': links.resource_links(base, row.tenant_id,
                                                 'flavors', row.flavor_id)},
        'datastore': {'type': version.datastore.name,
                      'version': version.name},
        'region': row.region_name or '',
        'created': links.timestamp(row.created),
        'updated': links.timestamp(row.updated or row.created),
        'ip': [a['address'] for a in addresses],
        'addresses': [{'address': a['address'],
                       'type': a.get('type', 'private'),
                       'network': a.get('network', '')}
                      for a in addresses],
    }
    if row.volume_size:
        volume = {'size': row.volume_size}
        if row.status is not None and row.status.volume_used is not None:
            volume['used'] = row.status.volume_used
        view['volume'] = volume
    if view['status'] == states.ERROR:
        view['fault'] = {
            'message': row.fault_message or 'The instance failed.',
            'created': links.timestamp(row.updated or row.created)}
    if row.replica_of_id:
        view['replica_of'] = {
            'id': row.replica_of_id,
            'links': links.resource_links(base, row.tenant_id, 'instances',
                                          row.replica_of_id)}
    if replicas:
        view['replicas'] = [
            {'id': r.id, 'name': r.name, 'region': r.region_name or '',
             'links': links.resource_links(base, r.tenant_id, 'instances',
                                           r.id)}
            for r in replicas]
    if row.cluster_id:
        view['cluster_id'] = row.cluster_id
    if password is not None:
        view['password'] = password
    return view


def list_view(rows, base, tenant_id, next_marker, limit, query=None,
              unavailable_regions=None):
    """``{"instances": [...], "links": [next]}`` of one page.

    A global list also carries ``unavailable_regions``: the regions whose
    cell did not answer, so the page may lack their instances.
    """
    answer = {'instances': [instance_view(row, base) for row in rows]}
    if unavailable_regions is not None:
        answer['unavailable_regions'] = list(unavailable_regions)
    if next_marker is not None:
        params = dict(query or {})
        params.update(limit=limit, marker=next_marker)
        answer['links'] = [{
            'href': '%s/v1.0/%s/instances?%s' % (
                base, tenant_id, parse.urlencode(sorted(params.items()))),
            'rel': 'next'}]
    return answer
