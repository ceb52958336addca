"""Configuration group and parameter views, as Trove shows them."""

from urllib import parse

from trove_mr.api.views import links
from trove_mr.db.api import configurations as groups_db


def _plain(number):
    if number is None:
        return None
    return int(number) if float(number).is_integer() else number


def configuration_view(row, base, detail=False, instance_count=None):
    """One group; ``detail`` adds its values (and the instance count)."""
    view = {'id': row.id, 'name': row.name,
            'description': row.description,
            'datastore_version_id': row.datastore_version_id,
            'datastore_name': row.datastore_name,
            'datastore_version_name': row.datastore_version_name,
            'datastore_version_number': row.datastore_version_name,
            'created': links.timestamp(row.created),
            'updated': links.timestamp(row.updated or row.created),
            'links': links.resource_links(base, row.tenant_id,
                                          'configurations', row.id)}
    if detail:
        view['values'] = groups_db.values_of(row)
    if instance_count is not None:
        view['instance_count'] = instance_count
    return view


def _next_link(base, tenant_id, path, limit, next_marker):
    return [{'href': '%s/v1.0/%s/%s?%s' % (
        base, tenant_id, path,
        parse.urlencode([('limit', limit), ('marker', next_marker)])),
        'rel': 'next'}]


def list_view(rows, base, tenant_id, next_marker, limit):
    """``{"configurations": [...], "links": [next]}``."""
    answer = {'configurations': [configuration_view(r, base) for r in rows]}
    if next_marker is not None:
        answer['links'] = _next_link(base, tenant_id, 'configurations',
                                     limit, next_marker)
    return answer


def instances_view(configuration_id, rows, base, tenant_id, next_marker,
                   limit):
    """The instances a group is applied to: id, name, region, links."""
    answer = {'instances': [
        {'id': r.id, 'name': r.name, 'region': r.region_name or '',
         'links': links.resource_links(base, r.tenant_id, 'instances',
                                       r.id)}
        for r in rows]}
    if next_marker is not None:
        answer['links'] = _next_link(
            base, tenant_id, 'configurations/%s/instances'
            % configuration_id, limit, next_marker)
    return answer


def parameter_view(parameter):
    """A parameter of a datastore version (a dict of the DB API)."""
    view = {'name': parameter['name'], 'type': parameter['data_type'],
            'restart_required': parameter['restart_required'],
            'datastore_version_id': parameter['datastore_version_id']}
    for key, field in (('min', 'min_size'), ('max', 'max_size')):
        if parameter.get(field) is not None:
            view[key] = _plain(parameter[field])
    if parameter.get('allowed_values'):
        view['allowed_values'] = list(parameter['allowed_values'])
    if parameter.get('pattern'):
        view['pattern'] = parameter['pattern']
    return view
