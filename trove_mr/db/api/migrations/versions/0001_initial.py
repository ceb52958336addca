"""Initial API database: region mappings, resource mappings, quotas.

Revision ID: api0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from alembic import op
import sqlalchemy as sa

from trove_mr.db import types

revision = 'api0001'
down_revision = None
branch_labels = None
depends_on = None


def _resource_mapping(table, column):
    op.create_table(
        table,
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(column, sa.String(36), nullable=False),
        sa.Column('region_mapping_uuid', sa.String(36),
                  sa.ForeignKey('region_mappings.uuid'), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=True),
        sa.Column('updated_at', sa.DateTime, nullable=True),
        sa.UniqueConstraint(column, name='uniq_%s0%s' % (table, column)),
        **types.MYSQL_TABLE_ARGS)
    op.create_index('%s_project_id_idx' % table, table, ['project_id'])
    op.create_index('%s_region_mapping_uuid_idx' % table, table,
                    ['region_mapping_uuid'])


def _project_resource(table, value_column):
    op.create_table(
        table,
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('resource', sa.String(255), nullable=False),
        sa.Column(value_column, sa.Integer, nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=True),
        sa.Column('updated_at', sa.DateTime, nullable=True),
        sa.UniqueConstraint('project_id', 'resource',
                            name='uniq_%s0project_id0resource' % table),
        **types.MYSQL_TABLE_ARGS)


def upgrade():
    op.create_table(
        'region_mappings',
        sa.Column('created_at', sa.DateTime, nullable=True),
        sa.Column('updated_at', sa.DateTime, nullable=True),
        sa.Column('deleted_at', sa.DateTime, nullable=True),
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=True),
        sa.Column('deleted', sa.Integer, nullable=True),
        sa.Column('transport_url', types.MediumText, nullable=False),
        sa.Column('database_connection', types.MediumText, nullable=False),
        sa.UniqueConstraint('uuid', name='uniq_region_mappings0uuid'),
        **types.MYSQL_TABLE_ARGS)
    _resource_mapping('instance_mappings', 'instance_uuid')
    _resource_mapping('cluster_mappings', 'cluster_uuid')
    _project_resource('quotas', 'hard_limit')
    _project_resource('quota_usages', 'in_use')
