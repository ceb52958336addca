"""Configuration options of every trove-mr service.

Options are registered on the global ``cfg.CONF`` (oslo.messaging registers
some of its own options only there) and listed through the
``oslo.config.opts`` entry point so that ``oslo-config-generator`` writes
``etc/trove-mr.conf.sample``.
"""

import copy

from oslo_config import cfg
from oslo_db import options as db_options

from trove_mr.common import cfg_bus

CONF = cfg.CONF

default_opts = [
    cfg.StrOpt('region_name', default='RegionOne',
               help='The region this control plane runs in. Instances '
                    'created without a region are placed here, and this '
                    'is the name of the control cell the local database '
                    'and message bus belong to.'),
    cfg.StrOpt('host', sample_default='<hostname>',
               default=__import__('socket').gethostname(),
               help='Name of this node, used as the RPC server name.'),
    cfg.BoolOpt('enable_secure_rpc_messaging', default=True,
                help='Should RPC messaging traffic be secured by '
                     'encryption. When on, messages to the taskmanager are '
                     'encrypted with taskmanager_rpc_encr_key and messages '
                     'between the control plane and each guest with that '
                     'instance\'s own key.'),
    cfg.StrOpt('taskmanager_rpc_encr_key', secret=True,
               default='bzH6y0SGmjuoY0FNSTptrhgieGXNDX6P',
               help='The key used to encrypt RPC messages sent to '
                    'trove-mr-taskmanager, used by trove-mr-api. Change it '
                    'in production; every API and taskmanager must share '
                    'it.'),
    cfg.StrOpt('instance_rpc_encr_key', secret=True,
               help='The key used to encrypt RPC messages sent to a guest '
                    'instance and the messages sent from it to the '
                    'conductor. The taskmanager generates one key per '
                    'instance and injects it into the guest; this option '
                    'is only set in a guest agent\'s own configuration.'),
    cfg.StrOpt('inst_rpc_key_encr_key', secret=True,
               default='emYjgHFqfXNB1NGehAFIUeoyw4V4XwWHEaKP',
               help='The database encryption key used to encrypt the '
                    'per-instance RPC encryption keys before they are '
                    'stored in the database.'),
    cfg.ListOpt('management_networks', default=[],
                help='The management network the guests and the control '
                     'plane talk over. Only one management network is '
                     'allowed; it is attached as the first NIC of every '
                     'server.'),
    cfg.ListOpt('management_security_groups', default=[],
                help='Security groups applied to the management port of '
                     'every database server.'),
    cfg.StrOpt('cinder_volume_type',
               help='Cinder volume type used for the volumes of database '
                    'instances. None means the cloud\'s default type.'),
    cfg.StrOpt('nova_keypair',
               help='Name of a Nova keypair injected into every database '
                    'server, to allow operators SSH access.'),
    cfg.StrOpt('default_datastore', default='redis',
               help='The default datastore id or name to use if one is not '
                    'provided by the user. If None, the datastore becomes '
                    'required in the instance create request.'),
    cfg.IntOpt('max_accepted_volume_size', default=10, min=1,
               help='The maximum volume size (in GB) for an instance.'),
    cfg.IntOpt('max_instances_per_tenant', default=10, min=0,
               help='Default maximum number of instances per tenant.'),
    cfg.IntOpt('max_backups_per_tenant', default=50, min=0,
               help='Default maximum number of backups per tenant.'),
    cfg.StrOpt('backup_swift_container', default='database_backups',
               help='Container of the tenant\'s object store account '
                    'that backups are written to (segments go to '
                    '<container>_segments).'),
    cfg.StrOpt('guest_log_container_name', default='database_logs',
               help='Container of the tenant\'s object store account (in '
                    'the instance\'s region) that guest logs are '
                    'published to.'),
    cfg.IntOpt('backup_segment_max_size', default=64 * 1024 * 1024,
               min=1024,
               help='Backups larger than this many bytes are uploaded as '
                    'a Static Large Object of segments of this size.'),
    cfg.IntOpt('backup_parallel_transfers', default=4, min=1, max=32,
               help='Segments of a backup uploaded, and byte ranges of it '
                    'downloaded for a restore, at once; each is a '
                    'connection to the object store of its own.'),
    cfg.IntOpt('backup_timeout', default=3600, min=1,
               help='Maximum time (in seconds) a backup may take from '
                    'its request to COMPLETED before it is marked '
                    'FAILED.'),
    cfg.IntOpt('max_volumes_per_tenant', default=40, min=0,
               help='Default maximum total volume size (in GB) per '
                    'tenant.'),
    cfg.IntOpt('reboot_time_out', default=120, min=1,
               help='Maximum time (in seconds) to wait for a server '
                    'reboot.'),
    cfg.IntOpt('usage_timeout', default=900, min=1,
               help='Maximum time (in seconds) to wait for an instance to '
                    'become ACTIVE after create. Past it the instance goes '
                    'to ERROR and what was built is removed.'),
    cfg.IntOpt('restore_usage_timeout', default=3600, min=1,
               help='Maximum time (in seconds) to wait for an instance '
                    'restored from a backup to become ACTIVE.'),
    cfg.IntOpt('agent_call_low_timeout', default=15, min=1,
               help='Maximum time (in seconds) to wait for guest agent '
                    '"quick" requests to complete.'),
    cfg.IntOpt('agent_call_high_timeout', default=300, min=1,
               help='Maximum time (in seconds) to wait for guest agent '
                    '"slow" requests (such as restarting the datastore) to '
                    'complete.'),
    cfg.IntOpt('agent_heartbeat_interval', default=10, min=1,
               help='Seconds between two heartbeats a guest agent sends '
                    'to the conductor.'),
    cfg.FloatOpt('heartbeat_write_window', default=0.5, min=0.0,
                 max=5.0,
                 help='Seconds the conductor gathers the guest heartbeats '
                      'that arrive while it is idle before recording them '
                      'in one transaction: a transaction per heartbeat is '
                      'most of its CPU at a few heartbeats a second. Under '
                      'load heartbeats are grouped anyway and do not wait. '
                      '0 records each one at once.'),
    cfg.IntOpt('conductor_workers', default=1, min=1, max=64,
               help='Worker processes of trove-mr-conductor. Each takes '
                    'guest reports off the same queue; one takes about '
                    '3,000 heartbeats a second on a core of its own (a '
                    'guest sends one every agent_heartbeat_interval '
                    'seconds).'),
    cfg.IntOpt('guest_report_batch', default=256, min=0, max=4096,
               help='Guest reports (heartbeats, readiness and backup '
                    'reports) the conductor takes off RabbitMQ at once '
                    'and acknowledges together, reading the queue with '
                    'kombu instead of an oslo.messaging RPC server '
                    '(several times the heartbeats per second of one '
                    'process). 0, or a bus with TLS, quorum, HA or stream '
                    'queues, serves them with an RPC server, one message '
                    'at a time.'),
    cfg.IntOpt('agent_heartbeat_expiry', default=60, min=2,
               help='Seconds without a heartbeat after which the '
                    'conductor considers a guest gone and marks its '
                    'instance accordingly.'),
    cfg.BoolOpt('guest_ready_wake', default=True,
                help='Whether a conductor that records a guest\'s '
                     'readiness report (the end of prepare) wakes the '
                     'taskmanager process whose build waits for it. '
                     'Without the wake the build finds the report by '
                     'reading the database every '
                     'guest_ready_fallback_interval seconds.'),
    cfg.FloatOpt('guest_ready_fallback_interval', default=2.0, min=0.1,
                 help='Seconds between two reads of the database by a '
                      'build waiting for its guest\'s readiness report '
                      'when the guest is to push it (the fallback for a '
                      'lost push).'),
    cfg.IntOpt('server_poll_interval', default=2, min=1,
               help='Seconds between two polls of Nova or Cinder while '
                    'waiting for a server or volume to become ready.'),
    cfg.IntOpt('build_lease_interval', default=5, min=1,
               help='Seconds between two renewals of the lease a '
                    'taskmanager holds on each instance it is building.'),
    cfg.IntOpt('build_lease_expiry', default=30, min=2,
               help='Seconds after which a build whose lease was not '
                    'renewed is considered abandoned (its taskmanager '
                    'died): its server and volume are removed and the '
                    'instance goes to ERROR.'),
    cfg.IntOpt('build_recovery_interval', default=30, min=1,
               help='Seconds between two runs of the taskmanager\'s '
                    'search for abandoned builds.'),
    cfg.IntOpt('taskmanager_submit_timeout', default=15, min=1,
               help='Seconds the API waits for a taskmanager to post an '
                    'operation as a job. Past it the API undoes what it '
                    'changed and answers 503.'),
    cfg.IntOpt('nova_reconcile_interval', default=60, min=1,
               help='Seconds between two comparisons of the instances '
                    'with their Nova servers (one list call per region); '
                    'instances whose server vanished or failed go to '
                    'ERROR.'),
    cfg.IntOpt('report_interval', default=10, min=1,
               help='Seconds between two heartbeats that each '
                    'taskmanager and conductor process writes in its '
                    'cell\'s database (the services table). The first is '
                    'written at start-up; a clean stop deletes it.'),
    cfg.IntOpt('service_down_time', default=60, min=1,
               help='Seconds since its last heartbeat after which a '
                    'taskmanager or conductor is considered down. The API '
                    'refuses actions on resources of a cell none of whose '
                    'taskmanagers is up, with 503 naming its region. Keep '
                    'it several times report_interval.'),
    cfg.IntOpt('resize_time_out', default=900, min=1,
               help='Maximum time (in seconds) a flavor or volume resize '
                    'may take, from the request to the guest running '
                    'again. Past it the resize is reverted where it can '
                    'be and the instance is left ACTIVE or ERROR with a '
                    'fault.'),
    cfg.IntOpt('guest_transient_queues_ttl', default=10, min=1,
               help='Seconds after which the broker removes a guest '
                    'agent\'s fanout and reply queues once nothing '
                    'consumes them (the guest\'s [oslo_messaging_rabbit] '
                    'rabbit_transient_queues_ttl). Their names are random, '
                    'so the delete job cannot name them: they go this long '
                    'after the instance\'s server.'),
]

