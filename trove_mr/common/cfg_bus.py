"""Options of the message bus's security: sealed messages, key rotation
and each guest's own broker user.

Part of :mod:`trove_mr.common.cfg`, which registers them (the first two
lists in ``[DEFAULT]``, the last as ``[guest_broker]``).
"""

from oslo_config import cfg

rpc_envelope_opts = [
    cfg.IntOpt('rpc_envelope_version', default=2, min=1, max=2,
               help='Form of the sealed RPC messages this service sends: '
                    '2 is the envelope that binds method, target, request '
                    'id, nonce and timestamp to the arguments; 1 is the '
                    'older form (each argument sealed on its own), to talk '
                    'to services that are not upgraded yet. Set 1 only '
                    'during a rolling upgrade.'),
    cfg.BoolOpt('rpc_accept_legacy_messages', default=False,
                help='Whether servers also accept sealed messages of the '
                     'older form (version 1), which do not bind the method '
                     'or the target and can be replayed. Turn on only while '
                     'services or guests of the previous release still '
                     'send them; it is read for one release.'),
    cfg.IntOpt('rpc_message_window', default=300, min=5,
               help='Seconds a sealed RPC message is accepted before or '
                    'after its timestamp; nonces are remembered that long '
                    'to refuse replays. Clocks of the control plane and of '
                    'guests must agree within this window.'),
    cfg.ListOpt('rpc_replay_cache_servers', default=[],
                help='memcached servers (host:port) where RPC servers of '
                     'the control plane record the nonces of the messages '
                     'they accept, so that a message replayed to another '
                     'server of the same topic is refused too. Empty: each '
                     'process keeps its own record.'),
]
key_rotation_opts = [
    cfg.ListOpt('taskmanager_rpc_encr_old_keys', secret=True, default=[],
                help='Previous values of taskmanager_rpc_encr_key, still '
                     'accepted on RPC messages and job details during a key '
                     'rotation; never used to encrypt.'),
    cfg.ListOpt('inst_rpc_key_encr_old_keys', secret=True, default=[],
                help='Previous values of inst_rpc_key_encr_key, still read '
                     'during a key rotation until "trove-mr-manage keys '
                     'rewrap" re-encrypted every instance key.'),
    cfg.StrOpt('cluster_password_encr_key', secret=True,
               help='The key the Redis cluster passwords are encrypted '
                    'with in the database. Unset: a key derived (for this '
                    'purpose only) from inst_rpc_key_encr_key.'),
    cfg.ListOpt('cluster_password_encr_old_keys', secret=True, default=[],
                help='Previous values of cluster_password_encr_key, still '
                     'read during a key rotation.'),
]

guest_broker_opts = [
    cfg.StrOpt('credentials', default='shared',
               choices=[('shared', 'guests use the cell\'s own bus '
                                   'credentials'),
                        ('rabbitmqctl', 'the taskmanager creates a user '
                                        'per guest with rabbitmqctl'),
                        ('management', 'the taskmanager creates a user per '
                                       'guest through the RabbitMQ '
                                       'management API')],
               help='How guests authenticate to the message bus. With '
                    'rabbitmqctl or management, each guest gets its own '
                    'RabbitMQ user, allowed only its own queues and '
                    'publishing its reports to the conductor, removed with '
                    'the instance.'),
    cfg.StrOpt('rabbitmqctl_command', default='rabbitmqctl',
               help='Command line running rabbitmqctl against the cell\'s '
                    'broker (e.g. "sudo rabbitmqctl" or "ssh mq1 '
                    'rabbitmqctl"), for credentials = rabbitmqctl.'),
    cfg.URIOpt('management_url', default='http://127.0.0.1:15672',
               help='Root URL of the RabbitMQ management API, for '
                    'credentials = management.'),
    cfg.StrOpt('management_username', default='guest',
               help='Administrator of the RabbitMQ management API.'),
    cfg.StrOpt('management_password', secret=True, default='guest',
               help='Password of management_username.'),
]
