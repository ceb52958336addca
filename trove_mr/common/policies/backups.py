from oslo_policy import policy

from trove_mr.common.policies import base

PATH = '/v1.0/{project_id}/backups'
ITEM = PATH + '/{backup_id}'
STRATEGIES = '/v1.0/{project_id}/backup_strategies'

rules = [
    policy.DocumentedRuleDefault(
        'backup:create', base.RULE_ADMIN_OR_OWNER,
        'Back an instance up to the project\'s object store.',
        base.operations(PATH, 'POST')),
    policy.DocumentedRuleDefault(
        'backup:index', base.RULE_ADMIN_OR_OWNER, 'List backups.',
        base.operations(PATH, 'GET')),
    policy.DocumentedRuleDefault(
        'backup:show', base.RULE_ADMIN_OR_OWNER, 'Show a backup.',
        base.operations(ITEM, 'GET')),
    policy.DocumentedRuleDefault(
        'backup:delete', base.RULE_ADMIN_OR_OWNER,
        'Delete a backup and its objects.',
        base.operations(ITEM, 'DELETE')),
    policy.DocumentedRuleDefault(
        'backup_strategy:create', base.RULE_ADMIN_OR_OWNER,
        'Set the default Swift container of the project\'s (or one '
        'instance\'s) backups.',
        base.operations(STRATEGIES, 'POST')),
    policy.DocumentedRuleDefault(
        'backup_strategy:index', base.RULE_ADMIN_OR_OWNER,
        'List backup strategies.',
        base.operations(STRATEGIES, 'GET')),
    policy.DocumentedRuleDefault(
        'backup_strategy:delete', base.RULE_ADMIN_OR_OWNER,
        'Delete a backup strategy.',
        base.operations(STRATEGIES, 'DELETE')),
]


def list_rules():
    return rules
