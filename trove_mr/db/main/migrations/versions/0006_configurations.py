"""Configuration groups: the parameters tenants may set per datastore
version, and the group an instance or a cluster applies.

The groups themselves live in the API database (api0003_configurations),
so that a tenant's group can be attached to an instance of any region.

Revision ID: region0006_configurations
Revises: region0005_root_history
Create Date: 2026-11-30 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from trove_mr.db import types

revision = 'region0006_configurations'
down_revision = 'region0005_root_history'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'datastore_configuration_parameters',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(128), nullable=False),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id'), nullable=False),
        sa.Column('data_type', sa.String(32), nullable=False),
        sa.Column('min_size', sa.Float, nullable=True),
        sa.Column('max_size', sa.Float, nullable=True),
        sa.Column('allowed_values', sa.Text, nullable=True),
        sa.Column('pattern', sa.String(255), nullable=True),
        sa.Column('restart_required', sa.Boolean, nullable=False),
        sa.Column('created', types.Timestamp, nullable=False),
        sa.UniqueConstraint(
            'datastore_version_id', 'name',
            name='uniq_datastore_configuration_parameters0version0name'),
        **types.MYSQL_TABLE_ARGS)
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('configuration_id', sa.String(36),
                                   nullable=True))
        batch.add_column(sa.Column('configuration_restart_required',
                                   sa.Boolean, nullable=True))
    op.create_index('instances_configuration_id_idx', 'instances',
                    ['configuration_id'])
    with op.batch_alter_table('clusters') as batch:
        batch.add_column(sa.Column('configuration_id', sa.String(36),
                                   nullable=True))
