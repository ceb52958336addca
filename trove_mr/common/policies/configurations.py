from oslo_policy import policy

from trove_mr.common.policies import base

PATH = '/v1.0/{project_id}/configurations'
ITEM = PATH + '/{configuration_id}'
PARAMETERS = ('/v1.0/{project_id}/datastores/{datastore}/versions/'
              '{version}/parameters')
PARAMETERS_BY_VERSION = ('/v1.0/{project_id}/datastores/versions/'
                         '{version_id}/parameters')

rules = [
    policy.DocumentedRuleDefault(
        'configuration:create', base.RULE_ADMIN_OR_OWNER,
        'Create a configuration group.', base.operations(PATH, 'POST')),
    policy.DocumentedRuleDefault(
        'configuration:index', base.RULE_ADMIN_OR_OWNER,
        'List configuration groups.', base.operations(PATH, 'GET')),
    policy.DocumentedRuleDefault(
        'configuration:show', base.RULE_ADMIN_OR_OWNER,
        'Show a configuration group with its values.',
        base.operations(ITEM, 'GET')),
    policy.DocumentedRuleDefault(
        'configuration:update', base.RULE_ADMIN_OR_OWNER,
        'Replace the values of a configuration group (and name, '
        'description); applied to the instances it is attached to.',
        base.operations(ITEM, 'PUT')),
    policy.DocumentedRuleDefault(
        'configuration:edit', base.RULE_ADMIN_OR_OWNER,
        'Change some values of a configuration group; applied to the '
        'instances it is attached to.', base.operations(ITEM, 'PATCH')),
    policy.DocumentedRuleDefault(
        'configuration:delete', base.RULE_ADMIN_OR_OWNER,
        'Delete a configuration group that is attached to nothing.',
        base.operations(ITEM, 'DELETE')),
    policy.DocumentedRuleDefault(
        'configuration:instances', base.RULE_ADMIN_OR_OWNER,
        'List the instances a configuration group is attached to.',
        base.operations(ITEM + '/instances', 'GET')),
    policy.DocumentedRuleDefault(
        'configuration-parameter:index', base.RULE_ANY,
        'List the configuration parameters of a datastore version.',
        base.operations(PARAMETERS, 'GET')),
    policy.DocumentedRuleDefault(
        'configuration-parameter:show', base.RULE_ANY,
        'Show a configuration parameter of a datastore version.',
        base.operations(PARAMETERS + '/{parameter}', 'GET')),
    policy.DocumentedRuleDefault(
        'configuration-parameter:index_by_version', base.RULE_ANY,
        'List the configuration parameters of a datastore version by id.',
        base.operations(PARAMETERS_BY_VERSION, 'GET')),
    policy.DocumentedRuleDefault(
        'configuration-parameter:show_by_version', base.RULE_ANY,
        'Show a configuration parameter of a datastore version by id.',
        base.operations(PARAMETERS_BY_VERSION + '/{parameter}', 'GET')),
]


def list_rules():
    return rules
