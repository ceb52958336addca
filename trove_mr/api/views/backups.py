"""Backup views: the dicts the API answers with."""

from urllib import parse

from trove_mr.api.views import links


def backup_view(row, versions=None):
    """One backup; ``versions`` maps datastore version ids to rows."""
    version = (versions or {}).get(row.datastore_version_id)
    datastore = {}
    if version is not None:
        datastore = {'type': version.datastore.name,
                     'version': version.name,
                     'version_id': version.id}
    return {
        'id': row.id,
        'name': row.name,
        'description': row.description,
        'instance_id': row.instance_id,
        'status': row.state,
        'size': row.size,
        'checksum': row.checksum,
        'location': row.location,
        # Upstream Trove's name, which python-troveclient shows.
        'locationRef': row.location,
        'region': row.region_name or '',
        'datastore': datastore,
        'parent_id': None,
        'created': links.timestamp(row.created),
        'updated': links.timestamp(row.updated or row.created),
    }


def list_view(rows, base, path, next_marker, limit, versions=None,
              unavailable_regions=None):
    """``{"backups": [...], "links": [next]}`` of one page; a global list
    also names the regions it could not reach."""
    answer = {'backups': [backup_view(row, versions) for row in rows]}
    if next_marker is not None:
        answer['links'] = [{
            'href': '%s%s?%s' % (base, path, parse.urlencode(
                sorted({'limit': limit, 'marker': next_marker}.items()))),
            'rel': 'next'}]
    if unavailable_regions is not None:
        answer['unavailable_regions'] = list(unavailable_regions)
    return answer
