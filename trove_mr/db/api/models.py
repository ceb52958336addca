"""Tables of the API database: where each region's cell is, and quotas.

The API database is shared by the API of every region; it holds what must
be known before a cell can be chosen (which cell owns a resource) and what
must be counted across cells (per-project quotas).
"""

import sqlalchemy as sa
from sqlalchemy import orm

from trove_mr.db import types


class APIBase(orm.DeclarativeBase):
    """Declarative base of the API database's own metadata."""

    metadata = sa.MetaData()


class RegionMapping(APIBase):
    """A region's control cell: its message bus and its database.

    transport_url and database_connection hold ciphertext; the DB API
    decrypts them on read.
    """

    __tablename__ = 'region_mappings'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='uniq_region_mappings0uuid'),
        types.MYSQL_TABLE_ARGS,
    )

    created_at = sa.Column(sa.DateTime, nullable=True)
    updated_at = sa.Column(sa.DateTime, nullable=True)
    deleted_at = sa.Column(sa.DateTime, nullable=True)
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    name = sa.Column(sa.String(255), nullable=True)
    deleted = sa.Column(sa.Integer, nullable=True, default=0)
    transport_url = sa.Column(types.MediumText, nullable=False)
    database_connection = sa.Column(types.MediumText, nullable=False)


class InstanceMapping(APIBase):
    """Which cell owns an instance."""

    __tablename__ = 'instance_mappings'
    __table_args__ = (
        sa.UniqueConstraint('instance_uuid',
                            name='uniq_instance_mappings0instance_uuid'),
        sa.Index('instance_mappings_project_id_idx', 'project_id'),
        sa.Index('instance_mappings_region_mapping_uuid_idx',
                 'region_mapping_uuid'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    instance_uuid = sa.Column(sa.String(36), nullable=False)
    region_mapping_uuid = sa.Column(
        sa.String(36), sa.ForeignKey('region_mappings.uuid'),
        nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=True)
    updated_at = sa.Column(sa.DateTime, nullable=True)


class ClusterMapping(APIBase):
    """Which cell owns a cluster."""

    __tablename__ = 'cluster_mappings'
    __table_args__ = (
        sa.UniqueConstraint('cluster_uuid',
                            name='uniq_cluster_mappings0cluster_uuid'),
        sa.Index('cluster_mappings_project_id_idx', 'project_id'),
        sa.Index('cluster_mappings_region_mapping_uuid_idx',
                 'region_mapping_uuid'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    cluster_uuid = sa.Column(sa.String(36), nullable=False)
    region_mapping_uuid = sa.Column(
        sa.String(36), sa.ForeignKey('region_mappings.uuid'),
        nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=True)
    updated_at = sa.Column(sa.DateTime, nullable=True)


class Quota(APIBase):
    """A project's hard limit for one resource, overriding the default."""

    __tablename__ = 'quotas'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'resource',
                            name='uniq_quotas0project_id0resource'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    project_id = sa.Column(sa.String(255), nullable=False)
    resource = sa.Column(sa.String(255), nullable=False)
    hard_limit = sa.Column(sa.Integer, nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=True)
    updated_at = sa.Column(sa.DateTime, nullable=True)


class QuotaUsage(APIBase):
    """How much of one resource a project uses, across every region."""

    __tablename__ = 'quota_usages'
    __table_args__ = (
        sa.UniqueConstraint('project_id', 'resource',
                            name='uniq_quota_usages0project_id0resource'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    project_id = sa.Column(sa.String(255), nullable=False)
    resource = sa.Column(sa.String(255), nullable=False)
    in_use = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(sa.DateTime, nullable=True)
    updated_at = sa.Column(sa.DateTime, nullable=True)


class BackupMapping(APIBase):
    """Which cell owns a backup (the cell of the instance backed up)."""

    __tablename__ = 'backup_mappings'
    __table_args__ = (
        sa.UniqueConstraint('backup_uuid',
                            name='uniq_backup_mappings0backup_uuid'),
        sa.Index('backup_mappings_project_id_idx', 'project_id'),
        sa.Index('backup_mappings_region_mapping_uuid_idx',
                 'region_mapping_uuid'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    backup_uuid = sa.Column(sa.String(36), nullable=False)
    region_mapping_uuid = sa.Column(
        sa.String(36), sa.ForeignKey('region_mappings.uuid'),
        nullable=False)
    project_id = sa.Column(sa.String(255), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=True)
    updated_at = sa.Column(sa.DateTime, nullable=True)


class BackupStrategy(APIBase):
    """Where a project's (or one of its instances') backups go by default.

    ``instance_id`` is '' for the project's own default.
    """

    __tablename__ = 'backup_strategies'
    __table_args__ = (
        sa.UniqueConstraint(
            'project_id', 'instance_id',
            name='uniq_backup_strategies0project_id0instance_id'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(255), nullable=False)
    instance_id = sa.Column(sa.String(36), nullable=False)
    backend = sa.Column(sa.String(255), nullable=False)
    swift_container = sa.Column(sa.String(255), nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=True)
    updated_at = sa.Column(sa.DateTime, nullable=True)


class Configuration(APIBase):
    """A tenant's configuration group: values for one datastore version.

    It lives here, not in a cell, so that it can be attached to the
    tenant's instances of every region; the version is named by datastore
    and version name, as placement matches versions across cells, and
    ``datastore_version_id`` is its id in the cell of the API that created
    the group.
    """

    __tablename__ = 'configurations'
    __table_args__ = (
        sa.Index('configurations_tenant_deleted_created_idx',
                 'tenant_id', 'deleted', 'created', 'id'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False)
    description = sa.Column(sa.String(512), nullable=True)
    tenant_id = sa.Column(sa.String(64), nullable=False)
    datastore_name = sa.Column(sa.String(255), nullable=False)
    datastore_version_name = sa.Column(sa.String(255), nullable=False)
    datastore_version_id = sa.Column(sa.String(36), nullable=False)
    # JSON object of parameter name -> typed value.
    values = sa.Column(sa.Text, nullable=False)
    created = sa.Column(types.Timestamp, nullable=False)
    updated = sa.Column(types.Timestamp, nullable=True)
    deleted = sa.Column(sa.Boolean, nullable=False, default=False)
    deleted_at = sa.Column(types.Timestamp, nullable=True)
