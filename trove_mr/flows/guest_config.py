"""The guest agent's configuration, delivered as cloud-init user data.

The taskmanager gives every server a ``#cloud-config`` document whose
``write_files`` holds ``/etc/trove-mr/trove-mr-guestagent.conf``: the bus
of the owning cell, the instance's own RPC key and who the guest is. The
server reads it from its config drive at first boot; the agent is started
with ``--config-dir /etc/trove-mr``.
"""

import configparser
import io

import yaml

from trove_mr.common import cfg
from trove_mr.common import rpc

CONF = cfg.CONF

GUEST_CONF_PATH = '/etc/trove-mr/trove-mr-guestagent.conf'


def guest_conf_sections(instance, rpc_key, region_name,
                        transport_url=None):
    """The guest agent's options as {section: {option: value}}.

    :param instance: the instance row (id, tenant_id, datastore_version).
    :param rpc_key: the instance's RPC key, in clear.
    :param region_name: the placement region the server lives in.
    :param transport_url: bus of the owning cell; this control plane's
        own by default.
    """
    # The guest's config may be rendered before any transport exists.
    rpc.register_bus_options()
    version = instance.datastore_version
    return {
        'DEFAULT': {
            'transport_url': transport_url or CONF.transport_url or '',
            'control_exchange': CONF.control_exchange,
            'enable_secure_rpc_messaging':
                str(CONF.enable_secure_rpc_messaging).lower(),
            'instance_rpc_encr_key': rpc_key,
            'region_name': region_name,
            'agent_heartbeat_interval': str(CONF.agent_heartbeat_interval),
            'host': 'guest-%s' % instance.id,
        },
        'guest': {
            'instance_id': instance.id,
            'tenant_id': instance.tenant_id,
            'datastore_manager': version.manager,
            'datastore_version': version.name,
        },
        'redis': {
            'redis_port': str(CONF.redis.redis_port),
            'redis_server_bin': CONF.redis.redis_server_bin,
            'maxmemory_percent': str(CONF.redis.maxmemory_percent),
        },
        # The guest's fanout queue has a random name; it expires soon
        # after the guest stops consuming, so none outlives the instance.
        'oslo_messaging_rabbit': {
            'rabbit_transient_queues_ttl':
                str(CONF.guest_transient_queues_ttl),
        },
    }


def render_ini(sections):
    """INI text of {section: {option: value}}, DEFAULT first."""
    parser = configparser.RawConfigParser()
    for section, values in sections.items():
        if section != 'DEFAULT':
            parser.add_section(section)
        for key, value in values.items():
            parser.set(section, key, value)
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def user_data(instance, rpc_key, region_name, transport_url=None):
    """The ``#cloud-config`` text to boot the instance's server with.

    The file is readable by its owner only: it holds the RPC key and the
    bus credentials.
    """
    conf = render_ini(guest_conf_sections(instance, rpc_key, region_name,
                                          transport_url))
    document = {'write_files': [{'path': GUEST_CONF_PATH,
                                 'content': conf,
                                 'owner': 'root:root',
                                 'permissions': '0600'}]}
    return '#cloud-config\n' + yaml.safe_dump(document,
                                              default_flow_style=False)