api_opts = [
    cfg.HostAddressOpt('bind_host', default='127.0.0.1',
                       help='Address the API listens on.'),
    cfg.PortOpt('bind_port', default=8779,
                help='Port the API listens on.'),
    cfg.IntOpt('workers', default=2, min=1,
               help='Number of API worker processes.'),
    cfg.StrOpt('public_endpoint',
               help='Public URL of this API, used in links of answers. '
                    'Defaults to the URL of the request.'),
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone', 'keystonemiddleware auth_token'),
                        ('noauth', 'trust X-Project-Id headers; for '
                                   'tests only')],
               help='How API requests are authenticated.'),
    cfg.StrOpt('instance_list_scope', default='local',
               choices=[('local', 'list what this region\'s cell owns'),
                        ('global', 'list every mapped cell\'s resources')],
               help='Whether lists show only this cell\'s resources or '
                    'every region\'s.'),
    cfg.FloatOpt('cell_timeout', default=5.0, min=0.1,
                 help='Seconds a global list waits for one cell before '
                      'reporting it as unavailable.'),
    cfg.IntOpt('max_limit', default=1000, min=1,
               help='The largest page size a list may return.'),
    cfg.IntOpt('default_limit', default=100, min=1,
               help='Page size of a list when the request sets none.'),
    cfg.IntOpt('max_request_body_size', default=114688, min=1024,
               help='Largest request body, in bytes, the API accepts. A '
                    'larger body is refused with 413 before any of it is '
                    'read (by its Content-Length) or as soon as a chunked '
                    'body passes the limit.'),
    cfg.IntOpt('max_json_depth', default=32, min=2, max=512,
               help='Deepest nesting of objects and arrays a JSON request '
                    'body may have; deeper bodies are refused with 400 '
                    'before they are parsed.'),
]

