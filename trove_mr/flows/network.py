"""Neutron in an instance's region: its ports, security group, floating IP.

As upstream Trove, every server is plugged into ports made before it is
booted: one per tenant network of the request's ``nics`` (or the tenant's
own port), and one on the region's management network (the guest reaches
the bus over it). The tenant-facing ports come first: the datastore binds
to the first port's address, so tenants reach it at the address they are
shown. One security group per instance
(``trove-mr-<id>``) goes on the tenant-facing ports (the ``nics`` ports,
or the management port when there are none) and opens the datastore's
ports (Redis and its cluster bus) to ``access.allowed_cidrs``, by default
the CIDRs of the tenant-facing networks. ``access.is_public`` adds a
floating IP from the region's external network on the first tenant-facing
port.

Everything is found again by name (ports and the floating IP carry
``trove-mr-<id>`` as description, the group as name), so each task can
run again after a taskmanager died, and a delete finds what a half-built
instance left.
"""

import ipaddress

from openstack import exceptions as sdk_exc
from oslo_log import log as logging
from oslo_serialization import jsonutils
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.db.main import api as db_api
from trove_mr.flows import common
from trove_mr.flows import engine

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def _neutron(context, region_name):
    return clients.create_network_client(context, region_name)


def tag(instance_id):
    """Name of the group, description of the ports and floating IP."""
    return common.resource_name(instance_id)


def datastore_ports():
    """TCP ports the group opens: Redis and its cluster bus."""
    port = CONF.redis.redis_port
    return (port, port + 10000)


def management_network(neutron, region_name):
    """The id of the region's management network, or None.

    ``[network] management_networks_by_region`` names it per region;
    otherwise the first id of ``management_networks`` that exists in the
    region (ids are region-local, so one list can hold every region's).
    """
    wanted = CONF.network.management_networks_by_region.get(region_name)
    for net_id in [wanted] if wanted else CONF.management_networks:
        if neutron.find_network(net_id, ignore_missing=True) is not None:
            return net_id
    if wanted:
        raise common.StepFailed('The management network %s of region %s '
                                'does not exist.' % (wanted, region_name))
    return None


def _group(neutron, instance_id):
    groups = list(neutron.security_groups(name=tag(instance_id)))
    return groups[0] if groups else None


def _own_ports(neutron, instance_id):
    return {p.name: p for p in neutron.ports(description=tag(instance_id))}


def _ensure_port(neutron, found, name, network_id, groups, instance_id,
                 fixed_ip=None, subnet_id=None):
    port = found.get(name)
    if port is not None:
        return port
    attrs = {'name': name, 'network_id': network_id,
             'description': tag(instance_id)}
    if groups is not None:
        attrs['security_group_ids'] = groups
    fixed = {k: v for k, v in (('ip_address', fixed_ip),
                               ('subnet_id', subnet_id)) if v}
    if fixed:
        attrs['fixed_ips'] = [fixed]
    return neutron.create_port(**attrs)


def _management_groups(neutron):
    groups = []
    for ref in CONF.management_security_groups:
        group = neutron.find_security_group(ref, ignore_missing=True)
        if group is None:
            raise common.StepFailed('Management security group %s does not '
                                    'exist.' % ref)
        groups.append(group.id)
    return groups or None


def wanted_rules(cidrs):
    """(ethertype, port, cidr) of every ingress rule the group needs."""
    rules = set()
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr, strict=False)
        for port in datastore_ports():
            rules.add(('IPv%d' % net.version, port, str(net)))
    return rules


def sync_rules(neutron, group, cidrs):
    """Make the group's ingress rules exactly ``wanted_rules(cidrs)``."""
    wanted = wanted_rules(cidrs)
    for rule in list(neutron.security_group_rules(
            security_group_id=group.id, direction='ingress')):
        key = (rule.ether_type, rule.port_range_min,
               str(ipaddress.ip_network(rule.remote_ip_prefix))
               if rule.remote_ip_prefix else None)
        if key in wanted and rule.protocol == 'tcp' and \
                rule.port_range_min == rule.port_range_max:
            wanted.discard(key)
        elif not rule.remote_group_id:
            neutron.delete_security_group_rule(rule, ignore_missing=True)
    for ethertype, port, cidr in sorted(wanted):
        try:
            neutron.create_security_group_rule(
                security_group_id=group.id, direction='ingress',
                ether_type=ethertype, protocol='tcp', port_range_min=port,
                port_range_max=port, remote_ip_prefix=cidr)
        except sdk_exc.ConflictException:
            pass  # made by an earlier run


