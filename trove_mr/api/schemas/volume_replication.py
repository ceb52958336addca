"""JSON schemas of the admin replication calls (``/mgmt/.../replication``).
"""

_EMPTY = {'type': 'object', 'additionalProperties': False}
_BACKEND_ID = {'type': 'string', 'minLength': 1, 'maxLength': 255}

# POST /mgmt/instances/{id}/replication: one action.
INSTANCE_ACTION = {
    'type': 'object',
    'minProperties': 1,
    'maxProperties': 1,
    'additionalProperties': False,
    'properties': {
        'enable': _EMPTY,
        'disable': _EMPTY,
        'failover': {'type': 'object', 'additionalProperties': False,
                     'properties': {'secondary': _BACKEND_ID}},
    },
}

# POST /mgmt/clusters/{id}/replication: members one at a time.
CLUSTER_ACTION = {
    'type': 'object',
    'minProperties': 1,
    'maxProperties': 1,
    'additionalProperties': False,
    'properties': {'enable': _EMPTY, 'disable': _EMPTY,
                   'failover': _EMPTY},
}

TARGETS_QUERY = {
    'type': 'object',
    'required': ['region'],
    'additionalProperties': False,
    'properties': {'region': {'type': 'string', 'minLength': 1,
                              'maxLength': 255}},
}

_NULLABLE_STRING = {'type': ['string', 'null']}

STATE = {
    'type': 'object',
    'required': ['instance_id', 'region', 'volume_id', 'volume_type',
                 'replication_capable', 'status', 'last_sync_at',
                 'lag_seconds', 'backend', 'recorded_status'],
    'additionalProperties': False,
    'properties': {
        'instance_id': {'type': 'string'},
        'region': _NULLABLE_STRING,
        'volume_id': _NULLABLE_STRING,
        'volume_type': _NULLABLE_STRING,
        'replication_capable': {'type': 'boolean'},
        'status': _NULLABLE_STRING,
        'recorded_status': _NULLABLE_STRING,
        'last_sync_at': _NULLABLE_STRING,
        'lag_seconds': {'type': ['number', 'null']},
        'backend': _NULLABLE_STRING,
    },
}

INSTANCE_RESPONSE = {
    'type': 'object', 'required': ['replication'],
    'additionalProperties': False,
    'properties': {'replication': STATE},
}

CLUSTER_RESPONSE = {
    'type': 'object', 'required': ['replication'],
    'additionalProperties': False,
    'properties': {'replication': {'type': 'array', 'items': STATE}},
}

TARGETS_RESPONSE = {
    'type': 'object', 'required': ['region', 'backends'],
    'additionalProperties': False,
    'properties': {
        'region': {'type': 'string'},
        'backends': {'type': 'array', 'items': {
            'type': 'object',
            'required': ['backend', 'state', 'replication_enabled',
                         'replication_type', 'targets'],
            'additionalProperties': False,
            'properties': {
                'backend': {'type': 'string'},
                'state': {'type': 'string'},
                'replication_enabled': {'type': 'boolean'},
                'replication_type': _NULLABLE_STRING,
                'targets': {'type': 'array', 'items': {
                    'type': 'object',
                    'required': ['backend_id', 'type'],
                    'properties': {'backend_id': {'type': 'string'},
                                   'type': _NULLABLE_STRING}}},
            }}},
    },
}
