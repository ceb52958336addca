from oslo_policy import policy

from trove_mr.common.policies import base

rules = [
    policy.DocumentedRuleDefault(
        'datastore:index', base.RULE_ANY,
        'List datastores and their versions.',
        base.operations('/v1.0/{project_id}/datastores', 'GET')),
    policy.DocumentedRuleDefault(
        'datastore:show', base.RULE_ANY,
        'Show a datastore or a datastore version.',
        base.operations('/v1.0/{project_id}/datastores/{datastore}',
                        'GET')),
    policy.DocumentedRuleDefault(
        'flavor:index', base.RULE_ANY,
        'List the flavors of a region.',
        base.operations('/v1.0/{project_id}/flavors', 'GET')),
    policy.DocumentedRuleDefault(
        'flavor:show', base.RULE_ANY, 'Show a flavor of a region.',
        base.operations('/v1.0/{project_id}/flavors/{flavor_id}', 'GET')),
]


def list_rules():
    return rules