api_database_opts = [
    cfg.StrOpt('connection', secret=True,
               help='The SQLAlchemy connection string of the API database '
                    '(region mappings, instance mappings, quotas).'),
    cfg.StrOpt('mapping_encr_key', secret=True,
               default='6Zq0kE0tRz1tQj1mTnSk3Q2dfV9PpBjQ',
               help='Key used to encrypt the transport_url and '
                    'database_connection of region mappings at rest.'),
    cfg.ListOpt('mapping_encr_old_keys', secret=True, default=[],
                help='Previous values of mapping_encr_key, still read '
                     'during a key rotation until "trove-mr-manage keys '
                     'rewrap" re-encrypted every region mapping.'),
    cfg.FloatOpt('mapping_cache_ttl', default=30.0, min=0,
                 help='Seconds a process keeps a region or resource '
                      'mapping it read from the API database. Changes '
                      'made by this process are seen at once; changes '
                      'made elsewhere (trove-mr-manage, other API '
                      'workers) within this many seconds. 0 disables '
                      'the cache.'),
]

service_credentials_opts = [
    cfg.URIOpt('auth_url', default='http://127.0.0.1:5000/v3',
               help='Keystone URL the service user authenticates at.'),
    cfg.StrOpt('region_name', default='RegionOne',
               help='Region of the Keystone catalog used for this '
                    'control plane\'s own services.'),
    cfg.StrOpt('project_name', default='service',
               help='Project the service user works in; Nova servers and '
                    'Cinder volumes of instances live there.'),
    cfg.StrOpt('username', default='trove',
               help='Name of the service user.'),
    cfg.StrOpt('password', secret=True,
               help='Password of the service user.'),
    cfg.StrOpt('project_domain_name', default='Default',
               help='Domain of the service project.'),
    cfg.StrOpt('user_domain_name', default='Default',
               help='Domain of the service user.'),
    cfg.StrOpt('interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Which endpoint interface of the catalog to use.'),
    cfg.StrOpt('cafile',
               help='CA bundle to verify HTTPS endpoints with.'),
    cfg.BoolOpt('insecure', default=False,
                help='Skip HTTPS certificate verification.'),
]

