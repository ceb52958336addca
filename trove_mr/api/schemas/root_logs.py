"""JSON schemas of the root and guest log requests."""

from trove_mr.common import guest_logs

# python-troveclient posts no body, or {"password": ...} with
# ``--root_password``; redis.conf holds only these characters as is.
ROOT_ENABLE = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        # Checked by the domain, whose message does not repeat it.
        'password': {'type': 'string'},
    },
}

_FLAG = {'type': ['integer', 'boolean'], 'enum': [0, 1, True, False]}

LOG_ACTION = {
    'type': 'object',
    'required': ['name'],
    'additionalProperties': False,
    'properties': dict(
        {'name': {'type': 'string', 'minLength': 1, 'maxLength': 64}},
        **{action: _FLAG for action in guest_logs.ACTIONS}),
}
