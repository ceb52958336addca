"""The region (cell) database API: the one module callers import.

Every function takes the request context first and runs in one
enginefacade transaction on the context's cell database when the context
is targeted (``trove_mr.db.cells.target_cell``), on ``[database]
connection`` otherwise. Rows are returned detached, with the
relationships reads need already loaded::

    from trove_mr.db.main import api as db_api
    db_api.instance_get(ctx, instance_id, tenant_id=ctx.project_id)

The functions live in small modules by what they touch; this module
names every public one of them, so no caller reaches into those modules.
"""

from trove_mr.db.main import admin
from trove_mr.db.main import cluster_members
from trove_mr.db.main import cluster_mirror
from trove_mr.db.main import cluster_secrets
from trove_mr.db.main import cluster_standby
from trove_mr.db.main import clusters_backups
from trove_mr.db.main import configurations
from trove_mr.db.main import datastores
from trove_mr.db.main import global_lists
from trove_mr.db.main import guest_reports
from trove_mr.db.main import guest_status
from trove_mr.db.main import heartbeats
from trove_mr.db.main import instance_pages
from trove_mr.db.main import instances
from trove_mr.db.main import leases
from trove_mr.db.main import root
from trove_mr.db.main import services

# Datastores and their versions.
datastore_create = datastores.datastore_create
datastore_get = datastores.datastore_get
datastore_get_by_name = datastores.datastore_get_by_name
datastore_list = datastores.datastore_list
datastore_update = datastores.datastore_update
datastore_version_create = datastores.datastore_version_create
datastore_version_update = datastores.datastore_version_update
datastore_version_get = datastores.datastore_version_get
datastore_version_get_by_name = datastores.datastore_version_get_by_name
datastore_version_get_default = datastores.datastore_version_get_default
datastore_version_list = datastores.datastore_version_list

# Instances and the guest status of each.
instance_create = instances.instance_create
instance_get = instances.instance_get
instance_list = instances.instance_list
instance_list_keys = instances.instance_list_keys
instance_get_many = instance_pages.instance_get_many
instance_list_page = instance_pages.instance_list_page
instance_marker_key = instance_pages.instance_marker_key
instance_list_all = instances.instance_list_all
instance_update = instances.instance_update
instance_soft_delete = instances.instance_soft_delete
instance_count = instances.instance_count
instances_by_cluster = instances.instances_by_cluster
instance_status_update = instances.instance_status_update
instance_status_get = instances.instance_status_get
instance_status_stale = instances.instance_status_stale
# Many guests' heartbeats in one transaction (the conductor's path).
instance_status_update_many = guest_status.instance_status_update_many

# Clusters and backups.
cluster_create = clusters_backups.cluster_create
cluster_get = clusters_backups.cluster_get
cluster_list = clusters_backups.cluster_list
cluster_update = clusters_backups.cluster_update
cluster_soft_delete = clusters_backups.cluster_soft_delete
backup_create = clusters_backups.backup_create
backup_get = clusters_backups.backup_get
backup_list = clusters_backups.backup_list
backup_update = clusters_backups.backup_update
backup_soft_delete = clusters_backups.backup_soft_delete
backup_count = clusters_backups.backup_count

# What the conductor records from guests; replica lookups.
backup_update_from_guest = guest_reports.backup_update_from_guest
instance_replicas = guest_reports.instance_replicas

# Members of a page of clusters.
members_of_clusters = cluster_members.members_of_clusters
# A cluster's standby region: roles swapped by a switchover or failover.
cluster_swap_roles = cluster_standby.cluster_swap_roles
clusters_auto_failover = cluster_standby.clusters_auto_failover
cluster_mirror_put = cluster_mirror.cluster_mirror_put
cluster_mirror_get = cluster_mirror.cluster_mirror_get
cluster_mirror_lock = cluster_mirror.cluster_mirror_lock
cluster_mirror_unlock = cluster_mirror.cluster_mirror_unlock
cluster_mirror_delete = cluster_mirror.cluster_mirror_delete
cluster_mirror_ids = cluster_mirror.cluster_mirror_ids
cluster_mirrors_stale = cluster_mirror.cluster_mirrors_stale
cluster_adopt = cluster_mirror.cluster_adopt
clusters_with_standby = cluster_mirror.clusters_with_standby
cluster_retire = cluster_mirror.cluster_retire

# Per-cell pieces of global lists (keys, then rows).
global_list_keys = global_lists.list_keys
global_get_many = global_lists.get_many
global_marker_key = global_lists.marker_key

# Guest heartbeat expiry (the conductor's periodic work).
instance_status_mark_lost = heartbeats.instance_status_mark_lost

# Build leases, busy clusters and per-instance RPC keys.
instance_lease_take = leases.instance_lease_take
instance_lease_renew = leases.instance_lease_renew
instance_builds_list = leases.instance_builds_list
instance_rpc_key_set = leases.instance_rpc_key_set
instance_rpc_key_get = leases.instance_rpc_key_get
clusters_busy_since = leases.clusters_busy_since

# Heartbeats of the cell's taskmanager and conductor processes.
service_heartbeat = services.service_heartbeat
service_get_all = services.service_get_all
service_alive_count = services.service_alive_count
service_delete = services.service_delete

# The admin (/mgmt) calls: every project's instances, resets.
admin_instance_list_keys = admin.admin_instance_list_keys
admin_instance_marker_key = admin.admin_instance_marker_key
admin_instance_get = admin.admin_instance_get
instance_reset = admin.instance_reset
cluster_reset = admin.cluster_reset

# Root: whether it was enabled, and the password the control plane keeps.
root_get = root.root_get
root_set_enabled = root.root_set_enabled
root_restore = root.root_restore
root_password_set = root.root_password_set
root_password_get = root.root_password_get
root_change_is_latest = root.root_change_is_latest
root_passwords_rewrap = root.root_passwords_rewrap
instances_busy_since = leases.instances_busy_since
root_password_key_ids = root.root_password_key_ids

# Configuration parameters of versions; what a group is applied to.
parameters_replace = configurations.parameters_replace
parameter_list = configurations.parameter_list
parameter_get = configurations.parameter_get
configuration_instances = configurations.configuration_instances
configuration_clusters = configurations.configuration_clusters

# Sealed secrets and their keys (trove-mr-manage keys).
cluster_password_get = cluster_secrets.cluster_password_get
cluster_passwords_rewrap = cluster_secrets.cluster_passwords_rewrap
cluster_password_key_ids = cluster_secrets.cluster_password_key_ids
instance_rpc_keys_rewrap = leases.instance_rpc_keys_rewrap
instance_rpc_key_ids = leases.instance_rpc_key_ids
