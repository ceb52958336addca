"""Region DB API: parameters of datastore versions, and the instances
and clusters a configuration group is applied to."""

import sqlalchemy as sa
from oslo_serialization import jsonutils
from oslo_utils import uuidutils

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db import rows
from trove_mr.db.main import models

Parameter = models.ConfigurationParameter


def parameter_dict(row):
    """A parameter row as the plain dict the rules code reads."""
    return {'name': row.name, 'data_type': row.data_type,
            'min_size': row.min_size, 'max_size': row.max_size,
            'allowed_values': (jsonutils.loads(row.allowed_values)
                               if row.allowed_values else None),
            'pattern': row.pattern,
            'restart_required': bool(row.restart_required),
            'datastore_version_id': row.datastore_version_id}


@engines.region_writer
def parameters_replace(context, version_id, rules):
    """Make ``rules`` (parsed rule dicts) the version's parameters.

    Parameters not in ``rules`` are removed, the others created or
    changed; one transaction. Returns the number of parameters.
    """
    session = context.session
    existing = {row.name: row for row in session.execute(
        sa.select(Parameter).where(
            Parameter.datastore_version_id == version_id)).scalars()}
    wanted = {rule['name'] for rule in rules}
    for name, row in existing.items():
        if name not in wanted:
            session.delete(row)
    for rule in rules:
        row = existing.get(rule['name'])
        if row is None:
            row = Parameter(id=uuidutils.generate_uuid(), name=rule['name'],
                            datastore_version_id=version_id,
                            created=rows.now())
            session.add(row)
        row.data_type = rule['data_type']
        row.min_size = rule.get('min_size')
        row.max_size = rule.get('max_size')
        allowed = rule.get('allowed_values')
        row.allowed_values = jsonutils.dumps(allowed) if allowed else None
        row.pattern = rule.get('pattern')
        row.restart_required = bool(rule.get('restart_required'))
    session.flush()
    return len(rules)


@engines.region_reader
def parameter_list(context, version_id):
    """The parameters of a version, by name, as dicts."""
    query = sa.select(Parameter).where(
        Parameter.datastore_version_id == version_id).order_by(
            Parameter.name)
    return [parameter_dict(row)
            for row in context.session.execute(query).scalars()]


@engines.region_reader
def parameter_get(context, version_id, name):
    """One parameter of a version as a dict; NotFound if unknown."""
    row = context.session.execute(sa.select(Parameter).where(
        Parameter.datastore_version_id == version_id,
        Parameter.name == name)).scalars().first()
    if row is None:
        raise exceptions.NotFound(
            "Configuration parameter '%s' is not known for datastore "
            "version %s." % (name, version_id))
    return parameter_dict(row)


@engines.region_reader
def configuration_instances(context, configuration_id, tenant_id=None):
    """Live instances with the group applied, in (created, id) order."""
    query = sa.select(models.Instance).where(
        models.Instance.configuration_id == configuration_id,
        models.Instance.deleted.is_(False))
    if tenant_id is not None:
        query = query.where(models.Instance.tenant_id == tenant_id)
    query = query.order_by(models.Instance.created, models.Instance.id)
    return list(context.session.execute(query).unique().scalars())


@engines.region_reader
def configuration_clusters(context, configuration_id):
    """Live clusters with the group applied."""
    query = sa.select(models.Cluster).where(
        models.Cluster.configuration_id == configuration_id,
        models.Cluster.deleted.is_(False))
    return list(context.session.execute(query).unique().scalars())
