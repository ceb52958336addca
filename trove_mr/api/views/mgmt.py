"""Admin views: instances with where they run, quotas, limits.

An admin instance is the instance view plus what only operators see:
the project, the Nova server (id and compute host), the Cinder volume,
the task, and the full fault with its details.
"""

from urllib import parse

from trove_mr.api.views import instances as instance_views
from trove_mr.api.views import links


def mgmt_instance_view(row, base, host=None, server=None):
    """One instance of any project as an admin sees it.

    ``server``: what Nova said of it (``host``, ``status``, ``name``),
    for show; a list passes only the ``host``.
    """
    view = instance_views.instance_view(row, base)
    server = dict(server or {})
    host = server.get('host', host)
    view.update({
        'tenant_id': row.tenant_id,
        'server_id': row.server_id or '',
        'volume_id': row.volume_id or '',
        'host': host or '',
        'task_description': row.task_status,
        'deleted': bool(row.deleted),
        'deleted_at': links.timestamp(row.deleted_at),
        'server': {'id': row.server_id or '', 'host': host or '',
                   'status': server.get('status', ''),
                   'name': server.get('name', '')},
    })
    if 'volume' in view:
        view['volume']['id'] = row.volume_id or ''
    # Admins also see the management port's address.
    view['addresses'] = instance_views.management_addresses(row)
    view['ip'] = [a['address'] for a in view['addresses']]
    restarts = _datastore_restarts(row)
    if restarts is not None:
        view['datastore_restarts'] = restarts
    if row.fault_message:
        view['fault'] = {
            'message': row.fault_message,
            'details': row.fault_details or '',
            'created': links.timestamp(row.updated or row.created)}
    return view


def _datastore_restarts(row):
    """``{count, last_restart_at, last_restart_reason}``: the guest agent's
    own restarts of redis-server, when it made any."""
    status = getattr(row, 'status', None)
    if status is None or not status.datastore_restarts:
        return None
    return {'count': status.datastore_restarts,
            'last_restart_at': links.timestamp(status.last_restart_at),
            'last_restart_reason': status.last_restart_reason or ''}


def mgmt_list_view(rows, hosts, base, tenant_id, next_marker, limit,
                   query=None, unavailable_regions=None):
    """``{"instances": [...], "links": [next]}`` of one admin page."""
    answer = {'instances': [
        mgmt_instance_view(row, base, host=hosts.get(row.server_id))
        for row in rows]}
    if unavailable_regions is not None:
        answer['unavailable_regions'] = list(unavailable_regions)
    if next_marker is not None:
        params = dict(query or {})
        params.update(limit=limit, marker=next_marker)
        answer['links'] = [{
            'href': '%s/v1.0/%s/mgmt/instances?%s' % (
                base, tenant_id, parse.urlencode(sorted(params.items()))),
            'rel': 'next'}]
    return answer


def quota_view(usage):
    """``{"quotas": [{resource, in_use, reserved, limit}, ...]}``."""
    return {'quotas': [dict(resource=resource, **usage[resource])
                       for resource in sorted(usage)]}


def limits_view(usage):
    """Trove's ``{"limits": [absolute limits]}``, with the usage.

    The first (only) entry has verb ABSOLUTE; rate limits, which this
    API does not impose, would follow it.
    """
    absolute = {'verb': 'ABSOLUTE'}
    for resource, counts in sorted(usage.items()):
        absolute['max_%s' % resource] = counts['limit']
        absolute['used_%s' % resource] = counts['in_use']
    return {'limits': [absolute]}
