"""Backup mappings (which cell owns a backup) and backup strategies.

Revision ID: api0002_backup_mappings
Revises: api0001
Create Date: 2026-11-30 00:00:00

Backups made before this revision have no mapping: the API database
cannot read the cells' databases here (their URLs are sealed under a key
of the configuration). The API maps each of them the first time it is
addressed by id, from the cell that answers for it.
"""

from alembic import op
import sqlalchemy as sa

from trove_mr.db import types

revision = 'api0002_backup_mappings'
down_revision = 'api0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'backup_mappings',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('backup_uuid', sa.String(36), nullable=False),
        sa.Column('region_mapping_uuid', sa.String(36),
                  sa.ForeignKey('region_mappings.uuid'), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=True),
        sa.Column('updated_at', sa.DateTime, nullable=True),
        sa.UniqueConstraint('backup_uuid',
                            name='uniq_backup_mappings0backup_uuid'),
        **types.MYSQL_TABLE_ARGS)
    op.create_index('backup_mappings_project_id_idx', 'backup_mappings',
                    ['project_id'])
    op.create_index('backup_mappings_region_mapping_uuid_idx',
                    'backup_mappings', ['region_mapping_uuid'])
    op.create_table(
        'backup_strategies',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        # '' for the project's default, else the instance it is for.
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('backend', sa.String(255), nullable=False),
        sa.Column('swift_container', sa.String(255), nullable=True),
        sa.Column('created_at', sa.DateTime, nullable=True),
        sa.Column('updated_at', sa.DateTime, nullable=True),
        sa.UniqueConstraint(
            'project_id', 'instance_id',
            name='uniq_backup_strategies0project_id0instance_id'),
        **types.MYSQL_TABLE_ARGS)
