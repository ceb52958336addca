"""The API's OpenAPI 3.1 document, built from the schemas it validates with.

Each operation below names the jsonschema objects the controllers pass to
``base.body`` and ``base.query`` (and the response schemas the tests check
answers against): the document holds no second copy of them. Served
unauthenticated at ``GET /openapi.json`` and written to
``doc/openapi.json`` by ``python -m trove_mr.api.openapi``; a test fails
when the file, the operations here and the routes Pecan really serves
disagree.
"""

import copy
import json
import sys

from trove_mr.api.schemas import backups
from trove_mr.api.schemas import catalog
from trove_mr.api.schemas import clusters
from trove_mr.api.schemas import configurations
from trove_mr.api.schemas import instances
from trove_mr.api.schemas import mgmt
from trove_mr.api.schemas import root_logs
from trove_mr.api.schemas import volume_replication

T = '/v1.0/{tenant_id}'
INSTANCE = T + '/instances/{instanceId}'
CLUSTER = T + '/clusters/{clusterId}'
CONFIGURATION = T + '/configurations/{configId}'
DATASTORE = T + '/datastores/{datastore}'
VERSION = DATASTORE + '/versions/{version}'
NOT_FOR_REDIS = ('400: not supported for the Redis datastore (the message '
                 'says why); 404 for an instance that is not the '
                 "tenant's.")

