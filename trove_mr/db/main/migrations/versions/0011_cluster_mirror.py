"""A copy of a cluster's record kept in its standby region's cell.

``cluster_mirrors`` holds, in the cell of a cluster's standby region, what
that cell needs to take the cluster over when the owning cell is down:
the cluster's columns and its members' (ids, regions, addresses, roles,
the sealed password, the lag last reported), as one JSON ``record``
written by the owning cell. ``failover_task`` is the takeover's lock
(a conditional UPDATE from NULL).

Revision ID: region0011_cluster_mirror
Revises: region0010_standby
Create Date: 2026-12-01 07:10:00
"""

import sqlalchemy as sa
from alembic import op

from trove_mr.db import types

revision = 'region0011_cluster_mirror'
down_revision = 'region0010_standby'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cluster_mirrors',
        sa.Column('cluster_id', sa.String(36), primary_key=True),
        sa.Column('tenant_id', sa.String(64), nullable=False),
        sa.Column('owning_region', sa.String(255), nullable=False),
        sa.Column('record', sa.Text, nullable=False),
        sa.Column('failover_task', sa.String(64), nullable=True),
        sa.Column('created', types.Timestamp, nullable=False),
        sa.Column('updated', types.Timestamp, nullable=True),
        **types.MYSQL_TABLE_ARGS)
