"""JSON schemas of the configuration group requests and answers.

Values are checked here only as a JSON object of names; each value is
checked against the datastore version's rules by the domain, whose 400
names the parameter.
"""

NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255,
        'pattern': r'^\S(.*\S)?$'}
DESCRIPTION = {'type': ['string', 'null'], 'maxLength': 512}
_VALUE = {'type': ['string', 'integer', 'number', 'boolean']}
VALUES = {'type': 'object', 'maxProperties': 256,
          'propertyNames': {'maxLength': 128},
          'additionalProperties': _VALUE}

CREATE = {
    'type': 'object',
    'required': ['configuration'],
    'additionalProperties': False,
    'properties': {'configuration': {
        'type': 'object',
        'required': ['name', 'values'],
        'additionalProperties': False,
        'properties': {
            'name': NAME,
            'description': DESCRIPTION,
            'values': VALUES,
            'datastore': {
                'type': 'object',
                'additionalProperties': False,
                'properties': {
                    'type': {'type': ['string', 'null'], 'maxLength': 255},
                    'version': {'type': ['string', 'null'],
                                'maxLength': 255},
                    'version_number': {'type': ['string', 'null'],
                                       'maxLength': 255},
                },
            },
        },
    }},
}

# PUT replaces the values (and may rename); PATCH changes some values.
UPDATE = {
    'type': 'object',
    'required': ['configuration'],
    'additionalProperties': False,
    'properties': {'configuration': {
        'type': 'object',
        'required': ['values'],
        'additionalProperties': False,
        'properties': {'name': NAME, 'description': DESCRIPTION,
                       'values': VALUES},
    }},
}

EDIT = {
    'type': 'object',
    'required': ['configuration'],
    'additionalProperties': False,
    'properties': {'configuration': {
        'type': 'object',
        'required': ['values'],
        'additionalProperties': False,
        'properties': {'values': VALUES},
    }},
}

LIST_QUERY = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'limit': {'type': 'string', 'pattern': r'^[0-9]{1,9}$'},
        'marker': {'type': 'string', 'minLength': 1, 'maxLength': 36},
    },
}

_LINKS = {'type': 'array', 'items': {
    'type': 'object', 'required': ['href', 'rel'],
    'properties': {'href': {'type': 'string'}, 'rel': {'type': 'string'}}}}

CONFIGURATION_VIEW = {
    'type': 'object',
    'required': ['id', 'name', 'description', 'datastore_version_id',
                 'datastore_name', 'datastore_version_name',
                 'datastore_version_number', 'created', 'updated',
                 'links'],
    'additionalProperties': False,
    'properties': {
        'id': {'type': 'string'},
        'name': {'type': 'string'},
        'description': {'type': ['string', 'null']},
        'datastore_version_id': {'type': 'string'},
        'datastore_name': {'type': 'string'},
        'datastore_version_name': {'type': 'string'},
        'datastore_version_number': {'type': 'string'},
        'created': {'type': 'string'},
        'updated': {'type': 'string'},
        'links': _LINKS,
        'values': {'type': 'object'},
        'instance_count': {'type': 'integer'},
    },
}

PARAMETER_VIEW = {
    'type': 'object',
    'required': ['name', 'type', 'restart_required',
                 'datastore_version_id'],
    'additionalProperties': False,
    'properties': {
        'name': {'type': 'string'},
        'type': {'enum': ['integer', 'float', 'string', 'boolean']},
        'min': {'type': 'number'},
        'max': {'type': 'number'},
        'restart_required': {'type': 'boolean'},
        'datastore_version_id': {'type': 'string'},
        'allowed_values': {'type': 'array'},
        'pattern': {'type': 'string'},
    },
}
