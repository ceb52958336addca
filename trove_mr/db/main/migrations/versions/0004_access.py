"""Who may reach an instance: ``access`` (is_public, allowed_cidrs).

Stored as the JSON document the API accepted; enforced by the network
work (security groups and floating IPs in the instance's region).

Revision ID: region0004_access
Revises: region0003
Create Date: 2026-11-30 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'region0004_access'
down_revision = 'region0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('instances', sa.Column('access', sa.Text, nullable=True))
