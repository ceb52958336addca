"""JSON schemas of the cluster requests and answers.

``flavorRef`` and ``volume`` are not required here: the seed answers
their absence with 403, which the Redis API strategy raises.
"""

from trove_mr.api.schemas import instances
from trove_mr.api.schemas import networks
from trove_mr.common import exceptions

NAME = instances.NAME
REF = instances.REF

# python-troveclient sends the size of --instance volume=N as a string.
_VOLUME = {
    'type': 'object',
    'required': ['size'],
    'additionalProperties': False,
    'properties': {
        'size': {'type': ['integer', 'string'], 'minimum': 1,
                 'pattern': r'^0*[1-9][0-9]{0,8}$'},
        'type': {'type': ['string', 'null'], 'maxLength': 255},
    },
}

# python-troveclient sends "type" (a string, or a list for repeated
# --instance type=...); the seed's grow example says "instance_type".
_ROLE = {'type': 'string', 'enum': ['master', 'slave']}

MEMBER = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'name': NAME,
        'flavorRef': REF,
        'volume': _VOLUME,
        'region': {'type': ['string', 'null'], 'maxLength': 255},
        'region_name': {'type': ['string', 'null'], 'maxLength': 255},
        'instance_type': _ROLE,
        'type': {'oneOf': [_ROLE, {'type': 'array', 'items': _ROLE,
                                   'minItems': 1, 'maxItems': 1}]},
        'related_to': {'type': ['string', 'null'], 'maxLength': 255},
        # Checked in the member's region (its ids are region-local).
        'nics': networks.NICS,
        # Accepted so the clients work unmodified; non-empty values are
        # refused by the strategy.
        'availability_zone': {'type': ['string', 'null']},
        'modules': {'type': 'array'},
    },
}

CREATE = {
    'type': 'object',
    'required': ['cluster'],
    'additionalProperties': False,
    'properties': {'cluster': {
        'type': 'object',
        'required': ['name', 'instances'],
        'additionalProperties': False,
        'properties': {
            'name': NAME,
            'datastore': {
                'type': 'object',
                'additionalProperties': False,
                'properties': {
                    'type': {'type': ['string', 'null'], 'maxLength': 255},
                    'version': {'type': ['string', 'null'],
                                'maxLength': 255},
                },
            },
            'instances': {'type': 'array', 'minItems': 1,
                          'maxItems': 64, 'items': MEMBER},
            'locality': {'type': ['string', 'null'],
                         'enum': ['affinity', 'anti-affinity', None]},
            'extended_properties': {'type': 'object'},
            'configuration': {'type': ['string', 'null']},
            # A replica of every master in this region (cluster_standby).
            'standby_region': {'type': ['string', 'null'], 'minLength': 1,
                               'maxLength': 255},
            # Fail over on its own when the primary region goes silent.
            'auto_failover': {'type': 'boolean'},
        },
    }},
}

_STANDBY_REGION = {'type': 'object', 'required': ['region'],
                   'additionalProperties': False,
                   'properties': {'region': {'type': 'string',
                                             'minLength': 1,
                                             'maxLength': 255}}}

ACTION = {
    'type': 'object',
    'minProperties': 1,
    'maxProperties': 2,
    'additionalProperties': False,
    'properties': {
        'grow': {'type': 'array', 'minItems': 1, 'maxItems': 64,
                 'items': MEMBER},
        'shrink': {'type': 'array', 'minItems': 1, 'items': {
            'type': 'object', 'required': ['id'],
            'additionalProperties': False,
            'properties': {'id': instances.UUID}}},
        # Move slots online; optional weight per master (0 empties it).
        # Beside 'grow', ``true``: rebalance onto the new masters.
        'rebalance': {'type': ['object', 'boolean'],
                      'additionalProperties': False,
                      'properties': {'weights': {
                          'type': 'object', 'maxProperties': 64,
                          'propertyNames': instances.UUID,
                          'additionalProperties': {
                              'type': 'number', 'minimum': 0,
                              'maximum': 1000}}}},
        # Admin only (policy cluster:reset-status).
        'reset-status': {'type': 'object', 'additionalProperties': False},
        # Beside 'shrink': move the leaving masters' slots away first.
        'drain': {'type': 'boolean'},
        'configuration_attach': {
            'type': 'object', 'required': ['configuration_id'],
            'additionalProperties': False,
            'properties': {'configuration_id': instances.UUID}},
        'configuration_detach': {'type': 'object',
                                 'additionalProperties': False},
        'upgrade': {'type': 'object', 'required': ['datastore_version'],
                    'additionalProperties': False,
                    'properties': {'datastore_version': {
                        'type': 'string', 'minLength': 1,
                        'maxLength': 255}}},
        # A standby region for a running cluster, a planned swap of the
        # regions' roles, and the promotion of the standby region after
        # the primary region was lost.
        'add_standby': _STANDBY_REGION,
        'switchover': {'type': 'object', 'additionalProperties': False},
        'failover': _STANDBY_REGION,
        # After a failover: the lost members removed, a replica of each
        # master built in this region.
        'rebuild_lost': _STANDBY_REGION,
        'failover_policy': {'type': 'object', 'required': ['automatic'],
                            'additionalProperties': False,
                            'properties': {'automatic': {
                                'type': 'boolean'}}},
    },
}
# The two actions that take a companion key (checked by check_action).
COMBINED = ({'grow', 'rebalance'}, {'shrink', 'drain'})


