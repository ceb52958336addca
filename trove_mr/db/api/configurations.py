"""API DB API: tenants' configuration groups.

Groups live in the API database, shared by every region's API, so that
one group can be applied to the tenant's instances in any region.
Values are stored as one JSON object.
"""

import sqlalchemy as sa
from oslo_serialization import jsonutils
from oslo_utils import uuidutils

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db import pagination
from trove_mr.db import rows
from trove_mr.db.api import models

Configuration = models.Configuration

ConfigurationNotFound = exceptions.ConfigurationNotFound


def _encode(values):
    values = dict(values)
    if 'values' in values and not isinstance(values['values'], str):
        values['values'] = jsonutils.dumps(values['values'],
                                           sort_keys=True)
    return values


def values_of(row):
    """The group's values as a dict."""
    return jsonutils.loads(row.values) if row.values else {}


@engines.api_writer
def configuration_create(context, values):
    """Create a group from ``values`` (name, tenant_id, datastore names,
    datastore_version_id, values dict, description)."""
    values = _encode(values)
    values.setdefault('id', uuidutils.generate_uuid())
    values.setdefault('created', rows.now())
    values.setdefault('deleted', False)
    context.session.add(Configuration(**values))
    context.session.flush()
    return rows.get_live(context.session, Configuration, values['id'],
                         ConfigurationNotFound)


@engines.api_reader
def configuration_get(context, configuration_id, tenant_id=None):
    """A live group (of ``tenant_id`` when given); ConfigurationNotFound
    for a missing, deleted or another tenant's group."""
    return rows.get_live(context.session, Configuration, configuration_id,
                         ConfigurationNotFound, tenant_id=tenant_id)


@engines.api_reader
def configuration_list(context, tenant_id, limit=None, marker=None):
    """One page of a tenant's groups: ``(rows, next_marker)``."""
    query = sa.select(Configuration).where(
        Configuration.tenant_id == tenant_id,
        Configuration.deleted.is_(False))
    return pagination.page(context.session, query, Configuration, limit,
                           marker, tenant_id=tenant_id)


@engines.api_writer
def configuration_update(context, configuration_id, values):
    """Change a live group's name, description or values."""
    return rows.conditional_update(
        context.session, Configuration, configuration_id, _encode(values),
        not_found=ConfigurationNotFound)


@engines.api_writer
def configuration_soft_delete(context, configuration_id):
    """Mark a group deleted; ConfigurationNotFound if already gone."""
    rows.soft_delete(context.session, Configuration, configuration_id,
                     ConfigurationNotFound)
