from oslo_policy import policy

from trove_mr.common.policies import base

MGMT = '/v1.0/{project_id}/mgmt'

rules = [
    policy.DocumentedRuleDefault(
        'mgmt:ping', base.RULE_ADMIN,
        'Ping the taskmanager and the conductor through the message bus.',
        base.operations(MGMT + '/ping', 'GET')),
    policy.DocumentedRuleDefault(
        'mgmt:quota', base.RULE_ADMIN,
        'Show or change the quotas of a project.',
        base.operations(MGMT + '/quotas/{tenant_id}', 'GET', 'PUT')),
    policy.DocumentedRuleDefault(
        'mgmt:region_mapping', base.RULE_ADMIN,
        'Manage the mappings of regions to their cells.',
        base.operations(MGMT + '/region_mappings', 'GET')),
    policy.DocumentedRuleDefault(
        'mgmt:volume_replication', base.RULE_ADMIN,
        'Enable, disable or fail over the replication of an instance\'s '
        'volume, and list its targets. Hidden from tenants.',
        base.operations(MGMT + '/instances/{instance_id}/replication',
                        'GET', 'POST')),
]


def list_rules():
    return rules