def check_action(action):
    """Refuse companion keys out of place (the schema allows two keys).
    """
    keys = set(action)
    if len(keys) == 1 and not (action.get('rebalance') is True
                               or 'drain' in keys):
        return
    if keys in COMBINED and action.get('rebalance', True) is True:
        return
    raise exceptions.BadRequest(
        "Invalid input: one action per request; only 'grow' takes "
        "'rebalance': true and only 'shrink' takes 'drain'.")

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

_TASK = {'type': 'object', 'required': ['id', 'name', 'description'],
         'additionalProperties': False,
         'properties': {'id': {'type': 'integer'},
                        'name': {'type': 'string'},
                        'description': {'type': 'string'}}}

MEMBER_VIEW = {
    'type': 'object',
    'required': ['id', 'name', 'links', 'region', 'type'],
    'additionalProperties': False,
    'properties': {
        'id': {'type': 'string'},
        'name': {'type': ['string', 'null']},
        'status': {'type': 'string'},
        'ip': {'type': 'array', 'items': {'type': 'string'}},
        'links': _LINKS,
        'flavor': {'type': 'object', 'required': ['id', 'links']},
        'volume': {'type': 'object', 'required': ['size']},
        'region': {'type': 'string'},
        'type': {'type': 'string', 'enum': ['master', 'slave']},
        'related_to': {'type': 'string'},
        # Hash slots the member owns, as its guest last reported.
        'slots': {'type': 'integer', 'minimum': 0, 'maximum': 16384},
    },
}

_LAG = {'type': ['integer', 'null'], 'minimum': 0}

SHARD_VIEW = {
    'type': 'object',
    'required': ['master', 'primary_region', 'standby', 'replication_lag'],
    'additionalProperties': False,
    'properties': {
        'master': {'type': 'string'},
        'primary_region': {'type': 'string'},
        'standby': {'type': ['string', 'null']},
        'standby_region': {'type': ['string', 'null']},
        'replication_lag': {
            'type': 'object', 'required': ['seconds', 'bytes'],
            'additionalProperties': False,
            'properties': {'seconds': _LAG, 'bytes': _LAG}},
    },
}

CLUSTER_VIEW = {
    'type': 'object',
    'required': ['id', 'name', 'task', 'created', 'updated', 'links',
                 'datastore', 'instances', 'region'],
    'additionalProperties': False,
    'properties': {
        'id': {'type': 'string'},
        'name': {'type': 'string'},
        'task': _TASK,
        'created': {'type': 'string'},
        'updated': {'type': 'string'},
        'links': _LINKS,
        'datastore': {'type': 'object', 'required': ['type', 'version']},
        'region': {'type': 'string'},
        'ip': {'type': 'array', 'items': {'type': 'string'}},
        'instances': {'type': 'array', 'items': MEMBER_VIEW},
        'password': {'type': 'string'},
        # Clusters with a standby region (api/views/cluster_standby.py).
        'primary_region': {'type': ['string', 'null']},
        'standby_region': {'type': ['string', 'null']},
        'shards': {'type': 'array', 'items': SHARD_VIEW},
        'failover': {'type': 'object'},
        'failover_policy': {'type': 'string',
                            'enum': ['automatic', 'manual']},
        'read_hints': {'type': 'object'},
    },
}

SHOW_RESPONSE = {'type': 'object', 'required': ['cluster'],
                 'additionalProperties': False,
                 'properties': {'cluster': CLUSTER_VIEW}}

LIST_RESPONSE = {'type': 'object', 'required': ['clusters'],
                 'additionalProperties': False,
                 'properties': {'clusters': {'type': 'array',
                                             'items': CLUSTER_VIEW},
                                'links': _LINKS,
                                # Global lists: regions that did not answer.
                                'unavailable_regions': {
                                    'type': 'array',
                                    'items': {'type': 'string'}}}}
