"""Configuration groups of tenants, usable in every region.

Revision ID: api0003_configurations
Revises: api0002_backup_mappings
Create Date: 2026-11-30 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from trove_mr.db import types

revision = 'api0003_configurations'
down_revision = 'api0002_backup_mappings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'configurations',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(512), nullable=True),
        sa.Column('tenant_id', sa.String(64), nullable=False),
        sa.Column('datastore_name', sa.String(255), nullable=False),
        sa.Column('datastore_version_name', sa.String(255), nullable=False),
        sa.Column('datastore_version_id', sa.String(36), nullable=False),
        sa.Column('values', sa.Text, nullable=False),
        sa.Column('created', types.Timestamp, nullable=False),
        sa.Column('updated', types.Timestamp, nullable=True),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', types.Timestamp, nullable=True),
        **types.MYSQL_TABLE_ARGS)
    op.create_index('configurations_tenant_deleted_created_idx',
                    'configurations',
                    ['tenant_id', 'deleted', 'created', 'id'])
