"""``nics`` and ``access`` of a create or update, checked in the region.

Network and port ids are region-local: each is looked up in the Neutron
of the region the instance (or cluster member) is built in. An id that
does not exist there, belongs to another project, or exists in another
region instead is refused with a 400 naming the field (and both regions
for the last), before anything is written or built.
"""

import ipaddress

from keystoneauth1 import exceptions as ks_exc
from openstack import exceptions as sdk_exc
from oslo_log import log as logging

from trove_mr.api.domain import access as access_domain
from trove_mr.common import clients
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.db import cells

LOG = logging.getLogger(__name__)


def _neutron(region_name):
    return clients.create_network_client(None, region_name)


def _get(finder, ref, region_name):
    try:
        return finder(ref)
    except sdk_exc.NotFoundException:
        return None
    except (sdk_exc.SDKException, ks_exc.ClientException) as exc:
        raise exceptions.ServiceUnavailable(
            'The network service of region %s is unavailable: %s'
            % (region_name, exc)) from exc


def _elsewhere(kind, ref, region_name):
    """Another region where a network or port ``ref`` exists, or None."""
    for other in regions.known_regions():
        if other == region_name:
            continue
        try:
            neutron = _neutron(other)
            finder = neutron.get_network if kind == 'network' \
                else neutron.get_port
            if _get(finder, ref, other) is not None:
                return other
        except exceptions.ServiceUnavailable:
            continue
    return None


def _refuse(where, kind, ref, region_name, why=None):
    if why is None:
        other = _elsewhere(kind, ref, region_name)
        if other:
            why = ('%s %s is in region %s, not in region %s where the '
                   'instance is built (ids are region-local)'
                   % (kind, ref, other, region_name))
        else:
            why = '%s %s does not exist in region %s' % (kind, ref,
                                                        region_name)
    raise exceptions.BadRequest("Invalid input for field '%s': %s."
                                % (where, why))


def _subnet_network(neutron, nic, where, region_name):
    """The network of a nic's ``subnet_id`` (checked like a network)."""
    subnet = _get(neutron.get_subnet, nic['subnet_id'], region_name)
    if subnet is None:
        _refuse(where + '.subnet_id', 'subnet', nic['subnet_id'],
                region_name, 'subnet %s does not exist in region %s'
                % (nic['subnet_id'], region_name))
    if nic.get('net-id', nic.get('network_id')) not in (
            None, subnet.network_id):
        _refuse(where + '.subnet_id', 'subnet', nic['subnet_id'],
                region_name, 'subnet %s is not on the network given'
                % nic['subnet_id'])
    return subnet.network_id


def check_nics(tenant_id, nics, region_name, field):
    """[{network_id, subnet_id, port_id, fixed_ip}] of a request's
    ``nics``."""
    checked = []
    if not nics:
        return checked
    neutron = _neutron(region_name)
    for index, nic in enumerate(nics):
        net_key = 'net-id' if 'net-id' in nic else 'network_id'
        net_id = nic.get(net_key)
        port_id = nic.get('port-id') or nic.get('port_id')
        fixed_ip = nic.get('v4-fixed-ip') or nic.get('ip_address')
        where = '%s[%d]' % (field, index)
        if nic.get('subnet_id') and not port_id:
            net_id = net_id or _subnet_network(neutron, nic, where,
                                               region_name)
        if not net_id and not port_id:
            raise exceptions.BadRequest(
                "Invalid input for field '%s': a net-id or a port-id is "
                "required." % where)
        if port_id:
            port = _get(neutron.get_port, port_id, region_name)
            if port is None:
                _refuse(where + '.port-id', 'port', port_id, region_name)
            if port.project_id != tenant_id:
                _refuse(where + '.port-id', 'port', port_id, region_name,
                        'port %s belongs to another project' % port_id)
            if port.device_id:
                _refuse(where + '.port-id', 'port', port_id, region_name,
                        'port %s is in use by %s' % (port_id,
                                                     port.device_id))
            checked.append({'port_id': port.id})
            continue
        network = _get(neutron.get_network, net_id, region_name)
        if network is None:
            _refuse('%s.%s' % (where, net_key), 'network', net_id,
                    region_name)
        if network.project_id != tenant_id and not network.is_shared:
            _refuse('%s.%s' % (where, net_key), 'network', net_id,
                    region_name, 'network %s belongs to another project'
                    % net_id)
        if fixed_ip:
            try:
                ipaddress.ip_address(fixed_ip)
            except ValueError:
                raise exceptions.BadRequest(
                    "Invalid input for field '%s.v4-fixed-ip': '%s' is not "
                    "an IP address." % (where, fixed_ip)) from None
        entry = {'network_id': network.id, 'fixed_ip': fixed_ip}
        if nic.get('subnet_id'):
            entry['subnet_id'] = nic['subnet_id']
        checked.append(entry)
    return checked


def check_access(access, field):
    """``access`` with each CIDR checked and normalised, or None."""
    if not access:
        return None
    checked = {}
    if 'is_public' in access:
        checked['is_public'] = bool(access['is_public'])
    if access.get('allowed_cidrs') is not None:
        cidrs = []
        for index, cidr in enumerate(access['allowed_cidrs']):
            try:
                net = ipaddress.ip_network(str(cidr).strip(), strict=False)
            except ValueError:
                raise exceptions.BadRequest(
                    "Invalid input for field '%s.allowed_cidrs[%d]': '%s' "
                    "is not a CIDR." % (field, index, cidr)) from None
            if str(net) not in cidrs:
                cidrs.append(str(net))
        checked['allowed_cidrs'] = cidrs
    return checked


def request(tenant_id, body, region_name, field='instance'):
    """The ``network`` entry of a placement: {nics, access}, or None
    when the request asks for neither."""
    nics = check_nics(tenant_id, body.get('nics'), region_name,
                      field + '.nics')
    access = check_access(body.get('access'), field + '.access')
    if not nics and not access:
        return None
    return {'nics': nics, 'access': access}


def apply_access(context, row, mapping, taskmanager_api):
    """Ask the owning cell's taskmanager to apply the access stored on
    ``row`` to the instance's security group and floating IP."""
    access = access_domain.stored_of(row) or dict(access_domain.PRIVATE)
    with cells.owning_cell(context, mapping) as cctx:
        taskmanager_api.update_access(cctx, row.id, access)
