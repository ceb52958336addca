"""How many hash slots each Redis Cluster member owns, as its guest last
reported (shown per member in the cluster's view).

Revision ID: region0009_cluster_slots
Revises: region0008_guest_restarts
Create Date: 2026-12-01 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'region0009_cluster_slots'
down_revision = 'region0008_guest_restarts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instance_status') as batch:
        batch.add_column(sa.Column('cluster_slots', sa.Integer,
                                   nullable=True))
