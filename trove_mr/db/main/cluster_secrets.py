"""Region DB API: the sealed password of each Redis cluster."""

import sqlalchemy as sa

from trove_mr.common import crypto
from trove_mr.db import engines
from trove_mr.db.main import models

Cluster = models.Cluster


@engines.region_reader
def cluster_password_get(context, cluster_id):
    """The sealed password of a cluster (deleted ones too), or None."""
    return context.session.execute(
        sa.select(Cluster.encrypted_password)
        .where(Cluster.id == cluster_id)).scalar_one_or_none()


@engines.region_writer
def cluster_passwords_rewrap(context, rewrap):
    """Apply ``rewrap(cluster_id, sealed) -> new sealed or None`` to every
    cluster (live ones; deleted ones need no password). Returns how many
    changed."""
    count = 0
    for row in context.session.execute(
            sa.select(Cluster).where(Cluster.deleted.is_(False))).scalars():
        new = rewrap(row.id, row.encrypted_password)
        if new is not None and new != row.encrypted_password:
            row.encrypted_password = new
            count += 1
    return count


@engines.region_reader
def cluster_password_key_ids(context):
    """{key id, 'v1' or 'none': live clusters whose password is so kept}."""
    found = {}
    for sealed in context.session.execute(
            sa.select(Cluster.encrypted_password)
            .where(Cluster.deleted.is_(False))).scalars():
        kid = 'none' if not sealed else (crypto.key_id_of(sealed) or 'v1')
        found[kid] = found.get(kid, 0) + 1
    return found
