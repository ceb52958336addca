"""Per-cell pieces of global lists of clusters and backups.

A global list asks every cell for the (created, id) keys of its next
rows, merges them, then loads only the rows of the page from the cells
that own them (``trove_mr.api.domain.scatter.merged_page``); instances
have their own functions in ``instances`` and ``instance_pages``. These
are the same for the other listed resources.
"""

import sqlalchemy as sa

from trove_mr.db import engines
from trove_mr.db import pagination
from trove_mr.db.main import models

MODELS = {'cluster': models.Cluster, 'backup': models.Backup}


def _live(model, tenant_id, instance_id=None, deleted=False):
    # tenant_id None: every project's (the admin lists).
    clauses = [model.deleted.is_(bool(deleted))]
    if tenant_id is not None:
        clauses.append(model.tenant_id == tenant_id)
    if instance_id is not None:
        clauses.append(model.instance_id == instance_id)
    return clauses


@engines.region_reader
def list_keys(context, kind, tenant_id, limit, after=None, instance_id=None,
              deleted=False):
    """(created, id) keys of a tenant's next ``limit`` live ``kind`` rows
    (every project's with ``tenant_id`` None; deleted ones instead with
    ``deleted``)."""
    model = MODELS[kind]
    query = sa.select(model.created, model.id).where(
        *_live(model, tenant_id, instance_id, deleted))
    if after is not None:
        query = query.where(pagination.after_clause(model, after))
    query = query.order_by(model.created, model.id).limit(limit)
    return [tuple(found) for found in context.session.execute(query)]


@engines.region_reader
def get_many(context, kind, ids):
    """The ``kind`` rows of ``ids`` found in this cell (any order)."""
    model = MODELS[kind]
    query = sa.select(model).where(model.id.in_(list(ids)))
    return list(context.session.execute(query).unique().scalars())


@engines.region_reader
def marker_key(context, kind, marker, tenant_id):
    """The (created, id) key of ``kind`` row ``marker`` here, or None."""
    return pagination.marker_key(context.session, MODELS[kind], marker,
                                 tenant_id=tenant_id)
