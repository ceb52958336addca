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
        'volume (or of every member of a cluster), show its state and '
        'last copy, and list a region\'s replication targets. Hidden '
        'from tenants.',
        base.operations(MGMT + '/instances/{instance_id}/replication',
                        'GET', 'POST') +
        base.operations(MGMT + '/clusters/{cluster_id}/replication',
                        'GET', 'POST') +
        base.operations(MGMT + '/replication_targets', 'GET')),
    policy.DocumentedRuleDefault(
        'mgmt:instance_index', base.RULE_ADMIN,
        'List the instances of every project and region, with their '
        'servers and compute hosts.',
        base.operations(MGMT + '/instances', 'GET')),
    policy.DocumentedRuleDefault(
        'mgmt:instance_show', base.RULE_ADMIN,
        'Show an instance of any project with its server and volume.',
        base.operations(MGMT + '/instances/{instance_id}', 'GET')),
    policy.DocumentedRuleDefault(
        'mgmt:instance_action', base.RULE_ADMIN,
        'Reboot, rebuild or migrate an instance\'s server, stop its '
        'datastore, or reset its task.',
        base.operations(MGMT + '/instances/{instance_id}/action', 'POST')),
    policy.DocumentedRuleDefault(
        'mgmt:cluster_index', base.RULE_ADMIN,
        'List the clusters of every project (``?deleted=true``: the '
        'deleted ones).',
        base.operations(MGMT + '/clusters', 'GET')),
    policy.DocumentedRuleDefault(
        'mgmt:cluster_show', base.RULE_ADMIN,
        'Show a cluster of any project.',
        base.operations(MGMT + '/clusters/{cluster_id}', 'GET')),
    policy.DocumentedRuleDefault(
        'mgmt:cluster_action', base.RULE_ADMIN,
        'Reset the task of a cluster of any project.',
        base.operations(MGMT + '/clusters/{cluster_id}/action', 'POST')),
]


def list_rules():
    return rules
