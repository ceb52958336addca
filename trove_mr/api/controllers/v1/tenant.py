"""``/v1.0/{tenant_id}/``: the resources of one project.

Each resource controller is attached here as an attribute named as its
URL segment, e.g. ``instances = instances.InstancesController()``.
"""

from trove_mr.api.controllers.v1 import backup_strategies
from trove_mr.api.controllers.v1 import backups
from trove_mr.api.controllers.v1 import clusters
from trove_mr.api.controllers.v1 import configurations
from trove_mr.api.controllers.v1 import datastores
from trove_mr.api.controllers.v1 import flavors
from trove_mr.api.controllers.v1 import instances
from trove_mr.api.controllers.v1 import limits
from trove_mr.api.controllers.v1 import mgmt


class TenantController:
    """Resources of project ``tenant_id``."""

    mgmt = mgmt.MgmtController()
    instances = instances.InstancesController()
    backups = backups.BackupsController()
    clusters = clusters.ClustersController()
    flavors = flavors.FlavorsController()
    datastores = datastores.DatastoresController()
    limits = limits.LimitsController()
    backup_strategies = backup_strategies.BackupStrategiesController()
    configurations = configurations.ConfigurationsController()

    def __init__(self, tenant_id):
        self.tenant_id = tenant_id
