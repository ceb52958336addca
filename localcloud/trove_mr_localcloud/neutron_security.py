"""Neutron's security groups and rules, and what every Neutron resource of
the local cloud shares (errors, timestamps, ids); see neutron.py.

Each project gets a ``default`` group on first use, as Neutron does
(ingress from the group's own members, egress anywhere); a new group gets
the two egress rules. Rules are validated and de-duplicated as Neutron
does (409 for a duplicate) and stored; they are not enforced.
"""

import datetime
import ipaddress
import uuid

from trove_mr_localcloud import wsgi


class NeutronError(wsgi.HTTPError):
    """An error answered as ``{"NeutronError": {type, message, detail}}``.
    """

    def __init__(self, code, kind, message):
        super().__init__(code, message, kind=kind)


def error_response(err):
    return wsgi.json_response({'NeutronError': {
        'type': err.kind or 'HTTPError', 'message': err.message,
        'detail': ''}}, err.code)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def stable_id(region_name, kind, name):
    """An id that is the same on every start."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS,
                          '%s:%s:%s' % (region_name, kind, name)))


def record(project_id, spec):
    """The attributes every Neutron resource has."""
    stamp = now_iso()
    return {'id': str(uuid.uuid4()), 'project_id': project_id,
            'tenant_id': project_id, 'name': spec.get('name') or '',
            'description': spec.get('description') or '',
            'created_at': stamp, 'updated_at': stamp,
            'revision_number': 0, 'tags': []}


class SecurityGroups:
    """The security group and rule handlers of one region's Neutron."""

    def __init__(self, neutron):
        self.neutron = neutron

    def default_group(self, project_id):
        """The project's ``default`` group, made on first use as Neutron
        does (ingress from members of the group, egress anywhere)."""
        gid = stable_id(self.neutron.region.name, 'sg-default', project_id)
        if gid in self.neutron.state['security_groups']:
            return self.neutron.state['security_groups'][gid]
        with self.neutron.region.store.transaction():
            # Again under the lock: requests of one project racing to its
            # first use must not add the default rules twice.
            if gid in self.neutron.state['security_groups']:
                return self.neutron.state['security_groups'][gid]
            group = record(project_id, {
                'name': 'default', 'description': 'Default security group'})
            group.update({'id': gid, 'stateful': True})
            self.neutron.state['security_groups'][gid] = group
            for ethertype in ('IPv4', 'IPv6'):
                self._add_rule(group, {'direction': 'egress',
                                       'ethertype': ethertype})
                self._add_rule(group, {'direction': 'ingress',
                                       'ethertype': ethertype,
                                       'remote_group_id': gid})
        return group

    def _create_security_group(self, token, spec):
        project_id = self.neutron.project_of(token, spec)
        self.default_group(project_id)
        if spec.get('name') == 'default':
            raise NeutronError(409, 'SecurityGroupDefaultAlreadyExists',
                               'Default security group already exists.')
        group = record(project_id, spec)
        group['stateful'] = spec.get('stateful', True)
        self.neutron.state['security_groups'][group['id']] = group
        for ethertype in ('IPv4', 'IPv6'):
            self._add_rule(group, {'direction': 'egress',
                                   'ethertype': ethertype})
        return group

    def _delete_security_group(self, token, group):
        users = [p['id'] for p in self.neutron.state['ports'].values()
                 if group['id'] in p['security_groups']]
        if users:
            raise NeutronError(409, 'SecurityGroupInUse',
                               'Security Group %s in use.' % group['id'])
        if group['name'] == 'default' and not self.neutron.is_admin(token):
            raise NeutronError(409, 'SecurityGroupCannotRemoveDefault',
                               'Insufficient rights for removing default '
                               'security group.')
        for rid in [r['id'] for r in self.neutron.state['security_group_rules']
                    .values() if r['security_group_id'] == group['id']]:
            del self.neutron.state['security_group_rules'][rid]
        del self.neutron.state['security_groups'][group['id']]

    def _add_rule(self, group, spec):
        direction = spec.get('direction')
        if direction not in ('ingress', 'egress'):
            raise NeutronError(400, 'HTTPBadRequest',
                               "Invalid input for direction. Reason: '%s' "
                               "is not in ['ingress', 'egress']." % direction)
        ethertype = spec.get('ethertype') or 'IPv4'
        if ethertype not in ('IPv4', 'IPv6'):
            raise NeutronError(400, 'SecurityGroupRuleInvalidEtherType',
                               'Security group rule for ethertype %s not '
                               'supported.' % ethertype)
        prefix = spec.get('remote_ip_prefix')
        if prefix:
            try:
                net = ipaddress.ip_network(prefix, strict=False)
            except ValueError:
                raise NeutronError(400, 'HTTPBadRequest',
                                   "Invalid input for remote_ip_prefix. "
                                   "Reason: '%s' is not a valid IP subnet."
                                   % prefix) from None
            if (net.version == 4) != (ethertype == 'IPv4'):
                raise NeutronError(400, 'SecurityGroupRuleParameterConflict',
                                   'Conflicting value ethertype %s for CIDR '
                                   '%s' % (ethertype, prefix))
            prefix = str(net)
        low, high = spec.get('port_range_min'), spec.get('port_range_max')
        if low is not None and high is not None and int(low) > int(high):
            raise NeutronError(400, 'SecurityGroupInvalidPortRange',
                               'For TCP/UDP protocols, port_range_min must '
                               'be <= port_range_max')
        rule = record(group['project_id'], spec)
        rule.pop('name')
        rule.update({
            'security_group_id': group['id'], 'direction': direction,
            'ethertype': ethertype, 'protocol': spec.get('protocol'),
            'port_range_min': None if low is None else int(low),
            'port_range_max': None if high is None else int(high),
            'remote_ip_prefix': prefix,
            'remote_group_id': spec.get('remote_group_id'),
            'remote_address_group_id': None, 'normalized_cidr': prefix})
        same = ('direction', 'ethertype', 'protocol', 'port_range_min',
                'port_range_max', 'remote_ip_prefix', 'remote_group_id')
        for other in self.neutron.state['security_group_rules'].values():
            if other['security_group_id'] == group['id'] and all(
                    other[k] == rule[k] for k in same):
                raise NeutronError(409, 'SecurityGroupRuleExists',
                                   'Security group rule already exists. '
                                   'Rule id is %s.' % other['id'])
        self.neutron.state['security_group_rules'][rule['id']] = rule
        return rule

    def _create_security_group_rule(self, token, spec):
        group = self.neutron.get(token, 'security-groups',
                          spec.get('security_group_id'))
        return self._add_rule(group, spec)

    def _delete_security_group_rule(self, token, rule):
        del self.neutron.state['security_group_rules'][rule['id']]