# (method, path, summary, success status, request body schema, query
# schema, response schema).
OPERATIONS = (
    ('GET', '/', 'The API versions (no token needed).', 200, None, None,
     None),
    ('GET', '/v1.0/', 'API version 1.0.', 200, None, None, None),
    ('GET', '/v1.0', 'API version 1.0.', 200, None, None, None),
    # Instances.
    ('GET', T + '/instances', 'One page of the project\'s instances.', 200,
     None, instances.LIST_QUERY, instances.LIST_RESPONSE),
    ('POST', T + '/instances', 'Create an instance (or replicas with '
     '``replica_of``, or a restore with ``restorePoint``) in the region '
     'the body names.', 202, instances.CREATE, None, None),
    ('GET', INSTANCE, 'Show an instance.', 200, None, None,
     instances.SHOW_RESPONSE),
    ('PUT', INSTANCE, 'Rename, detach from its master, attach or detach a '
     'configuration group (an empty ``instance`` detaches), change '
     '``access``.', 202, instances.UPDATE_PUT, None, None),
    ('PATCH', INSTANCE, 'As PUT, and ``datastore_version`` upgrades.', 202,
     instances.UPDATE, None, None),
    ('DELETE', INSTANCE, 'Delete an instance.', 202, None, None, None),
    ('POST', INSTANCE + '/action', 'restart, resize (flavorRef or volume), '
     'promote_to_replica_source, eject_replica_source, reset_status '
     '(admin).', 202, instances.ACTION, None, None),
    ('GET', INSTANCE + '/backups', 'The backups of an instance.', 200, None,
     backups.LIST_QUERY, None),
    ('POST', INSTANCE + '/root', 'Enable root: a new Redis password.', 200,
     root_logs.ROOT_ENABLE, None, None),
    ('GET', INSTANCE + '/root', 'Whether root was enabled.', 200, None,
     None, None),
    ('DELETE', INSTANCE + '/root', 'Disable root.', 204, None, None, None),
    ('GET', INSTANCE + '/log', 'The guest\'s logs.', 200, None, None, None),
    ('POST', INSTANCE + '/log', 'Enable, disable, publish or discard a '
     'log.', 200, root_logs.LOG_ACTION, None, None),
    ('GET', INSTANCE + '/configuration', 'The configuration the instance '
     'runs with before any configuration group.', 200, None, None, None),
    # Clusters.
    ('GET', T + '/clusters', 'One page of the project\'s clusters.', 200,
     None, clusters.LIST_QUERY, clusters.LIST_RESPONSE),
    ('POST', T + '/clusters', 'Create a cluster; members may name their '
     'regions.', 202, clusters.CREATE, None, clusters.SHOW_RESPONSE),
    ('GET', CLUSTER, 'Show a cluster.', 200, None, None,
     clusters.SHOW_RESPONSE),
    ('POST', CLUSTER, 'A cluster action, as python-troveclient posts it '
     '(see /action).', 202, clusters.ACTION, None, None),
    ('DELETE', CLUSTER, 'Delete a cluster.', 202, None, None, None),
    ('POST', CLUSTER + '/action', 'grow (optionally with "rebalance": '
     'true), shrink (optionally with "drain": true), rebalance, upgrade, '
     'configuration_attach, configuration_detach, reset-status (admin).',
     202, clusters.ACTION, None, None),
    ('GET', CLUSTER + '/instances/{instanceId}', 'One member of a cluster.',
     200, None, None, None),
    ('POST', CLUSTER + '/root', 'Enable root on every member.', 200,
     root_logs.ROOT_ENABLE, None, None),
    ('GET', CLUSTER + '/root', 'Whether root was enabled.', 200, None, None,
     None),
    ('DELETE', CLUSTER + '/root', 'Disable root.', 204, None, None, None),
    # Backups and backup strategies.
    ('GET', T + '/backups', 'One page of the project\'s backups.', 200,
     None, backups.LIST_QUERY, None),
    ('POST', T + '/backups', 'Back an instance up, or register a backup '
     'at a Swift URL (``restore_from``).', 202, backups.CREATE, None, None),
    ('GET', T + '/backups/{backupId}', 'Show a backup.', 200, None, None,
     None),
    ('DELETE', T + '/backups/{backupId}', 'Delete a backup.', 202, None,
     None, None),
    ('GET', T + '/backup_strategies', 'Backup strategies.', 200, None,
     backups.STRATEGY_QUERY, None),
    ('POST', T + '/backup_strategies', 'Create or replace a backup '
     'strategy.', 202, backups.STRATEGY_CREATE, None, None),
    ('DELETE', T + '/backup_strategies', 'Delete a backup strategy.', 202,
     None, backups.STRATEGY_QUERY, None),
    # Configuration groups.
    ('GET', T + '/configurations', 'The project\'s configuration groups.',
     200, None, configurations.LIST_QUERY, None),
    ('POST', T + '/configurations', 'Create a configuration group.', 200,
     configurations.CREATE, None, None),
    ('GET', CONFIGURATION, 'Show a configuration group.', 200, None, None,
     None),
    ('PUT', CONFIGURATION, 'Replace a group\'s values.', 202,
     configurations.UPDATE, None, None),
    ('PATCH', CONFIGURATION, 'Change some of a group\'s values.', 202,
     configurations.EDIT, None, None),
    ('DELETE', CONFIGURATION, 'Delete a group attached to nothing.', 202,
     None, None, None),
    ('GET', CONFIGURATION + '/instances', 'What a group is attached to.',
     200, None, None, None),
    # Datastores, versions, parameters, flavors, limits.
    ('GET', T + '/datastores', 'Datastores.', 200, None,
     catalog.DATASTORE_QUERY, None),
    ('GET', DATASTORE, 'A datastore.', 200, None, catalog.DATASTORE_QUERY,
     None),
    ('GET', DATASTORE + '/versions', 'Versions of a datastore.', 200, None,
     catalog.DATASTORE_QUERY, None),
    ('GET', VERSION, 'A datastore version.', 200, None,
     catalog.DATASTORE_QUERY, None),
    ('GET', VERSION + '/parameters', 'Configuration parameters of a '
     'version.', 200, None, None, None),
    ('GET', VERSION + '/parameters/{parameter}', 'One parameter.', 200,
     None, None, None),
    ('GET', T + '/datastores/versions/{version}', 'A datastore version by '
     'id.', 200, None, None, None),
    ('GET', T + '/datastores/versions/{version}/parameters', 'Parameters '
     'of a version by id.', 200, None, None, None),
    ('GET', T + '/datastores/versions/{version}/parameters/{parameter}',
     'One parameter of a version by id.', 200, None, None, None),
    ('GET', T + '/flavors', 'Flavors of a region.', 200, None,
     catalog.FLAVOR_QUERY, None),
    ('GET', T + '/flavors/{flavorId}', 'A flavor.', 200, None,
     catalog.FLAVOR_QUERY, None),
    ('GET', T + '/limits', 'Absolute limits with usage.', 200, None, None,
     mgmt.LIMITS_RESPONSE),
    # Admin (the admin role).
    ('GET', T + '/mgmt/instances', 'Every project\'s instances.', 200,
     None, mgmt.INSTANCE_LIST_QUERY, None),
    ('GET', T + '/mgmt/instances/{instanceId}', 'An instance with its '
     'server, volume, host and full fault.', 200, None, None, None),
    ('POST', T + '/mgmt/instances/{instanceId}/action', 'reboot, '
     'rebuild, stop, migrate, reset-task-status.', 202,
     mgmt.INSTANCE_ACTION, None, None),
    ('GET', T + '/mgmt/clusters', 'Every project\'s clusters.', 200, None,
     mgmt.CLUSTER_LIST_QUERY, None),
    ('GET', T + '/mgmt/clusters/{clusterId}', 'A cluster with its members.',
     200, None, None, None),
    ('POST', T + '/mgmt/clusters/{clusterId}/action', 'reset-task.', 202,
     mgmt.CLUSTER_ACTION, None, None),
    ('GET', T + '/mgmt/quotas/{projectId}', 'A project\'s quotas.', 200,
     None, None, mgmt.QUOTA_SHOW_RESPONSE),
    ('PUT', T + '/mgmt/quotas/{projectId}', 'Change a project\'s quotas.',
     200, mgmt.QUOTA_UPDATE, None, None),
    ('GET', T + '/mgmt/ping', 'Ping a taskmanager and a conductor.', 200,
     None, None, None),
    # Volume replication (admin; hidden from tenants).
    ('GET', T + '/mgmt/instances/{instanceId}/replication', 'The '
     'replication state and last copy of an instance\'s volume.', 200,
     None, None, volume_replication.INSTANCE_RESPONSE),
    ('POST', T + '/mgmt/instances/{instanceId}/replication', 'enable, '
     'disable (200) or failover (202) an instance\'s volume.', 200,
     volume_replication.INSTANCE_ACTION, None, None),
    ('GET', T + '/mgmt/clusters/{clusterId}/replication', 'The '
     'replication state of every member\'s volume.', 200, None, None,
     volume_replication.CLUSTER_RESPONSE),
    ('POST', T + '/mgmt/clusters/{clusterId}/replication', 'enable, '
     'disable (200) or failover (202, one member at a time).', 200,
     volume_replication.CLUSTER_ACTION, None, None),
    ('GET', T + '/mgmt/replication_targets', 'A region\'s volume '
     'backends and their replication targets.', 200, None,
     volume_replication.TARGETS_QUERY, volume_replication.TARGETS_RESPONSE),
)
# Routes python-troveclient offers that Redis answers with a 400.
UNSUPPORTED = ('databases', 'users', 'ssl')
ERROR = {'type': 'object', 'minProperties': 1, 'maxProperties': 1,
         'additionalProperties': {
             'type': 'object', 'required': ['code', 'message'],
             'properties': {'code': {'type': 'integer'},
                            'message': {'type': 'string'}}}}


