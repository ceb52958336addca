"""Lease of the taskmanager building an instance.

A running build renews ``task_updated`` every few seconds under its
``task_owner`` (host and boot id of the taskmanager process), so that a
build whose taskmanager died can be told apart from one still running.

Revision ID: region0002
Revises: region0001
Create Date: 2025-01-02 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from trove_mr.db import types

revision = 'region0002'
down_revision = 'region0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('task_owner', sa.String(255),
                                   nullable=True))
        batch.add_column(sa.Column('task_updated', types.Timestamp,
                                   nullable=True))
    op.create_index('instances_task_status_idx', 'instances',
                    ['task_status'])
