"""Default API policies, one small module per resource."""

import itertools

from trove_mr.common.policies import backups
from trove_mr.common.policies import base
from trove_mr.common.policies import clusters
from trove_mr.common.policies import configurations
from trove_mr.common.policies import datastores
from trove_mr.common.policies import instances
from trove_mr.common.policies import limits
from trove_mr.common.policies import mgmt
from trove_mr.common.policies import root_logs


def list_rules():
    """Every default rule, for the enforcer and the sample generator."""
    return list(itertools.chain(
        base.list_rules(), instances.list_rules(), clusters.list_rules(),
        backups.list_rules(), datastores.list_rules(), mgmt.list_rules(),
        limits.list_rules(),
        root_logs.list_rules(),
        configurations.list_rules()))
