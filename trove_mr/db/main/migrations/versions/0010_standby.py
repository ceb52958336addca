"""A cluster's standby region and the replication lag its replicas report.

``clusters.standby_region`` holds a replica of every master;
``clusters.primary_region`` is where the masters are (swapped by a
switchover or a failover); ``clusters.failover_state`` is the JSON record
of the last switchover or failover (what may have been lost);
``clusters.auto_failover`` its failover policy (automatic or not).
``instance_status.repl_lag_bytes`` and ``repl_lag_seconds`` are what a
replica's guest last reported of how far behind its master it is.

Revision ID: region0010_standby
Revises: region0009_cluster_slots
Create Date: 2026-12-01 03:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'region0010_standby'
down_revision = 'region0009_cluster_slots'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clusters') as batch:
        batch.add_column(sa.Column('standby_region', sa.String(255),
                                   nullable=True))
        batch.add_column(sa.Column('primary_region', sa.String(255),
                                   nullable=True))
        batch.add_column(sa.Column('failover_state', sa.Text,
                                   nullable=True))
        batch.add_column(sa.Column('auto_failover', sa.Boolean,
                                   nullable=True))
    with op.batch_alter_table('instance_status') as batch:
        batch.add_column(sa.Column('repl_lag_bytes', sa.BigInteger,
                                   nullable=True))
        batch.add_column(sa.Column('repl_lag_seconds', sa.Integer,
                                   nullable=True))
