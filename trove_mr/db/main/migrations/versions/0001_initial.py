"""Initial region database: datastores, instances, clusters, backups.

Revision ID: region0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from alembic import op
import sqlalchemy as sa

from trove_mr.db import types

revision = 'region0001'
down_revision = None
branch_labels = None
depends_on = None


def _soft_delete_columns():
    return [
        sa.Column('created', types.Timestamp, nullable=False),
        sa.Column('updated', types.Timestamp, nullable=True),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', types.Timestamp, nullable=True),
    ]


def _tenant_indexes(table):
    op.create_index('%s_tenant_deleted_created_idx' % table, table,
                    ['tenant_id', 'deleted', 'created', 'id'])
    op.create_index('%s_region_name_idx' % table, table, ['region_name'])


def upgrade():
    op.create_table(
        'datastores',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('default_version_id', sa.String(36), nullable=True),
        sa.UniqueConstraint('name', name='uniq_datastores0name'),
        **types.MYSQL_TABLE_ARGS)

    op.create_table(
        'datastore_versions',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('datastore_id', sa.String(36),
                  sa.ForeignKey('datastores.id'), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('manager', sa.String(255), nullable=False),
        sa.Column('image_name', sa.String(255), nullable=True),
        sa.Column('image_id', sa.String(36), nullable=True),
        sa.Column('image_tags', sa.String(255), nullable=True),
        sa.Column('active', sa.Boolean, nullable=False),
        sa.Column('is_default', sa.Boolean, nullable=False),
        sa.UniqueConstraint('datastore_id', 'name',
                            name='uniq_datastore_versions0datastore_id0name'),
        **types.MYSQL_TABLE_ARGS)
    op.create_index('datastore_versions_datastore_id_idx',
                    'datastore_versions', ['datastore_id'])

    op.create_table(
        'clusters',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('tenant_id', sa.String(64), nullable=False),
        sa.Column('region_name', sa.String(255), nullable=True),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id'), nullable=False),
        sa.Column('task_id', sa.Integer, nullable=False),
        sa.Column('task_name', sa.String(255), nullable=False),
        sa.Column('task_description', sa.String(255), nullable=True),
        *_soft_delete_columns(),
        **types.MYSQL_TABLE_ARGS)
    _tenant_indexes('clusters')
    op.create_index('clusters_datastore_version_id_idx', 'clusters',
                    ['datastore_version_id'])

    op.create_table(
        'instances',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=True),
        sa.Column('tenant_id', sa.String(64), nullable=False),
        sa.Column('region_name', sa.String(255), nullable=True),
        sa.Column('flavor_id', sa.String(255), nullable=True),
        sa.Column('volume_size', sa.Integer, nullable=True),
        sa.Column('volume_type', sa.String(255), nullable=True),
        sa.Column('volume_id', sa.String(36), nullable=True),
        sa.Column('server_id', sa.String(36), nullable=True),
        sa.Column('datastore_version_id', sa.String(36),
                  sa.ForeignKey('datastore_versions.id'), nullable=False),
        sa.Column('cluster_id', sa.String(36), nullable=True),
        sa.Column('type', sa.String(64), nullable=True),
        sa.Column('related_to', sa.String(36), nullable=True),
        sa.Column('replica_of_id', sa.String(36), nullable=True),
        sa.Column('task_status', sa.String(64), nullable=False),
        sa.Column('fault_message', sa.Text, nullable=True),
        sa.Column('fault_details', sa.Text, nullable=True),
        sa.Column('addresses', sa.Text, nullable=True),
        sa.Column('encrypted_rpc_key', sa.String(255), nullable=True),
        sa.Column('volume_replication_status', sa.String(64),
                  nullable=True),
        *_soft_delete_columns(),
        **types.MYSQL_TABLE_ARGS)
    _tenant_indexes('instances')
    op.create_index('instances_cluster_id_idx', 'instances', ['cluster_id'])
    op.create_index('instances_datastore_version_id_idx', 'instances',
                    ['datastore_version_id'])

    op.create_table(
        'instance_status',
        sa.Column('instance_id', sa.String(36),
                  sa.ForeignKey('instances.id'), primary_key=True),
        sa.Column('status', sa.String(64), nullable=False),
        sa.Column('volume_used', sa.Float, nullable=True),
        sa.Column('heartbeat_at', types.Timestamp, nullable=True),
        sa.Column('updated_at', types.Timestamp, nullable=True),
        **types.MYSQL_TABLE_ARGS)

    op.create_table(
        'backups',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(512), nullable=True),
        sa.Column('tenant_id', sa.String(64), nullable=False),
        sa.Column('instance_id', sa.String(36), nullable=True),
        sa.Column('region_name', sa.String(255), nullable=True),
        sa.Column('datastore_version_id', sa.String(36), nullable=True),
        sa.Column('location', sa.String(1024), nullable=True),
        sa.Column('checksum', sa.String(64), nullable=True),
        sa.Column('size', sa.Float, nullable=True),
        sa.Column('state', sa.String(32), nullable=False),
        *_soft_delete_columns(),
        **types.MYSQL_TABLE_ARGS)
    _tenant_indexes('backups')
    op.create_index('backups_instance_id_idx', 'backups', ['instance_id'])