redis_opts = [
    cfg.BoolOpt('cluster_support', default=True,
                help='Enable clusters to be created and managed.'),
    cfg.StrOpt('api_strategy',
               default='trove_mr.cluster.redis.api.RedisAPIStrategy',
               help='Class that implements datastore-specific API logic.'),
    cfg.StrOpt('taskmanager_strategy',
               default='trove_mr.cluster.redis.taskmanager.'
                       'RedisTaskManagerStrategy',
               help='Class that implements datastore-specific task manager '
                    'logic.'),
    cfg.StrOpt('guestagent_strategy',
               default='trove_mr.cluster.redis.guestagent.'
                       'RedisGuestAgentStrategy',
               help='Class that implements datastore-specific Guest Agent '
                    'API logic.'),
    cfg.PortOpt('redis_port', default=6379,
                help='Port redis-server listens on inside a guest.'),
    cfg.StrOpt('redis_server_bin', default='redis-server',
               help='Path of the redis-server binary inside a guest.'),
    cfg.IntOpt('cluster_node_timeout', default=5000, min=100,
               help='cluster-node-timeout of clustered redis-server '
                    'nodes, in milliseconds: how long a node may be '
                    'unreachable before it is considered failing.'),
    cfg.StrOpt('redis_conf_dir',
               help='Directory of the guest\'s redis.conf, pidfile and '
                    'log file. Defaults to a "redis-conf" directory '
                    'beside the data directory.'),
    cfg.IntOpt('maxmemory_percent', default=75, min=1, max=100,
               help='Share of the server\'s RAM (its flavor\'s) that '
                    'redis-server may use for data (maxmemory); the rest '
                    'is left for the copy-on-write pages of background '
                    'saves and for the system. A flavor resize is refused '
                    'when the data would not fit in this share of the new '
                    'flavor.'),
    cfg.IntOpt('standby_failover_after', default=30, min=5,
               help='Seconds every master of a cluster\'s primary region '
                    'must have been silent (no guest heartbeat), while its '
                    'standbys report, before a cluster whose failover '
                    'policy is automatic is failed over to its standby '
                    'region.'),
    cfg.IntOpt('standby_watch_interval', default=10, min=1,
               help='Seconds between two checks, by each taskmanager, of '
                    'the clusters whose failover policy is automatic.'),
]

