"""JSON schemas of the instance requests and answers."""

from trove_mr.api.schemas import networks

NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255,
        'pattern': r'^\S(.*\S)?$'}
UUID = {'type': 'string', 'minLength': 1, 'maxLength': 36}
REF = {'type': ['string', 'integer'], 'minLength': 1, 'maxLength': 255}
# Who may reach the instance; each CIDR is checked by the domain layer.
ACCESS = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'is_public': {'type': 'boolean'},
        'allowed_cidrs': {'type': ['array', 'null'], 'maxItems': 100,
                          'items': {'type': 'string', 'minLength': 1,
                                    'maxLength': 64}},
    },
}

CREATE = {
    'type': 'object',
    'required': ['instance'],
    'additionalProperties': False,
    'properties': {'instance': {
        'type': 'object',
        'required': ['name'],
        # A replica takes its master's flavor when it names none (as
        # python-troveclient sends a --replica-of create); any other
        # create names one.
        'if': {'not': {'required': ['replica_of'],
                       'properties': {'replica_of': {'type': 'string'}}}},
        'then': {'required': ['flavorRef']},
        'additionalProperties': False,
        'properties': {
            'name': NAME,
            'flavorRef': REF,
            'volume': {
                'type': 'object',
                'required': ['size'],
                'additionalProperties': False,
                'properties': {
                    'size': {'type': 'integer', 'minimum': 1},
                    'type': {'type': ['string', 'null'],
                             'maxLength': 255},
                },
            },
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
            # "region" is the seed's key; python-troveclient sends
            # "region_name" for --region.
            'region': {'type': ['string', 'null'], 'maxLength': 255},
            'region_name': {'type': ['string', 'null'], 'maxLength': 255},
            'restorePoint': {
                'type': 'object',
                'required': ['backupRef'],
                'additionalProperties': False,
                'properties': {'backupRef': UUID},
            },
            # Accepted so that the clients work unmodified; the domain
            # layer refuses non-empty values Redis cannot honour.
            'databases': {'type': 'array'},
            'users': {'type': 'array'},
            'nics': networks.NICS,
            'modules': {'type': 'array'},
            'availability_zone': {'type': ['string', 'null']},
            'configuration': {'type': ['string', 'null']},
            'replica_of': {'type': ['string', 'null']},
            'replica_count': {'type': ['integer', 'null'], 'minimum': 1},
            'locality': {'type': ['string', 'null'],
                         'enum': ['affinity', 'anti-affinity', None]},
            'access': ACCESS,
        },
    }},
}

# PATCH (the API's rename) and PUT (what python-troveclient's update
# sends) take the same body; only the name can change.
UPDATE = {
    'type': 'object',
    'required': ['instance'],
    'additionalProperties': False,
    'properties': {'instance': {
        'type': 'object',
        'minProperties': 1,
        'additionalProperties': False,
        # replica_of: null is python-troveclient's detach_replica.
        'properties': {'name': NAME, 'replica_of': {'type': 'null'},
                       'access': ACCESS,
                       # A group's id attaches it, null detaches it.
                       'configuration': {'type': ['string', 'null'],
                                         'minLength': 1,
                                         'maxLength': 36},
                       # An upgrade: a version id or name.
                       'datastore_version': {'type': 'string',
                                             'minLength': 1,
                                             'maxLength': 255}},
    }},
}

# PUT also takes an empty instance: python-troveclient's modify() sends
# it to detach the configuration group.
UPDATE_PUT = {
    'type': 'object',
    'required': ['instance'],
    'additionalProperties': False,
    'properties': {'instance': dict(
        UPDATE['properties']['instance'], minProperties=0)},
}

