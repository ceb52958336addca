"""Instance views: the dicts the API answers with.

Everything comes from the instance row and what was loaded with it (its
guest status and datastore version), so rendering a page of instances
makes no further query or remote call.
"""

import datetime
from urllib import parse

from oslo_serialization import jsonutils

from trove_mr.api.views import links
from trove_mr.common import cfg
from trove_mr.common import states

CONF = cfg.CONF


def _addresses(row, management=False):
    """The row's addresses; the management port's (marked when the
    instance has tenant networks) is the control plane's and only
    returned with ``management`` (admins, /mgmt)."""
    if not row.addresses:
        return []
    try:
        found = jsonutils.loads(row.addresses)
    except ValueError:
        return []
    return [a for a in found if isinstance(a, dict) and a.get('address')
            and (management or not a.get('management'))]


def management_addresses(row):
    """Every address of the instance, the management port's marked."""
    return [{'address': a['address'], 'type': a.get('type', 'private'),
             'network': a.get('network', ''),
             'management': bool(a.get('management'))}
            for a in _addresses(row, management=True)]


def status_of(row):
    """The status a user sees (task status first, then the guest's)."""
    service = row.status.status if row.status is not None else None
    status = states.display_status(row.task_status, service)
    if status == states.ACTIVE and getattr(
            row, 'configuration_restart_required', False):
        return states.RESTART_REQUIRED
    return status


def instance_view(row, base, password=None, replicas=None,
                  configuration=None):
    """One instance as multi-region-trove.rst shows it; ``replicas``:
    the rows of its replicas, when it has any; ``configuration``: the
    row of its configuration group, for its name."""
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
    view['operating_status'] = operating_status_of(row)
    view['access'] = access_of(row)
    if password is not None:
        view['password'] = password
    if getattr(row, 'configuration_id', None):
        view['configuration'] = configuration_ref(row, base, configuration)
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


# The datastore's own health, as Trove's ``operating_status`` shows it,
# from the guest's last report: HEALTHY (Redis answers PING), UNHEALTHY
# (the guest runs, Redis does not answer), SHUTDOWN (Redis stopped on
# purpose), NEW and BUILD (not prepared yet), UNKNOWN (no fresh report).
OPERATING_STATUSES = ('HEALTHY', 'UNHEALTHY', 'SHUTDOWN', 'NEW', 'BUILD',
                      'UNKNOWN')
_OPERATING = {
    states.SERVICE_RUNNING: 'HEALTHY',
    states.SERVICE_FAILED: 'UNHEALTHY',
    states.SERVICE_SHUTDOWN: 'SHUTDOWN',
    states.SERVICE_NEW: 'NEW',
    states.SERVICE_BUILD: 'BUILD',
}


def operating_status_of(row, now=None):
    """The instance's ``operating_status``, from its loaded status row.

    A report older than ``agent_heartbeat_expiry`` says nothing of now:
    UNKNOWN (NEW excepted: a guest not started yet sends none).
    """
    status = getattr(row, 'status', None)
    if status is None:
        return 'UNKNOWN'
    found = _OPERATING.get(status.status, 'UNKNOWN')
    if found in ('NEW', 'UNKNOWN'):
        return found
    now = now or datetime.datetime.now(
        datetime.timezone.utc).replace(tzinfo=None)
    expiry = datetime.timedelta(seconds=CONF.agent_heartbeat_expiry)
    heartbeat_at = getattr(status, 'heartbeat_at', None)
    if heartbeat_at is None or now - heartbeat_at > expiry:
        return 'UNKNOWN'
    return found


def access_of(row):
    """``{"is_public", "allowed_cidrs"}`` as stored (private by default).
    """
    access = {'is_public': False, 'allowed_cidrs': []}
    stored_text = getattr(row, 'access', None)
    if stored_text:
        try:
            stored = jsonutils.loads(stored_text)
        except ValueError:
            stored = {}
        if isinstance(stored, dict):
            access['is_public'] = bool(stored.get('is_public', False))
            access['allowed_cidrs'] = list(stored.get('allowed_cidrs')
                                           or [])
    return access


def configuration_ref(row, base, configuration=None):
    """``{"id", "name", "links"}`` of the configuration group applied to
    an instance (the name when the group's row is given)."""
    ref = {'id': row.configuration_id,
           'links': links.resource_links(base, row.tenant_id,
                                         'configurations',
                                         row.configuration_id)}
    if configuration is not None:
        ref['name'] = configuration.name
    return ref


def admin_fault_view(row):
    """The fault of an instance as admins see it under ``/mgmt``: the
    tenant's short ``message`` and the full ``details`` (the failure's
    type and text), or None when the instance has no fault."""
    if not row.fault_message and not row.fault_details:
        return None
    return {'message': row.fault_message or 'The instance failed.',
            'details': row.fault_details or '',
            'created': links.timestamp(row.updated or row.created)}
