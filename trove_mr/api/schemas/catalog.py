"""JSON schemas of the flavor and datastore requests."""

FLAVOR_QUERY = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {'region': {'type': 'string', 'minLength': 1,
                              'maxLength': 255}},
}

DATASTORE_QUERY = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'limit': {'type': 'string', 'pattern': r'^[0-9]{1,9}$'},
        'marker': {'type': 'string', 'maxLength': 255},
    },
}

_LINKS = {'type': 'array', 'items': {
    'type': 'object', 'required': ['href', 'rel']}}

FLAVOR_VIEW = {
    'type': 'object',
    'required': ['id', 'name', 'ram', 'vcpus', 'disk', 'links', 'region'],
    'properties': {'id': {'type': 'string'}, 'str_id': {'type': 'string'},
                   'name': {'type': 'string'},
                   'ram': {'type': 'integer'}, 'vcpus': {'type': 'integer'},
                   'disk': {'type': 'integer'}, 'links': _LINKS,
                   'region': {'type': 'string'}},
}

VERSION_VIEW = {
    'type': 'object',
    'required': ['id', 'name', 'datastore', 'active', 'links'],
    'properties': {'id': {'type': 'string'}, 'name': {'type': 'string'},
                   'datastore': {'type': 'string'},
                   'active': {'type': 'boolean'}, 'links': _LINKS},
}

DATASTORE_VIEW = {
    'type': 'object',
    'required': ['id', 'name', 'links', 'versions'],
    'properties': {'id': {'type': 'string'}, 'name': {'type': 'string'},
                   'links': _LINKS,
                   'default_version': {'type': 'string'},
                   'versions': {'type': 'array'}},
}
