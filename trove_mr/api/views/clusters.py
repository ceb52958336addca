"""Cluster views: the dicts the API answers with.

Built from the cluster row and its member rows (loaded in one query), so
rendering a cluster or a page of clusters makes no remote call.
"""

from urllib import parse

from trove_mr.api.views import cluster_standby
from trove_mr.api.views import instances as instance_views
from trove_mr.api.views import links
from trove_mr.common import states


def member_view(row, base, detail=True):
    """One member as a cluster shows it, with its region and role."""
    view = {
        'id': row.id,
        'name': row.name,
        'links': links.resource_links(base, row.tenant_id, 'instances',
                                      row.id),
        'region': row.region_name or '',
        'type': row.type or 'master',
    }
    if row.related_to:
        view['related_to'] = row.related_to
    slots = getattr(row.status, 'cluster_slots', None)
    if slots is not None:
        # As the member's guest last reported (every heartbeat).
        view['slots'] = slots
    if detail:
        full = instance_views.instance_view(row, base)
        view.update({key: full[key] for key in ('status', 'ip', 'flavor')})
        if 'volume' in full:
            view['volume'] = {'size': full['volume']['size']}
    return view


def task_of(cluster):
    """{'id', 'name', 'description'} of the cluster's task."""
    if cluster.task_name in states.CLUSTER_TASKS:
        view = states.cluster_task_view(cluster.task_name)
        if cluster.task_name in states.CLUSTER_TASKS_WITH_PROGRESS and \
                cluster.task_description:
            view['description'] = cluster.task_description
        return view
    return {'id': cluster.task_id, 'name': cluster.task_name,
            'description': cluster.task_description or ''}


def cluster_view(cluster, members, base, detail=True, password=None):
    """One cluster as redis-clustering.rst shows it, with regions."""
    version = cluster.datastore_version
    member_views = [member_view(m, base, detail) for m in members]
    view = {
        'id': cluster.id,
        'name': cluster.name,
        'task': task_of(cluster),
        'created': links.timestamp(cluster.created),
        'updated': links.timestamp(cluster.updated or cluster.created),
        'links': links.resource_links(base, cluster.tenant_id, 'clusters',
                                      cluster.id),
        'datastore': {'type': version.datastore.name,
                      'version': version.name},
        'region': cluster.region_name or '',
        'instances': member_views,
    }
    if detail:
        view['ip'] = [ip for m in member_views for ip in m.get('ip', [])]
    if password is not None:
        view['password'] = password
    cluster_standby.add_to(view, cluster, members, detail)
    return view


def list_view(clusters, members_by_cluster, base, tenant_id, next_marker,
              limit, unavailable_regions=None, path='clusters'):
    """``{"clusters": [...], "links": [next]}`` of one page; a global list
    also names the regions it could not reach."""
    answer = {'clusters': [
        cluster_view(c, members_by_cluster.get(c.id, []), base,
                     detail=False) for c in clusters]}
    if next_marker is not None:
        answer['links'] = [{
            'href': '%s/v1.0/%s/%s?%s' % (
                base, tenant_id, path, parse.urlencode(
                    [('limit', limit), ('marker', next_marker)])),
            'rel': 'next'}]
    if unavailable_regions is not None:
        answer['unavailable_regions'] = list(unavailable_regions)
    return answer