guest_opts = [
    cfg.StrOpt('instance_id',
               help='Id of the instance this guest agent serves; its RPC '
                    'topic is guestagent.<instance_id>.'),
    cfg.StrOpt('datastore_manager', default='redis',
               help='Datastore this guest runs.'),
    cfg.StrOpt('datastore_version',
               help='Datastore version this guest runs.'),
    cfg.StrOpt('data_dir',
               help='Where the datastore keeps its data: the mounted '
                    'volume. Defaults to the volume path the server was '
                    'given.'),
    cfg.StrOpt('bind_address',
               help='Address the datastore binds to. Defaults to the '
                    'server\'s own address.'),
    cfg.StrOpt('tenant_id',
               help='Project of the instance owner; backups go to its '
                    'object store account.'),
    # The agent's watch over redis-server (guestagent/supervisor.py).
    cfg.IntOpt('datastore_check_interval', default=1, min=1,
               help='Seconds between two looks of the agent at its '
                    'redis-server; one found dead (not stopped on '
                    'request) is started again.'),
    cfg.IntOpt('datastore_restart_limit', default=5, min=0,
               help='Restarts of a dying redis-server within '
                    'datastore_restart_window after which the agent stops '
                    'starting it and reports the guest FAILED. 0: never '
                    'started again by the agent.'),
    cfg.IntOpt('datastore_restart_window', default=300, min=1,
               help='Seconds over which datastore_restart_limit counts.'),
    cfg.IntOpt('datastore_restart_max_delay', default=30, min=1,
               help='Longest wait, in seconds, before starting again a '
                    'redis-server that keeps dying: the first two restarts '
                    'within datastore_restart_window are at once, then the '
                    'wait doubles from 2 s at each one.'),
]

taskflow_opts = [
    cfg.StrOpt('jobboard_backend', default='redis',
               choices=[('redis', 'TaskFlow\'s Redis jobboard'),
                        ('zookeeper', 'TaskFlow\'s ZooKeeper jobboard '
                                      '(kazoo)'),
                        ('none', 'run each operation in the taskmanager '
                                 'that received it, in memory: a '
                                 'taskmanager that dies loses it')],
               help='Where operations are posted as jobs. Every '
                    'taskmanager of the cell claims jobs from it; a job '
                    'whose taskmanager died is claimed by another one and '
                    'resumed from its last saved task.'),
    cfg.StrOpt('jobboard_name', default=None,
               help='Name (namespace) of this cell\'s jobboard; defaults to '
                    'trove-mr-<region_name>. Every taskmanager of one cell '
                    'must use the same name, and cells sharing one Redis or '
                    'ZooKeeper must use different ones.'),
    cfg.HostAddressOpt('jobboard_redis_host', default='127.0.0.1',
                       help='Redis server of the Redis jobboard.'),
    cfg.PortOpt('jobboard_redis_port', default=6379,
                help='Port of the Redis jobboard\'s server.'),
    cfg.StrOpt('jobboard_redis_password', secret=True, default=None,
               help='Password of the Redis jobboard\'s server.'),
    cfg.IntOpt('jobboard_redis_db', default=0, min=0,
               help='Database number of the Redis jobboard.'),
    cfg.ListOpt('jobboard_zookeeper_hosts', default=['127.0.0.1:2181'],
                help='host:port of each ZooKeeper server of the ZooKeeper '
                     'jobboard.'),
    cfg.StrOpt('jobboard_zookeeper_path', default='/trove-mr/jobs',
               help='Root path of the ZooKeeper jobboard; the board name is '
                    'appended.'),
    cfg.FloatOpt('jobboard_zookeeper_timeout', default=10.0, min=2.0,
                 max=30.0,
                 help='Seconds of the ZooKeeper session of each taskmanager '
                      '(also the longest it waits to connect). Its claims '
                      'are ephemeral nodes of that session: a job whose '
                      'taskmanager died is claimed by another one about this '
                      'long after. The servers keep it between 2 and 20 '
                      'times their tickTime.'),
    cfg.IntOpt('jobboard_expiration_time', default=20, min=2, max=30,
               help='Seconds a Redis jobboard claim lasts unless its '
                    'taskmanager renews it (it does every third of this '
                    'while it lives): a job whose taskmanager died is '
                    'claimed by another one within about this time. '
                    'ZooKeeper claims end with the session instead '
                    '(jobboard_zookeeper_timeout).'),
    cfg.StrOpt('persistence_connection', secret=True, default=None,
               help='SQLAlchemy URL of TaskFlow\'s persistence (flow and '
                    'task details of every job); defaults to the cell\'s '
                    '[database] connection, where trove-mr-manage db sync '
                    'creates its tables.'),
    cfg.IntOpt('max_simultaneous_jobs', default=16, min=1,
               help='Jobs one taskmanager runs at once.'),
    cfg.FloatOpt('conductor_wait_timeout', default=0.1, min=0.05,
                 help='Seconds a taskmanager idles between two looks at '
                      'the jobboard when no job is posted (ZooKeeper also '
                      'wakes it when one is; Redis is looked at again).'),
    cfg.IntOpt('shutdown_timeout', default=20, min=1,
               help='Seconds a stopping taskmanager waits for its running '
                    'jobs to reach a save point; jobs are then left to '
                    'another taskmanager.'),
]

