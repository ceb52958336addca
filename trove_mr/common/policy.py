"""oslo.policy enforcement with defaults in code.

Operators override rules in a policy file (``[oslo_policy] policy_file``);
``oslopolicy-sample-generator --namespace trove_mr`` writes every default.
"""

import threading

from oslo_config import cfg
from oslo_policy import policy

from trove_mr.common import exceptions
from trove_mr.common import policies

CONF = cfg.CONF
_lock = threading.Lock()
_enforcer = None


def get_enforcer():
    """The process's enforcer (also the oslo.policy.enforcer entry point)."""
    global _enforcer
    with _lock:
        if _enforcer is None:
            _enforcer = policy.Enforcer(CONF)
            _enforcer.register_defaults(policies.list_rules())
        return _enforcer


def reset():
    global _enforcer
    with _lock:
        if _enforcer is not None:
            _enforcer.clear()
        _enforcer = None


def authorize(context, rule, target=None):
    """Raise Forbidden unless ``context`` may do ``rule`` on ``target``.

    ``target`` defaults to the caller's own project, so owner rules pass
    for the caller's resources; resources of other projects are filtered
    out by the DB layer and answer 404 before this point.
    """
    target = target or {'project_id': context.project_id}
    creds = context.to_policy_values()
    try:
        get_enforcer().authorize(rule, target, creds, do_raise=True)
    except policy.PolicyNotAuthorized as exc:
        raise exceptions.Forbidden(
            "Policy doesn't allow %s to be performed." % rule) from exc
