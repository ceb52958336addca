"""JSON schemas of the backup requests."""

from trove_mr.api.schemas import instances

CREATE = {
    'type': 'object',
    'required': ['backup'],
    'additionalProperties': False,
    'properties': {'backup': {
        'type': 'object',
        'required': ['name', 'instance'],
        'additionalProperties': False,
        'properties': {
            'name': instances.NAME,
            'instance': instances.UUID,
            'description': {'type': ['string', 'null'], 'maxLength': 512},
            # What python-troveclient may send; Redis RDB backups are
            # always full, in the configured container.
            'incremental': {'type': ['integer', 'boolean'],
                            'enum': [0, False]},
            'parent_id': {'type': 'null'},
            'swift_container': {'type': ['string', 'null'],
                                'maxLength': 255},
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
