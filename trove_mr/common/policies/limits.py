from oslo_policy import policy

from trove_mr.common.policies import base

rules = [
    policy.DocumentedRuleDefault(
        'limits:index', base.RULE_ADMIN_OR_OWNER,
        'Show the absolute limits of a project and what it uses.',
        base.operations('/v1.0/{project_id}/limits', 'GET')),
]


def list_rules():
    return rules
