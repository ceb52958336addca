"""The region (cell) database API.

Every function takes the request context first and runs in one
enginefacade transaction on the context's cell database when the context
is targeted (``trove_mr.common.cells.target_cell``), on
``[database] connection`` otherwise. Rows are returned detached, with the
relationships reads need already loaded. Callers import this module only:

    from trove_mr.db import api as db_api
    db_api.instance_get(ctx, instance_id, tenant_id=ctx.project_id)
"""

from trove_mr.db import api_backups
from trove_mr.db import clusters_backups
from trove_mr.db import datastores
from trove_mr.db import instances

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

instance_create = instances.instance_create
instance_get = instances.instance_get
instance_list = instances.instance_list
instance_list_all = instances.instance_list_all
instance_marker_key = instances.instance_marker_key
instance_list_keys = instances.instance_list_keys
instance_get_many = instances.instance_get_many
instance_update = instances.instance_update
instance_soft_delete = instances.instance_soft_delete
instance_count = instances.instance_count
instances_by_cluster = instances.instances_by_cluster
instance_status_update = instances.instance_status_update
instance_status_get = instances.instance_status_get
instance_status_stale = instances.instance_status_stale

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
backup_update_from_guest = api_backups.backup_update_from_guest
instance_replicas = api_backups.instance_replicas
