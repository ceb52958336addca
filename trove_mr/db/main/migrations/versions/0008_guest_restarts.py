"""How often a guest agent started its redis-server again on its own.

The agent restarts a redis-server that died and counts it; each heartbeat
carries the count, the time and the reason of the last restart, which the
conductor keeps here for admins (``/mgmt/instances/<id>``).

Revision ID: region0008_guest_restarts
Revises: region0007_cluster_password
Create Date: 2026-12-01 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from trove_mr.db import types

revision = 'region0008_guest_restarts'
down_revision = 'region0007_cluster_password'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instance_status') as batch:
        batch.add_column(sa.Column('datastore_restarts', sa.Integer,
                                   nullable=True))
        batch.add_column(sa.Column('last_restart_at', types.Timestamp,
                                   nullable=True))
        batch.add_column(sa.Column('last_restart_reason', sa.String(255),
                                   nullable=True))