default_opts.extend(cfg_bus.rpc_envelope_opts)
default_opts.extend(cfg_bus.key_rotation_opts)

network_opts = [
    cfg.DictOpt('management_networks_by_region', default={},
                help='The management network of each region, as '
                     'region:network-id pairs (network ids are '
                     'region-local). A region missing here uses the first '
                     'id of [DEFAULT] management_networks that exists in '
                     'it.'),
    cfg.StrOpt('floating_network',
               help='Name or id of the external network floating IPs of '
                    'public instances (access.is_public) come from. '
                    'Unset: the first external network of the '
                    'instance\'s region.'),
]

volume_replication_opts = [
    cfg.DictOpt('flavor_volume_types', default={},
                help='Volume type of instances of a flavor whose request '
                     'names no type, as flavor-id:type pairs (e.g. a '
                     '"highly available" flavor on a replication-capable '
                     'type). Checked in the instance\'s region.'),
    cfg.DictOpt('datastore_version_volume_types', default={},
                help='Volume type of instances of a datastore version '
                     '(by name or id) whose request names no type and '
                     'whose flavor has none above, as version:type '
                     'pairs.'),
    cfg.IntOpt('failover_timeout', default=600, min=30,
               help='Seconds a volume failover may take, from the stop '
                    'of Redis to the instance ACTIVE on the promoted '
                    'volume, per instance.'),
    cfg.IntOpt('stop_timeout', default=30, min=1,
               help='Seconds a failover waits for the guest to stop '
                    'Redis cleanly; a guest that does not answer (its '
                    'volume lost) is not waited for longer.'),
]

_GROUPS = (
    (None, default_opts),
    ('api', api_opts),
    ('api_database', api_database_opts),
    ('service_credentials', service_credentials_opts),
    ('redis', redis_opts),
    ('guest', guest_opts),
    ('taskflow', taskflow_opts),
    ('guest_broker', cfg_bus.guest_broker_opts),
    ('network', network_opts),
    ('volume_replication', volume_replication_opts),
)


def _register():
    for group, opts in _GROUPS:
        CONF.register_opts(opts, group=group)
    db_options.set_defaults(CONF, connection='sqlite:///trove_mr.sqlite')


_register()


# Keys whose shipped defaults are public: fine for a laptop, never for a
# deployment. Services warn at start while any is still at its default.
_PUBLIC_DEFAULT_KEYS = (
    (None, 'taskmanager_rpc_encr_key'),
    (None, 'inst_rpc_key_encr_key'),
    ('api_database', 'mapping_encr_key'),
)


def keys_left_at_default():
    """Names of the encryption keys still set to their public defaults."""
    left = []
    for group, name in _PUBLIC_DEFAULT_KEYS:
        opts = dict(_GROUPS)[group]
        default = next(o.default for o in opts if o.name == name)
        value = getattr(CONF[group], name) if group else getattr(CONF, name)
        if value == default:
            left.append('%s.%s' % (group or 'DEFAULT', name))
    return left


def list_opts():
    """Options of trove-mr, for oslo-config-generator."""
    return [(group or 'DEFAULT', copy.deepcopy(opts))
            for group, opts in _GROUPS]


def set_lib_defaults():
    """Defaults trove-mr wants from the libraries it configures."""
    import oslo_messaging

    oslo_messaging.set_transport_defaults(control_exchange='trove-mr')


def parse_args(argv, default_config_files=None, project='trove-mr'):
    """Parse command line and config files into the global CONF."""
    set_lib_defaults()
    CONF(argv[1:], project=project, prog=argv[0].rsplit('/', 1)[-1],
         default_config_files=default_config_files)
