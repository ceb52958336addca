"""Tables of a region (cell) database: datastores and what tenants own.

Relationships that every read needs (an instance's guest status and its
datastore version) load by join, so that reading a page of instances is one
query whatever its size.
"""

import sqlalchemy as sa
from sqlalchemy import orm

from trove_mr.db import types


class RegionBase(orm.DeclarativeBase):
    """Declarative base of the region database's own metadata."""

    metadata = sa.MetaData()


class Datastore(RegionBase):
    __tablename__ = 'datastores'
    __table_args__ = (
        sa.UniqueConstraint('name', name='uniq_datastores0name'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False)
    default_version_id = sa.Column(sa.String(36), nullable=True)


class DatastoreVersion(RegionBase):
    __tablename__ = 'datastore_versions'
    __table_args__ = (
        sa.UniqueConstraint('datastore_id', 'name',
                            name='uniq_datastore_versions0datastore_id0name'),
        sa.Index('datastore_versions_datastore_id_idx', 'datastore_id'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    datastore_id = sa.Column(sa.String(36), sa.ForeignKey('datastores.id'),
                             nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    manager = sa.Column(sa.String(255), nullable=False)
    image_name = sa.Column(sa.String(255), nullable=True)
    image_id = sa.Column(sa.String(36), nullable=True)
    # Comma-separated Glance tags an image must carry to be used.
    image_tags = sa.Column(sa.String(255), nullable=True)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    is_default = sa.Column(sa.Boolean, nullable=False, default=False)

    datastore = orm.relationship(Datastore, lazy='joined', innerjoin=True)


class Cluster(RegionBase):
    __tablename__ = 'clusters'
    __table_args__ = (
        sa.Index('clusters_tenant_deleted_created_idx',
                 'tenant_id', 'deleted', 'created', 'id'),
        sa.Index('clusters_region_name_idx', 'region_name'),
        sa.Index('clusters_datastore_version_id_idx',
                 'datastore_version_id'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False)
    tenant_id = sa.Column(sa.String(64), nullable=False)
    region_name = sa.Column(sa.String(255), nullable=True)
    datastore_version_id = sa.Column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'),
        nullable=False)
    task_id = sa.Column(sa.Integer, nullable=False)
    task_name = sa.Column(sa.String(255), nullable=False)
    task_description = sa.Column(sa.String(255), nullable=True)
    created = sa.Column(types.Timestamp, nullable=False)
    updated = sa.Column(types.Timestamp, nullable=True)
    deleted = sa.Column(sa.Boolean, nullable=False, default=False)
    deleted_at = sa.Column(types.Timestamp, nullable=True)
    # The members' shared Redis password, sealed (cluster/redis/password).
    encrypted_password = sa.Column(sa.Text, nullable=True)

    datastore_version = orm.relationship(DatastoreVersion, lazy='joined',
                                         innerjoin=True)
    # The configuration group (API database) its members apply.
    configuration_id = sa.Column(sa.String(36), nullable=True)
    # Region holding a replica of every master, the masters' region, and
    # the JSON record of the last switchover or failover (region0010).
    standby_region = sa.Column(sa.String(255), nullable=True)
    primary_region = sa.Column(sa.String(255), nullable=True)
    failover_state = sa.Column(sa.Text, nullable=True)
    # Fail over on its own when the primary region goes silent.
    auto_failover = sa.Column(sa.Boolean, nullable=True, default=False)


class Instance(RegionBase):
    __tablename__ = 'instances'
    __table_args__ = (
        sa.Index('instances_tenant_deleted_created_idx',
                 'tenant_id', 'deleted', 'created', 'id'),
        sa.Index('instances_cluster_id_idx', 'cluster_id'),
        sa.Index('instances_region_name_idx', 'region_name'),
        sa.Index('instances_datastore_version_id_idx',
                 'datastore_version_id'),
        sa.Index('instances_task_status_idx', 'task_status'),
        sa.Index('instances_configuration_id_idx', 'configuration_id'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), nullable=True)
    tenant_id = sa.Column(sa.String(64), nullable=False)
    # Placement region: where the server and volume live.
    region_name = sa.Column(sa.String(255), nullable=True)
    flavor_id = sa.Column(sa.String(255), nullable=True)
    volume_size = sa.Column(sa.Integer, nullable=True)
    volume_type = sa.Column(sa.String(255), nullable=True)
    volume_id = sa.Column(sa.String(36), nullable=True)
    server_id = sa.Column(sa.String(36), nullable=True)
    datastore_version_id = sa.Column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'),
        nullable=False)
    cluster_id = sa.Column(sa.String(36), nullable=True)
    # 'master', 'slave' or None for a standalone instance.
    type = sa.Column(sa.String(64), nullable=True)
    related_to = sa.Column(sa.String(36), nullable=True)
    replica_of_id = sa.Column(sa.String(36), nullable=True)
    task_status = sa.Column(sa.String(64), nullable=False, default='NONE')
    # Lease of the taskmanager building the instance (region0002).
    task_owner = sa.Column(sa.String(255), nullable=True)
    task_updated = sa.Column(types.Timestamp, nullable=True)
    fault_message = sa.Column(sa.Text, nullable=True)
    fault_details = sa.Column(sa.Text, nullable=True)
    # JSON list of {"address", "type", "network"} dicts.
    addresses = sa.Column(sa.Text, nullable=True)
    encrypted_rpc_key = sa.Column(sa.String(255), nullable=True)
    volume_replication_status = sa.Column(sa.String(64), nullable=True)
    # JSON {"is_public": bool, "allowed_cidrs": [...]} (region0004_access).
    access = sa.Column(sa.Text, nullable=True)
    created = sa.Column(types.Timestamp, nullable=False)
    updated = sa.Column(types.Timestamp, nullable=True)
    deleted = sa.Column(sa.Boolean, nullable=False, default=False)
    deleted_at = sa.Column(types.Timestamp, nullable=True)

    datastore_version = orm.relationship(DatastoreVersion, lazy='joined',
                                         innerjoin=True)
    status = orm.relationship('InstanceStatus', lazy='joined',
                              uselist=False, viewonly=True)
    # The configuration group (API database) applied to it, and whether
    # some of its values wait for a restart (region0004).
    configuration_id = sa.Column(sa.String(36), nullable=True)
    configuration_restart_required = sa.Column(sa.Boolean, nullable=True,
                                               default=False)


class InstanceStatus(RegionBase):
    """What the guest agent last reported, and when it sent it."""

    __tablename__ = 'instance_status'
    __table_args__ = (types.MYSQL_TABLE_ARGS,)

    instance_id = sa.Column(sa.String(36), sa.ForeignKey('instances.id'),
                            primary_key=True)
    status = sa.Column(sa.String(64), nullable=False)
    volume_used = sa.Column(sa.Float, nullable=True)
    # The guest's own send time of the last applied message.
    heartbeat_at = sa.Column(types.Timestamp, nullable=True)
    updated_at = sa.Column(types.Timestamp, nullable=True)
    # redis-server restarts by the agent on its own, as the guest counts
    # them, with the guest's time and reason of the last (region0008).
    datastore_restarts = sa.Column(sa.Integer, nullable=True)
    last_restart_at = sa.Column(types.Timestamp, nullable=True)
    last_restart_reason = sa.Column(sa.String(255), nullable=True)
    # Hash slots a Redis Cluster member owns, as its guest last reported
    # (region0009); None outside clusters.
    cluster_slots = sa.Column(sa.Integer, nullable=True)
    # How far a replica is behind its master, as its guest last reported
    # (region0010); None for masters and before the first report.
    repl_lag_bytes = sa.Column(sa.BigInteger, nullable=True)
    repl_lag_seconds = sa.Column(sa.Integer, nullable=True)


class Backup(RegionBase):
    __tablename__ = 'backups'
    __table_args__ = (
        sa.Index('backups_tenant_deleted_created_idx',
                 'tenant_id', 'deleted', 'created', 'id'),
        sa.Index('backups_instance_id_idx', 'instance_id'),
        sa.Index('backups_region_name_idx', 'region_name'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False)
    description = sa.Column(sa.String(512), nullable=True)
    tenant_id = sa.Column(sa.String(64), nullable=False)
    instance_id = sa.Column(sa.String(36), nullable=True)
    region_name = sa.Column(sa.String(255), nullable=True)
    datastore_version_id = sa.Column(sa.String(36), nullable=True)
    location = sa.Column(sa.String(1024), nullable=True)
    checksum = sa.Column(sa.String(64), nullable=True)
    size = sa.Column(sa.Float, nullable=True)
    state = sa.Column(sa.String(32), nullable=False, default='NEW')
    created = sa.Column(types.Timestamp, nullable=False)
    updated = sa.Column(types.Timestamp, nullable=True)
    deleted = sa.Column(sa.Boolean, nullable=False, default=False)
    deleted_at = sa.Column(types.Timestamp, nullable=True)


class Service(RegionBase):
    """One running taskmanager or conductor process of this cell.

    As Nova's service group: each process upserts its row every
    ``report_interval`` seconds and deletes it on a clean stop; a row not
    seen for ``service_down_time`` seconds is a process that is gone.
    ``boot_id`` tells apart two processes started with the same ``host``.
    """

    __tablename__ = 'services'
    __table_args__ = (
        sa.UniqueConstraint('host', 'binary', 'boot_id',
                            name='uniq_services0host0binary0boot_id'),
        sa.Index('services_binary_last_seen_up_idx',
                 'binary', 'last_seen_up'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    host = sa.Column(sa.String(255), nullable=False)
    # 'trove-mr-taskmanager' or 'trove-mr-conductor'.
    binary = sa.Column(sa.String(255), nullable=False)
    topic = sa.Column(sa.String(255), nullable=True)
    boot_id = sa.Column(sa.String(36), nullable=False)
    report_count = sa.Column(sa.Integer, nullable=False, default=0)
    disabled = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(types.Timestamp, nullable=False)
    last_seen_up = sa.Column(types.Timestamp, nullable=False)


class RootHistory(RegionBase):
    """Root (the Redis password) of an instance or a cluster.

    ``enabled`` says whether the tenant asked for root since the last
    disable; ``encrypted_password`` is the password the control plane
    last set on the datastore (encrypted under ``inst_rpc_key_encr_key``),
    so that members added later get the same one.
    """

    __tablename__ = 'root_history'
    __table_args__ = (types.MYSQL_TABLE_ARGS,)

    # An instance id or a cluster id.
    resource_id = sa.Column(sa.String(36), primary_key=True)
    # 'instance' or 'cluster'.
    resource_type = sa.Column(sa.String(16), nullable=False)
    enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    enabled_at = sa.Column(types.Timestamp, nullable=True)
    enabled_by = sa.Column(sa.String(255), nullable=True)
    disabled_at = sa.Column(types.Timestamp, nullable=True)
    encrypted_password = sa.Column(sa.String(1024), nullable=True)
    password_set_at = sa.Column(types.Timestamp, nullable=True)
    # The latest change asked for: an older job still running stops.
    change_id = sa.Column(sa.String(36), nullable=True)
    updated = sa.Column(types.Timestamp, nullable=True)


class ConfigurationParameter(RegionBase):
    """A parameter tenants may set in configuration groups of a version.

    Loaded from a rules file by ``trove-mr-manage
    db_load_datastore_config_parameters``.
    """

    __tablename__ = 'datastore_configuration_parameters'
    __table_args__ = (
        sa.UniqueConstraint(
            'datastore_version_id', 'name',
            name='uniq_datastore_configuration_parameters0version0name'),
        types.MYSQL_TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(128), nullable=False)
    datastore_version_id = sa.Column(
        sa.String(36), sa.ForeignKey('datastore_versions.id'),
        nullable=False)
    # 'integer', 'float', 'string' or 'boolean'.
    data_type = sa.Column(sa.String(32), nullable=False)
    min_size = sa.Column(sa.Float, nullable=True)
    max_size = sa.Column(sa.Float, nullable=True)
    # JSON list, or NULL for any value of the type.
    allowed_values = sa.Column(sa.Text, nullable=True)
    pattern = sa.Column(sa.String(255), nullable=True)
    restart_required = sa.Column(sa.Boolean, nullable=False, default=False)
    created = sa.Column(types.Timestamp, nullable=False)


class ClusterMirror(RegionBase):
    """A cluster owned by another cell, as that cell last wrote it here,
    the cell of the cluster's standby region (region0011): what this
    cell needs to take the cluster over when the owning cell is down."""

    __tablename__ = 'cluster_mirrors'
    __table_args__ = (types.MYSQL_TABLE_ARGS,)

    cluster_id = sa.Column(sa.String(36), primary_key=True)
    tenant_id = sa.Column(sa.String(64), nullable=False)
    owning_region = sa.Column(sa.String(255), nullable=False)
    # JSON: the cluster's columns and its members' (cluster/redis/mirror).
    record = sa.Column(sa.Text, nullable=False)
    # The takeover's lock: set from NULL by a conditional UPDATE.
    failover_task = sa.Column(sa.String(64), nullable=True)
    created = sa.Column(types.Timestamp, nullable=False)
    updated = sa.Column(types.Timestamp, nullable=True)
