"""The real policy engine with the in-code defaults."""

import pytest

from trove_mr.common import cfg
from trove_mr.common import context
from trove_mr.common import exceptions
from trove_mr.common import policies
from trove_mr.common import policy


@pytest.fixture(autouse=True)
def _conf():
    cfg.CONF([], project='trove-mr')
    policy.reset()
    yield
    policy.reset()


def _ctx(roles, project='p1'):
    return context.RequestContext(project_id=project, user_id='u',
                                  roles=roles)


def test_member_may_create_instances_in_own_project():
    policy.authorize(_ctx(['member']), 'instance:create')


def test_member_may_not_act_on_another_projects_target():
    with pytest.raises(exceptions.Forbidden) as err:
        policy.authorize(_ctx(['member']), 'instance:show',
                         {'project_id': 'p2'})
    assert 'instance:show' in err.value.message
    assert err.value.code == 403


def test_admin_rules_refuse_members_and_accept_admins():
    for rule in ('mgmt:ping', 'mgmt:quota', 'mgmt:volume_replication'):
        with pytest.raises(exceptions.Forbidden):
            policy.authorize(_ctx(['member']), rule)
        policy.authorize(_ctx(['admin']), rule, {'project_id': 'other'})


def test_every_rule_is_documented_and_unique():
    names = [rule.name for rule in policies.list_rules()]
    assert len(names) == len(set(names))
    for rule in policies.list_rules():
        assert rule.description


def test_policy_file_overrides_a_default(tmp_path):
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"instance:create": "role:admin"\n')
    cfg.CONF.set_override('policy_file', str(policy_file), 'oslo_policy')
    try:
        policy.reset()
        with pytest.raises(exceptions.Forbidden):
            policy.authorize(_ctx(['member']), 'instance:create')
        policy.authorize(_ctx(['admin']), 'instance:create')
    finally:
        cfg.CONF.clear_override('policy_file', 'oslo_policy')

