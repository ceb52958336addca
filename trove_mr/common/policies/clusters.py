from oslo_policy import policy

from trove_mr.common.policies import base

PATH = '/v1.0/{project_id}/clusters'
ITEM = PATH + '/{cluster_id}'

rules = [
    policy.DocumentedRuleDefault(
        'cluster:create', base.RULE_ADMIN_OR_OWNER,
        'Create a cluster, its members in any region.',
        base.operations(PATH, 'POST')),
    policy.DocumentedRuleDefault(
        'cluster:index', base.RULE_ADMIN_OR_OWNER, 'List clusters.',
        base.operations(PATH, 'GET')),
    policy.DocumentedRuleDefault(
        'cluster:show', base.RULE_ADMIN_OR_OWNER, 'Show a cluster.',
        base.operations(ITEM, 'GET')),
    policy.DocumentedRuleDefault(
        'cluster:show_instance', base.RULE_ADMIN_OR_OWNER,
        'Show a member of a cluster.',
        base.operations(ITEM + '/instances/{instance_id}', 'GET')),
    policy.DocumentedRuleDefault(
        'cluster:delete', base.RULE_ADMIN_OR_OWNER, 'Delete a cluster.',
        base.operations(ITEM, 'DELETE')),
    policy.DocumentedRuleDefault(
        'cluster:action', base.RULE_ADMIN_OR_OWNER,
        'Grow or shrink a cluster.',
        base.operations(ITEM + '/action', 'POST')),
    policy.DocumentedRuleDefault(
        'cluster:reset-status', base.RULE_ADMIN,
        'Reset a cluster\'s task and every member\'s status.',
        base.operations(ITEM, 'POST')),
    policy.DocumentedRuleDefault(
        'cluster:upgrade', base.RULE_ADMIN_OR_OWNER,
        'Upgrade a cluster to another version of its datastore (checked '
        'with cluster:action).',
        base.operations(ITEM, 'POST')),
    policy.DocumentedRuleDefault(
        'cluster:add_standby', base.RULE_ADMIN_OR_OWNER,
        'Give a cluster a standby region (checked with cluster:action).',
        base.operations(ITEM + '/action', 'POST')),
    policy.DocumentedRuleDefault(
        'cluster:switchover', base.RULE_ADMIN_OR_OWNER,
        'Swap the roles of a cluster\'s primary and standby regions '
        '(checked with cluster:action).',
        base.operations(ITEM + '/action', 'POST')),
    policy.DocumentedRuleDefault(
        'cluster:failover', base.RULE_ADMIN_OR_OWNER,
        'Promote a cluster\'s standby region when its primary region is '
        'lost (checked with cluster:action).',
        base.operations(ITEM + '/action', 'POST')),
    policy.DocumentedRuleDefault(
        'cluster:rebuild_lost', base.RULE_ADMIN_OR_OWNER,
        'Remove the members a failover lost and rebuild them in another '
        'region (checked with cluster:action).',
        base.operations(ITEM + '/action', 'POST')),
    policy.DocumentedRuleDefault(
        'cluster:failover_policy', base.RULE_ADMIN_OR_OWNER,
        'Turn a cluster\'s automatic failover to its standby region on or '
        'off (checked with cluster:action).',
        base.operations(ITEM + '/action', 'POST')),
]


def list_rules():
    return rules
