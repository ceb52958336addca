"""The guest configuration the taskmanager injects as cloud-init."""

import configparser

import yaml

from trove_mr.common import cfg
from trove_mr.flows import guest_config

CONF = cfg.CONF


def test_user_data_writes_the_agent_conf_with_the_contract_options(
        cloud, make_instance):
    instance = make_instance('RegionTwo')
    text = guest_config.user_data(instance, 'the-key', 'RegionTwo')

    assert text.startswith('#cloud-config\n')
    files = yaml.safe_load(text)['write_files']
    assert [f['path'] for f in files] == [
        '/etc/trove-mr/trove-mr-guestagent.conf']
    assert files[0]['permissions'] == '0600'
    conf = configparser.RawConfigParser()
    conf.read_string(files[0]['content'])
    assert conf.get('DEFAULT', 'transport_url') == \
        'rabbit://u:p@127.0.0.1:5672/v'
    assert conf.get('DEFAULT', 'control_exchange') == CONF.control_exchange
    assert conf.get('DEFAULT', 'instance_rpc_encr_key') == 'the-key'
    assert conf.get('DEFAULT', 'region_name') == 'RegionTwo'
    assert conf.get('DEFAULT', 'enable_secure_rpc_messaging') == 'true'
    assert conf.getint('DEFAULT', 'agent_heartbeat_interval') == \
        CONF.agent_heartbeat_interval
    assert conf.get('guest', 'instance_id') == instance.id
    assert conf.get('guest', 'tenant_id') == instance.tenant_id
    assert conf.get('guest', 'datastore_manager') == 'redis'
    assert conf.get('guest', 'datastore_version') == '7.0'
    assert conf.getint('redis', 'redis_port') == 6379
    assert conf.get('redis', 'redis_server_bin') == \
        CONF.redis.redis_server_bin


def test_guest_fanout_queues_expire_soon_after_the_guest(
        cloud, make_instance):
    sections = guest_config.guest_conf_sections(make_instance(), 'k',
                                                'RegionOne')
    assert sections['oslo_messaging_rabbit'] == {
        'rabbit_transient_queues_ttl': str(CONF.guest_transient_queues_ttl)}
    assert CONF.guest_transient_queues_ttl == 10
