"""An instance's ``access``: whether it is public, and from where.

Accepted and stored on create and update; the network work turns it
into security group rules and floating IPs in the instance's region.
"""

import ipaddress

from oslo_serialization import jsonutils

from trove_mr.common import exceptions
from trove_mr.db import cells
from trove_mr.db.main import api as db_api

PRIVATE = {'is_public': False, 'allowed_cidrs': []}


def _cidrs(cidrs, field):
    checked = []
    for index, cidr in enumerate(cidrs):
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            raise exceptions.BadRequest(
                "Invalid input for field '%s.allowed_cidrs.%d': '%s' is "
                "not a valid IPv4 or IPv6 CIDR." % (field, index, cidr)
            ) from None
        if str(network) not in checked:
            checked.append(str(network))
    return checked


def merged(stored, requested, field='instance.access'):
    """``stored`` (a dict or None) with what ``requested`` changes.

    A field absent from the request keeps its stored value; each CIDR
    is checked (400 naming the bad one) and normalised (``10.0.0.1/8``
    is ``10.0.0.0/8``).
    """
    access = dict(PRIVATE)
    access.update(stored or {})
    if 'is_public' in requested:
        access['is_public'] = bool(requested['is_public'])
    if requested.get('allowed_cidrs') is not None:
        access['allowed_cidrs'] = _cidrs(requested['allowed_cidrs'], field)
    return access


def for_create(body):
    """The JSON text to store for a create body's ``access``, or None."""
    requested = body.get('access')
    if not requested:
        return None
    return jsonutils.dumps(merged(None, requested))


def stored_of(row):
    """The access dict stored on an instance row, or None."""
    if not row.access:
        return None
    try:
        found = jsonutils.loads(row.access)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def update(context, tenant_id, instance_id, requested, mapping):
    """Change an instance's access; returns the instance."""
    with cells.owning_cell(context, mapping) as cctx:
        row = db_api.instance_get(cctx, instance_id, tenant_id=tenant_id)
        access = merged(stored_of(row), requested)
        return db_api.instance_update(cctx, instance_id,
                                      {'access': jsonutils.dumps(access)})
