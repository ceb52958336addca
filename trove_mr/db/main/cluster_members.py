"""Region DB API of cluster reads: the members of a page of clusters."""

import collections

import sqlalchemy as sa

from trove_mr.db import engines
from trove_mr.db.main import models

Instance = models.Instance


@engines.region_reader
def members_of_clusters(context, cluster_ids):
    """``{cluster_id: [live members, oldest first]}`` in one query."""
    found = collections.defaultdict(list)
    if not cluster_ids:
        return found
    query = (sa.select(Instance)
             .where(Instance.cluster_id.in_(list(cluster_ids)),
                    Instance.deleted.is_(False))
             .order_by(Instance.created, Instance.id))
    for row in context.session.execute(query).unique().scalars():
        found[row.cluster_id].append(row)
    return found
