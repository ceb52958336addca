"""The sealed password of each Redis cluster.

Clusters kept no password before (it was derived from the cluster id
under ``inst_rpc_key_encr_key``); now it is stored sealed under a key of
its own so that keys can rotate without changing it. Existing clusters
keep NULL until ``trove-mr-manage keys rewrap`` stores theirs.

Revision ID: region0007_cluster_password
Revises: region0006_configurations
Create Date: 2026-11-30 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'region0007_cluster_password'
down_revision = 'region0006_configurations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clusters') as batch:
        batch.add_column(sa.Column('encrypted_password', sa.Text,
                                   nullable=True))