def floating_network(neutron):
    """The external network floating IPs come from."""
    if CONF.network.floating_network:
        network = neutron.find_network(CONF.network.floating_network,
                                       ignore_missing=True)
        if network is None:
            raise common.StepFailed('The floating network %s does not '
                                    'exist.' % CONF.network.floating_network)
        return network
    externals = sorted(neutron.networks(is_router_external=True),
                       key=lambda n: n.name or '')
    if not externals:
        raise common.StepFailed('No external network to take a floating IP '
                                'from.')
    return externals[0]


def sync_floating_ip(neutron, instance_id, port_id, public):
    """One floating IP on ``port_id`` when public, none otherwise."""
    found = list(neutron.ips(description=tag(instance_id)))
    if not public or port_id is None:
        for fip in found:
            neutron.delete_ip(fip, ignore_missing=True)
        return None
    if found:
        fip = found[0]
        for extra in found[1:]:
            neutron.delete_ip(extra, ignore_missing=True)
        if fip.port_id != port_id:
            fip = neutron.update_ip(fip, port_id=port_id)
        return fip.floating_ip_address
    fip = neutron.create_ip(floating_network_id=floating_network(neutron).id,
                            port_id=port_id, description=tag(instance_id))
    return fip.floating_ip_address


def _tenant_facing(neutron, instance_id):
    """Ids of the ports carrying the instance's group, nics first."""
    group = _group(neutron, instance_id)
    if group is None:
        return []
    ports = neutron.ports(security_group_ids=[group.id])
    return [p.id for p in sorted(ports, key=lambda p: (
        p.name == tag(instance_id) + '-mgmt', p.name or ''))]


def _subnet_cidrs(neutron, port_ids):
    cidrs = []
    for port_id in port_ids:
        port = neutron.get_port(port_id)
        for fixed in port.fixed_ips or []:
            subnet = neutron.get_subnet(fixed['subnet_id'])
            if subnet.cidr not in cidrs:
                cidrs.append(subnet.cidr)
    return cidrs


def apply_access(context, region_name, instance_id, access,
                 partial=False):
    """Rules and floating IP of ``access`` on an instance's group.

    ``partial``: an update, where a field the request left out keeps
    what is in force; otherwise a missing field takes its default (not
    public; the tenant-facing networks' CIDRs). An empty
    ``allowed_cidrs`` is the default too.
    """
    access = access or {}
    neutron = _neutron(context, region_name)
    group = _group(neutron, instance_id)
    if group is None:
        return None  # built without networks: nothing to enforce on
    facing = _tenant_facing(neutron, instance_id)
    applied = {}
    if not partial or access.get('allowed_cidrs') is not None:
        cidrs = access.get('allowed_cidrs') or \
            _subnet_cidrs(neutron, facing)
        sync_rules(neutron, group, cidrs)
        applied['allowed_cidrs'] = list(cidrs)
    if not partial or 'is_public' in access:
        applied['floating_ip'] = sync_floating_ip(
            neutron, instance_id, facing[0] if facing else None,
            bool(access.get('is_public')))
    return applied


def build_ports(context, region_name, instance_id, network):
    """Make (or find) the instance's group and ports; their ids in order:
    the tenant-facing ones first (the address a server's datastore binds
    to is its first port's), then the management port.

    ``network`` is the request's {nics, access}: nics as [{network_id,
    subnet_id, port_id, fixed_ip}], checked by the API in this region.
    """
    network = network or {}
    nics = network.get('nics') or []
    if not nics and not CONF.management_networks and \
            not CONF.network.management_networks_by_region:
        return []  # no networking asked for: Nova picks the network
    neutron = _neutron(context, region_name)
    mgmt = management_network(neutron, region_name)
    if mgmt is None and not nics:
        return []  # no networking asked for: Nova picks the network
    group = _group(neutron, instance_id) or neutron.create_security_group(
        name=tag(instance_id),
        description='Access to trove-mr instance %s' % instance_id)
    found = _own_ports(neutron, instance_id)
    ports = []
    for index, nic in enumerate(nics):
        if nic.get('port_id'):
            port = neutron.get_port(nic['port_id'])
            if group.id not in (port.security_group_ids or []):
                neutron.update_port(port, security_group_ids=list(
                    port.security_group_ids or []) + [group.id])
            ports.append(port.id)
            continue
        ports.append(_ensure_port(
            neutron, found, '%s-nic%d' % (tag(instance_id), index),
            nic['network_id'], [group.id], instance_id,
            nic.get('fixed_ip'), nic.get('subnet_id')).id)
    if mgmt is not None:
        groups = _management_groups(neutron) if nics else [group.id]
        ports.append(_ensure_port(neutron, found, tag(instance_id) + '-mgmt',
                                  mgmt, groups, instance_id).id)
    apply_access(context, region_name, instance_id, network.get('access'))
    return ports