ACTION = {
    'type': 'object',
    'minProperties': 1,
    'maxProperties': 1,
    'additionalProperties': False,
    'properties': {
        'restart': {'type': 'object', 'additionalProperties': False},
        'promote_to_replica_source': {'type': 'object',
                                      'additionalProperties': False},
        'eject_replica_source': {'type': 'object',
                                 'additionalProperties': False},
        # python-troveclient's resize_instance and resize_volume: one of
        # the two at a time.
        'resize': {
            'type': 'object',
            'minProperties': 1,
            'maxProperties': 1,
            'additionalProperties': False,
            'properties': {
                'flavorRef': REF,
                'volume': {
                    'type': 'object',
                    'required': ['size'],
                    'additionalProperties': False,
                    'properties': {'size': {'type': 'integer',
                                            'minimum': 1}},
                },
            },
        },
        # Admin only (policy instance:reset_status).
        'reset_status': {'type': 'object', 'additionalProperties': False},
    },
}

LIST_QUERY = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'limit': {'type': 'string', 'pattern': r'^[0-9]{1,9}$'},
        'marker': {'type': 'string', 'minLength': 1, 'maxLength': 36},
        'include_clustered': {
            'type': 'string',
            'pattern': r'^([Tt]rue|[Ff]alse|0|1)$'},
    },
}

_LINKS = {'type': 'array', 'items': {
    'type': 'object', 'required': ['href', 'rel'],
    'properties': {'href': {'type': 'string'}, 'rel': {'type': 'string'}}}}

INSTANCE_VIEW = {
    'type': 'object',
    'required': ['id', 'name', 'status', 'links', 'flavor', 'datastore',
                 'region', 'created', 'updated', 'ip'],
    'additionalProperties': False,
    'properties': {
        'id': {'type': 'string'},
        'name': {'type': ['string', 'null']},
        'status': {'type': 'string',
                   'enum': ['BUILD', 'ACTIVE', 'REBOOT', 'SHUTDOWN',
                            'ERROR', 'BACKUP', 'PROMOTE', 'EJECT',
                            'DETACH', 'RESIZE', 'CONFIGURING',
                            'RESTART_REQUIRED', 'UPGRADE', 'REBUILD',
                            'MIGRATE']},
        'links': _LINKS,
        'flavor': {'type': 'object', 'required': ['id', 'links'],
                   'properties': {'id': {'type': 'string'},
                                  'links': _LINKS}},
        'datastore': {'type': 'object', 'required': ['type', 'version'],
                      'properties': {'type': {'type': 'string'},
                                     'version': {'type': 'string'}}},
        'region': {'type': 'string'},
        'created': {'type': 'string'},
        'updated': {'type': 'string'},
        'ip': {'type': 'array', 'items': {'type': 'string'}},
        'addresses': {'type': 'array'},
        'volume': {'type': 'object', 'required': ['size'],
                   'properties': {'size': {'type': 'integer'},
                                  'used': {'type': 'number'}}},
        'fault': {'type': 'object', 'required': ['message', 'created'],
                  'properties': {'message': {'type': 'string'},
                                 'created': {'type': 'string'}}},
        'replica_of': {'type': 'object'},
        'replicas': {'type': 'array'},
        'cluster_id': {'type': 'string'},
        'password': {'type': 'string'},
        'operating_status': {'type': 'string',
                             'enum': ['HEALTHY', 'UNHEALTHY', 'SHUTDOWN',
                                      'NEW', 'BUILD', 'UNKNOWN']},
        'access': {'type': 'object',
                   'required': ['is_public', 'allowed_cidrs'],
                   'properties': {
                       'is_public': {'type': 'boolean'},
                       'allowed_cidrs': {'type': 'array',
                                         'items': {'type': 'string'}}}},
        'configuration': {'type': 'object', 'required': ['id', 'links'],
                          'properties': {'id': {'type': 'string'},
                                         'name': {'type': 'string'},
                                         'links': _LINKS}},
    },
}

SHOW_RESPONSE = {'type': 'object', 'required': ['instance'],
                 'additionalProperties': False,
                 'properties': {'instance': INSTANCE_VIEW}}

LIST_RESPONSE = {'type': 'object', 'required': ['instances'],
                 'additionalProperties': False,
                 'properties': {'instances': {'type': 'array',
                                              'items': INSTANCE_VIEW},
                                'links': _LINKS,
                                # Global lists: regions that did not answer.
                                'unavailable_regions': {
                                    'type': 'array',
                                    'items': {'type': 'string'}}}}
