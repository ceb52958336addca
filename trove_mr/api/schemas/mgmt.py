"""JSON schemas of the admin (``/mgmt``), quota and limit requests."""

_BOOL = {'type': 'string', 'pattern': r'^([Tt]rue|[Ff]alse|0|1)$'}
_EMPTY = {'type': 'object', 'additionalProperties': False}

_PAGE = {
    'limit': {'type': 'string', 'pattern': r'^[0-9]{1,9}$'},
    'marker': {'type': 'string', 'minLength': 1, 'maxLength': 36},
    'deleted': _BOOL,
}

# GET /mgmt/instances: python-troveclient always sends deleted; the
# openstack CLI adds include_clustered and, with --project-id, project_id.
INSTANCE_LIST_QUERY = {
    'type': 'object',
    'additionalProperties': False,
    'properties': dict(
        _PAGE, include_clustered=_BOOL,
        project_id={'type': 'string', 'minLength': 1, 'maxLength': 64}),
}

# GET /mgmt/clusters: python-troveclient's mgmt_clusters.index.
CLUSTER_LIST_QUERY = {
    'type': 'object',
    'additionalProperties': False,
    'properties': dict(_PAGE),
}

INSTANCE_ACTION = {
    'type': 'object',
    'minProperties': 1,
    'maxProperties': 1,
    'additionalProperties': False,
    'properties': {
        'reboot': _EMPTY,
        'stop': _EMPTY,
        # python-troveclient sends {} without a host.
        'migrate': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {'host': {'type': 'string', 'minLength': 1,
                                    'maxLength': 255}},
        },
        'reset-task-status': _EMPTY,
        'rebuild': {
            'type': 'object',
            'required': ['image_id'],
            'additionalProperties': False,
            'properties': {'image_id': {'type': 'string', 'minLength': 1,
                                        'maxLength': 255}},
        },
    },
}

CLUSTER_ACTION = {
    'type': 'object',
    'minProperties': 1,
    'maxProperties': 1,
    'additionalProperties': False,
    'properties': {'reset-task': _EMPTY},
}

# -1 is "unlimited", as in Trove.
QUOTA_UPDATE = {
    'type': 'object',
    'required': ['quotas'],
    'additionalProperties': False,
    'properties': {'quotas': {
        'type': 'object',
        'minProperties': 1,
        'additionalProperties': {'type': 'integer', 'minimum': -1,
                                 'maximum': 2 ** 31 - 1},
    }},
}

_QUOTA = {'type': 'object',
          'required': ['resource', 'limit', 'in_use', 'reserved'],
          'additionalProperties': False,
          'properties': {'resource': {'type': 'string'},
                         'limit': {'type': 'integer'},
                         'in_use': {'type': 'integer'},
                         'reserved': {'type': 'integer'}}}

QUOTA_SHOW_RESPONSE = {
    'type': 'object', 'required': ['quotas'], 'additionalProperties': False,
    'properties': {'quotas': {'type': 'array', 'items': _QUOTA}}}

LIMITS_RESPONSE = {
    'type': 'object', 'required': ['limits'], 'additionalProperties': False,
    'properties': {'limits': {
        'type': 'array', 'minItems': 1,
        'items': {'type': 'object', 'required': ['verb']},
        'contains': {
            'type': 'object',
            'required': ['verb', 'max_instances', 'max_volumes',
                         'max_backups', 'used_instances', 'used_volumes',
                         'used_backups'],
            'properties': {'verb': {'const': 'ABSOLUTE'}}},
    }}}