def _operations():
    yield from OPERATIONS
    for what in UNSUPPORTED:
        for path in ('%s/%s' % (INSTANCE, what),
                     '%s/%s/{name}' % (INSTANCE, what)):
            for method in ('GET', 'POST', 'PUT', 'DELETE'):
                yield (method, path, NOT_FOR_REDIS, 400, None, None, None)


def _clean(schema):
    """A JSON-able copy: tuples (in enums) become lists."""
    return json.loads(json.dumps(schema))


def _parameters(path, query):
    params = [{'name': part[1:-1], 'in': 'path', 'required': True,
               'schema': {'type': 'string'}}
              for part in path.split('/') if part.startswith('{')]
    for name, schema in (query or {}).get('properties', {}).items():
        params.append({'name': name, 'in': 'query', 'required': False,
                       'schema': _clean(schema)})
    return params


def document():
    """The OpenAPI 3.1 document (a dict)."""
    paths = {}
    for (method, path, summary, status, body, query,
         answer) in _operations():
        operation = {
            'summary': summary,
            'parameters': _parameters(path, query),
            'responses': {
                str(status): ({'description': 'Success.',
                               'content': {'application/json': {
                                   'schema': _clean(answer)}}}
                              if answer else {'description': 'Success.'}),
                'default': {'description': 'An error: 4xx with a JSON '
                                           'body naming what is wrong.',
                            'content': {'application/json': {
                                'schema': ERROR}}}}}
        if status >= 400:
            operation['responses'] = {str(status): operation['responses']
                                      ['default']}
        if body is not None:
            operation['requestBody'] = {
                'required': True,
                'content': {'application/json': {'schema': _clean(body)}}}
        if path not in ('/', '/v1.0/', '/v1.0'):
            operation['security'] = [{'keystone': []}]
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        'openapi': '3.1.0',
        'info': {'title': 'trove-mr', 'version': '1.0',
                 'description': 'Redis instances and clusters in the region '
                                'each request names; the Trove v1.0 API '
                                'as python-troveclient speaks it.'},
        'jsonSchemaDialect': 'https://json-schema.org/draft/2020-12/schema',
        'components': {'securitySchemes': {'keystone': {
            'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token'}}},
        'paths': copy.deepcopy(paths),
    }


def text():
    """The document as the file ``doc/openapi.json`` holds it."""
    return json.dumps(document(), indent=1, sort_keys=True) + '\n'


class Application:
    """``GET /openapi.json``: the document, no token needed."""

    def __call__(self, environ, start_response):
        if environ.get('REQUEST_METHOD') not in ('GET', 'HEAD'):
            start_response('405 Method Not Allowed',
                           [('Allow', 'GET, HEAD'),
                            ('Content-Type', 'application/json')])
            return [b'{"badMethod": {"code": 405, "message": "Only GET is '
                    b'allowed on /openapi.json."}}']
        body = text().encode('utf-8')
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', str(len(body)))])
        return [body] if environ['REQUEST_METHOD'] == 'GET' else [b'']


if __name__ == '__main__':
    sys.stdout.write(text())
