"""Root history: whether root (the Redis password) was enabled, and the
password the control plane keeps for an instance or a cluster.

Revision ID: region0005_root_history
Revises: region0004_access
Create Date: 2026-11-30 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from trove_mr.db import types

revision = 'region0005_root_history'
down_revision = 'region0004_access'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'root_history',
        sa.Column('resource_id', sa.String(36), primary_key=True),
        sa.Column('resource_type', sa.String(16), nullable=False),
        sa.Column('enabled', sa.Boolean, nullable=False),
        sa.Column('enabled_at', types.Timestamp, nullable=True),
        sa.Column('enabled_by', sa.String(255), nullable=True),
        sa.Column('disabled_at', types.Timestamp, nullable=True),
        sa.Column('encrypted_password', sa.String(1024), nullable=True),
        sa.Column('password_set_at', types.Timestamp, nullable=True),
        sa.Column('change_id', sa.String(36), nullable=True),
        sa.Column('updated', types.Timestamp, nullable=True),
        **types.MYSQL_TABLE_ARGS)
