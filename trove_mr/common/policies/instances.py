from oslo_policy import policy

from trove_mr.common.policies import base

PATH = '/v1.0/{project_id}/instances'
ITEM = PATH + '/{instance_id}'

rules = [
    policy.DocumentedRuleDefault(
        'instance:create', base.RULE_ADMIN_OR_OWNER,
        'Create a database instance, in any region.',
        base.operations(PATH, 'POST')),
    policy.DocumentedRuleDefault(
        'instance:index', base.RULE_ADMIN_OR_OWNER,
        'List database instances.', base.operations(PATH, 'GET')),
    policy.DocumentedRuleDefault(
        'instance:show', base.RULE_ADMIN_OR_OWNER,
        'Show a database instance.', base.operations(ITEM, 'GET')),
    policy.DocumentedRuleDefault(
        'instance:update', base.RULE_ADMIN_OR_OWNER,
        'Rename a database instance.', base.operations(ITEM, 'PATCH')),
    policy.DocumentedRuleDefault(
        'instance:delete', base.RULE_ADMIN_OR_OWNER,
        'Delete a database instance.', base.operations(ITEM, 'DELETE')),
    policy.DocumentedRuleDefault(
        'instance:action', base.RULE_ADMIN_OR_OWNER,
        'Act on an instance (restart, promote, eject, detach replica).',
        base.operations(ITEM + '/action', 'POST')),
    policy.DocumentedRuleDefault(
        'instance:root', base.RULE_ADMIN_OR_OWNER,
        'Reset and show the password of an instance\'s datastore.',
        base.operations(ITEM + '/root', 'POST')),
    policy.DocumentedRuleDefault(
        'instance:backups', base.RULE_ADMIN_OR_OWNER,
        'List the backups of an instance.',
        base.operations(ITEM + '/backups', 'GET')),
    policy.DocumentedRuleDefault(
        'instance:resize_flavor', base.RULE_ADMIN_OR_OWNER,
        'Resize an instance to another flavor of its region '
        '(``{"resize": {"flavorRef": ...}}``).',
        base.operations(ITEM + '/action', 'POST')),
    policy.DocumentedRuleDefault(
        'instance:resize_volume', base.RULE_ADMIN_OR_OWNER,
        'Grow the volume of an instance '
        '(``{"resize": {"volume": {"size": ...}}}``).',
        base.operations(ITEM + '/action', 'POST')),
    policy.DocumentedRuleDefault(
        'instance:reset_status', base.RULE_ADMIN,
        'Reset an instance: task NONE, datastore status FAILED (shown as '
        'ERROR until its guest reports), unfinished backups FAILED.',
        base.operations(ITEM + '/action', 'POST')),
    policy.DocumentedRuleDefault(
        'instance:upgrade', base.RULE_ADMIN_OR_OWNER,
        'Upgrade an instance to another version of its datastore '
        '(checked with instance:update).',
        base.operations(ITEM, 'PATCH')),
    policy.DocumentedRuleDefault(
        'instance:configuration', base.RULE_ADMIN_OR_OWNER,
        'Show the configuration an instance runs with before any '
        'configuration group.',
        base.operations(ITEM + '/configuration', 'GET')),
]


def list_rules():
    return rules
