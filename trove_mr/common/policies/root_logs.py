"""Policies of root (the Redis password) and of the guest logs.

The names are upstream Trove's, so that an operator's existing policy
file keeps working.
"""

from oslo_policy import policy

from trove_mr.common.policies import base

INSTANCE_ROOT = '/v1.0/{project_id}/instances/{instance_id}/root'
CLUSTER_ROOT = '/v1.0/{project_id}/clusters/{cluster_id}/root'
LOG = '/v1.0/{project_id}/instances/{instance_id}/log'

rules = [
    policy.DocumentedRuleDefault(
        'instance:extension:root:create', base.RULE_ADMIN_OR_OWNER,
        'Enable root: set a new Redis password on an instance.',
        base.operations(INSTANCE_ROOT, 'POST')),
    policy.DocumentedRuleDefault(
        'instance:extension:root:delete', base.RULE_ADMIN_OR_OWNER,
        'Disable root: replace the password of an instance by one kept by '
        'the control plane.',
        base.operations(INSTANCE_ROOT, 'DELETE')),
    policy.DocumentedRuleDefault(
        'instance:extension:root:index', base.RULE_ADMIN_OR_OWNER,
        'Show whether root is enabled on an instance.',
        base.operations(INSTANCE_ROOT, 'GET')),
    policy.DocumentedRuleDefault(
        'cluster:extension:root:create', base.RULE_ADMIN_OR_OWNER,
        'Enable root: set a new Redis password on every cluster member.',
        base.operations(CLUSTER_ROOT, 'POST')),
    policy.DocumentedRuleDefault(
        'cluster:extension:root:delete', base.RULE_ADMIN_OR_OWNER,
        'Disable root on a cluster.',
        base.operations(CLUSTER_ROOT, 'DELETE')),
    policy.DocumentedRuleDefault(
        'cluster:extension:root:index', base.RULE_ADMIN_OR_OWNER,
        'Show whether root is enabled on a cluster.',
        base.operations(CLUSTER_ROOT, 'GET')),
    policy.DocumentedRuleDefault(
        'instance:guest_log_list', base.RULE_ADMIN_OR_OWNER,
        'List the logs of an instance\'s guest.',
        base.operations(LOG, 'GET')),
    policy.DocumentedRuleDefault(
        'instance:guest_log_action', base.RULE_ADMIN_OR_OWNER,
        'Show, enable, disable, publish or discard a log of an '
        'instance\'s guest.',
        base.operations(LOG, 'POST')),
]


def list_rules():
    return rules
