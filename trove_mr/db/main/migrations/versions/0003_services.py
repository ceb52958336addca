"""Heartbeats of the taskmanager and conductor processes of a cell.

Each process keeps one row (host, binary, boot id) fresh every
``report_interval`` seconds; the API refuses actions of a cell none of
whose taskmanagers was seen within ``service_down_time``.

Revision ID: region0003
Revises: region0002
Create Date: 2025-01-03 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from trove_mr.db import types

revision = 'region0003'
down_revision = 'region0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'services',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('binary', sa.String(255), nullable=False),
        sa.Column('topic', sa.String(255), nullable=True),
        sa.Column('boot_id', sa.String(36), nullable=False),
        sa.Column('report_count', sa.Integer, nullable=False),
        sa.Column('disabled', sa.Boolean, nullable=False),
        sa.Column('created_at', types.Timestamp, nullable=False),
        sa.Column('last_seen_up', types.Timestamp, nullable=False),
        sa.UniqueConstraint('host', 'binary', 'boot_id',
                            name='uniq_services0host0binary0boot_id'),
        **types.MYSQL_TABLE_ARGS)
    op.create_index('services_binary_last_seen_up_idx', 'services',
                    ['binary', 'last_seen_up'])