def remove_networking(context, region_name, instance_id):
    """Floating IP, own ports and group of an instance; idempotent.

    A tenant's own port (``nics`` port-id) is kept, without the group.
    """
    neutron = _neutron(context, region_name)
    sync_floating_ip(neutron, instance_id, None, False)
    for port in _own_ports(neutron, instance_id).values():
        neutron.delete_port(port, ignore_missing=True)
    group = _group(neutron, instance_id)
    if group is None:
        return
    # A tenant's port given in nics still carries the group.
    for port in neutron.ports(security_group_ids=[group.id]):
        neutron.update_port(port, security_group_ids=[
            g for g in port.security_group_ids if g != group.id])
    neutron.delete_security_group(group, ignore_missing=True)
    LOG.info('Removed the ports and security group of instance %s in %s',
             instance_id, region_name)


def with_floating_ip(recorded, address):
    """The recorded addresses (JSON text or list) with ``address`` as the
    only floating one (none when None), on the tenant-facing network."""
    if isinstance(recorded, str):
        try:
            recorded = jsonutils.loads(recorded)
        except ValueError:
            recorded = []
    kept = [a for a in recorded or [] if a.get('type') != 'floating']
    if address:
        fixed = [a for a in kept if not a.get('management')]
        kept.append({'address': address, 'type': 'floating',
                     'network': fixed[0]['network'] if fixed else ''})
    return kept


class CreatePorts(task.Task):
    """The instance's security group and ports, before its server."""

    default_provides = 'ports'

    def execute(self, context, instance_id, placement):
        return build_ports(context, placement['region_name'], instance_id,
                           placement.get('network'))

    def revert(self, context, instance_id, placement, **kwargs):
        remove_networking(context, placement['region_name'], instance_id)


class HideManagementAddresses(task.Task):
    """With tenant networks, the management port's address is the
    control plane's: tenants do not see it (admins do, in /mgmt)."""

    def execute(self, context, instance_id, placement, ports, addresses):
        if not ports or not (placement.get('network') or {}).get('nics'):
            return
        neutron = _neutron(context, placement['region_name'])
        mgmt = [p for p in neutron.ports(description=tag(instance_id))
                if p.name == tag(instance_id) + '-mgmt']
        hidden = {ip['ip_address'] for p in mgmt for ip in p.fixed_ips}
        marked = [dict(a, management=a['address'] in hidden)
                  for a in addresses]
        db_api.instance_update(context, instance_id, {'addresses': marked})

    def revert(self, *args, **kwargs):
        """Nothing to undo: the addresses go with the instance."""


class RemoveNetworking(task.Task):
    """Delete the instance's floating IP, ports and group."""

    def execute(self, context, instance_id):
        instance = db_api.instance_get(context, instance_id)
        remove_networking(context, instance.region_name, instance_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: what was deleted cannot come back."""


class ApplyAccess(task.Task):
    """Rules and floating IP of a changed ``access``."""

    def execute(self, context, instance_id, access):
        instance = db_api.instance_get(context, instance_id)
        applied = apply_access(context, instance.region_name, instance_id,
                               access, partial=True)
        LOG.info('Access of instance %s is now %s', instance_id, applied)
        if applied and 'floating_ip' in applied:
            db_api.instance_update(context, instance_id, {
                'addresses': with_floating_ip(instance.addresses,
                                              applied['floating_ip'])})

    def revert(self, *args, **kwargs):
        """Nothing to undo: running the job again applies the access."""


ACCESS_OPERATION = 'trove.instance.update_access'


def access_flow():
    """The flow of an access change: one idempotent task."""
    return linear_flow.Flow('update-access').add(ApplyAccess())


def submit_access(context, instance_id, access):
    """Post the job applying ``access`` to an instance's networking."""
    return engine.submit(context, ACCESS_OPERATION, access_flow,
                         {'instance_id': instance_id, 'access': access},
                         resource_type='instance', resource_id=instance_id)
