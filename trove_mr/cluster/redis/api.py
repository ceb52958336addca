"""API side of Redis clusters: what a create, grow or shrink may ask.

Turns the members of a request into plans (name, flavor, volume, region,
role, master) with the seed's answers for what is missing, and asks the
guests of the members to leave whether they still own slots.
"""

from trove_mr.cluster import strategy
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import states

CONF = cfg.CONF

MASTER = 'master'
SLAVE = 'slave'

_UNSUPPORTED = {
    'availability_zone': 'availability zones are not supported; choose a '
                         'region',
    'modules': 'modules are not supported',
}


def _role(spec):
    role = spec.get('instance_type') or spec.get('type') or MASTER
    if isinstance(role, list):
        role = role[0]
    return role


def _region(spec, field):
    region = spec.get('region')
    region_name = spec.get('region_name')
    if region and region_name and region != region_name:
        raise exceptions.BadRequest(
            "Invalid input for field '%s.region': '%s' differs from "
            "region_name '%s'." % (field, region, region_name))
    return region or region_name or CONF.region_name


class RedisAPIStrategy:
    """Request checks of Redis cluster create, grow and shrink."""

    def member_plans(self, specs, cluster_name, existing=(), field=None):
        """Plans of the members ``specs`` asks for.

        :param specs: the validated ``instances`` (create) or ``grow``
            items.
        :param existing: member rows already in the cluster (grow); their
            names continue the numbering and may be ``related_to``.
        :returns: a list of dicts {name, flavor_ref, volume_size,
            volume_type, region, type, related_to} where ``related_to`` is
            the name or id of the master, checked to exist.
        """
        field = field or 'cluster.instances'
        names = {row.name for row in existing}
        next_index = len(existing) + 1
        plans = []
        for index, spec in enumerate(specs):
            where = '%s[%d]' % (field, index)
            for key, why in sorted(_UNSUPPORTED.items()):
                if spec.get(key):
                    raise exceptions.BadRequest(
                        "Invalid input for field '%s.%s': %s."
                        % (where, key, why))
            flavor_ref = spec.get('flavorRef')
            if flavor_ref in (None, ''):
                raise exceptions.Forbidden(
                    'A flavor is required for each instance in the '
                    'cluster.')
            volume = spec.get('volume')
            if not volume:
                raise exceptions.Forbidden(
                    'Local storage not specified in flavor ID: %s.'
                    % flavor_ref)
            size = int(volume['size'])
            if size > CONF.max_accepted_volume_size:
                raise exceptions.BadRequest(
                    "Invalid input for field '%s.volume.size': %d GB is "
                    "more than the maximum of %d GB." % (
                        where, size, CONF.max_accepted_volume_size))
            name = spec.get('name')
            if not name:
                while '%s-member-%d' % (cluster_name, next_index) in names:
                    next_index += 1
                name = '%s-member-%d' % (cluster_name, next_index)
            if name in names:
                raise exceptions.BadRequest(
                    "Invalid input for field '%s.name': the cluster "
                    "already has a member named '%s'." % (where, name))
            names.add(name)
            next_index += 1
            role = _role(spec)
            related_to = spec.get('related_to')
            if role == SLAVE and not related_to:
                raise exceptions.BadRequest(
                    "Invalid input for field '%s.related_to': a slave "
                    "must name the master it replicates." % where)
            if role == MASTER and related_to:
                raise exceptions.BadRequest(
                    "Invalid input for field '%s.related_to': only a "
                    "slave replicates another member." % where)
            plans.append({
                'name': name, 'flavor_ref': str(flavor_ref),
                'volume_size': size,
                'volume_type': volume.get('type') or
                CONF.cinder_volume_type,
                'region': _region(spec, where), 'type': role,
                'related_to': related_to, 'nics': spec.get('nics') or [],
                'field': where})
        self._check_masters(plans, existing, field)
        return plans

    @staticmethod
    def _check_masters(plans, existing, field):
        masters = {row.name: row.id for row in existing
                   if (row.type or MASTER) == MASTER}
        masters.update({row.id: row.id for row in existing
                        if (row.type or MASTER) == MASTER})
        masters.update({p['name']: p['name'] for p in plans
                        if p['type'] == MASTER})
        if not existing and not any(p['type'] == MASTER for p in plans):
            raise exceptions.BadRequest(
                "Invalid input for field '%s': a cluster needs at least "
                "one master." % field)
        for index, plan in enumerate(plans):
            if plan['type'] == SLAVE and plan['related_to'] not in masters:
                raise exceptions.BadRequest(
                    "Invalid input for field '%s[%d].related_to': no "
                    "master named '%s' in the cluster." % (
                        field, index, plan['related_to']))

    def shrink_node_ids(self, context, members):
        """The cluster node ids of ``members`` (rows) to remove.

        Asks each member's guest (``get_node_id_for_removal``); a node
        that still owns slots answers None and the shrink is refused
        (403). Members that never finished building have no node to
        forget.
        """
        guests = strategy.guestagent_strategy('redis')
        node_ids = []
        for member in members:
            if member.task_status != states.TASK_NONE:
                continue
            node_id = guests.guest_client(
                context, member.id).get_node_id_for_removal()
            if node_id is None:
                raise exceptions.Forbidden(
                    'One or more nodes have data slots assigned.')
            node_ids.append(node_id)
        return node_ids
