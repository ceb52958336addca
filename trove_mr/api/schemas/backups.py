"""JSON schemas of the backup requests."""

from trove_mr.api.schemas import instances

# A Swift container name: no slash, at most 256 bytes.
CONTAINER = {'type': 'string', 'minLength': 1, 'maxLength': 255,
             'pattern': '^[^/]+$'}

CREATE = {
    'type': 'object',
    'required': ['backup'],
    'additionalProperties': False,
    'properties': {'backup': {
        'type': 'object',
        'required': ['name'],
        # python-troveclient's --restore-from sends restore_from and no
        # instance; every other create names the instance.
        'if': {'not': {'required': ['restore_from']}},
        'then': {'required': ['instance']},
        'additionalProperties': False,
        'properties': {
            'name': instances.NAME,
            'instance': instances.UUID,
            'restore_from': {
                'type': 'object',
                'required': ['remote_location'],
                'additionalProperties': False,
                'properties': {
                    'remote_location': {'type': 'string', 'minLength': 1,
                                        'maxLength': 1024,
                                        'pattern': '^https?://'},
                    'local_datastore_version_id': {
                        'type': ['string', 'null'], 'maxLength': 36},
                    'size': {'type': ['number', 'null'], 'minimum': 0},
                },
            },
            'description': {'type': ['string', 'null'], 'maxLength': 512},
            # What python-troveclient may send; Redis RDB backups are
            # always full.
            'incremental': {'type': ['integer', 'boolean'],
                            'enum': [0, False]},
            'parent_id': {'type': 'null'},
            'swift_container': {'anyOf': [{'type': 'null'},
                                          CONTAINER]},
            'storage_driver': {'type': ['string', 'null'],
                               'enum': [None, 'swift']},
        },
    }},
}

LIST_QUERY = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'limit': {'type': 'string', 'pattern': r'^[1-9][0-9]{0,5}$'},
        'marker': instances.UUID,
        'instance_id': instances.UUID,
        'datastore': {'type': 'string', 'maxLength': 255},
        'all_projects': {'type': 'string',
                         'pattern': r'^([Tt]rue|[Ff]alse|0|1)$'},
        'project_id': {'type': 'string'},
    },
}

BACKUP = {
    'type': 'object',
    'required': ['id', 'name', 'instance_id', 'status', 'size', 'checksum',
                 'location', 'locationRef', 'region', 'datastore',
                 'created', 'updated'],
    'properties': {
        'status': {'enum': ['NEW', 'BUILDING', 'COMPLETED', 'FAILED',
                            'DELETE_FAILED']},
    },
}

STRATEGY_CREATE = {
    'type': 'object',
    'required': ['backup_strategy'],
    'additionalProperties': False,
    'properties': {'backup_strategy': {
        'type': 'object',
        'required': ['swift_container'],
        'additionalProperties': False,
        'properties': {
            'instance_id': {'anyOf': [{'type': 'null'}, instances.UUID]},
            'swift_container': CONTAINER,
        },
    }},
}

STRATEGY_QUERY = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'instance_id': instances.UUID,
        'project_id': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    },
}
