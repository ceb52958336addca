from oslo_policy import policy

RULE_ADMIN = 'rule:admin'
RULE_ADMIN_OR_OWNER = 'rule:admin_or_owner'
RULE_ANY = '@'

rules = [
    policy.RuleDefault(
        'admin', 'role:admin or is_admin:True',
        description='Who counts as a cloud administrator.'),
    policy.RuleDefault(
        'admin_or_owner', 'rule:admin or project_id:%(project_id)s',
        description='An administrator, or a member of the project that '
                    'owns the resource.'),
]


def list_rules():
    return rules


def operations(path, *methods):
    return [{'path': path, 'method': method} for method in methods]
