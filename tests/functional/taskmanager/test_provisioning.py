"""Creates and deletes through the API, built by the real taskmanager.

The whole system (local cloud with two regions, RabbitMQ, API,
taskmanager, conductor, guest agents with redis-server) runs for real;
the cloud is checked with novaclient and cinderclient as the service
user, who owns the servers and volumes.
"""

import redis

from tests.functional.taskmanager import helpers


def test_instance_in_region_two_runs_redis_and_delete_removes_it_there(
        system):
    trove = system.trove('demo')
    created = trove.instances.create(
        'tm-region-two', helpers.small_flavor(trove).id,
        volume={'size': 1}, region_name='RegionTwo')
    instance = helpers.wait_status(trove, created.id, ('ACTIVE', 'ERROR'))
    assert instance.status == 'ACTIVE', getattr(instance, 'fault', None)
    assert instance._info['region'] == 'RegionTwo'

    servers = helpers.servers_of(system, 'RegionTwo', created.id)
    volumes = helpers.volumes_of(system, 'RegionTwo', created.id)
    assert len(servers) == 1 and len(volumes) == 1
    assert servers[0].metadata == {'trove_mr_instance_id': created.id}
    assert volumes[0].metadata == {'trove_mr_instance_id': created.id}
    assert helpers.servers_of(system, 'RegionOne', created.id) == []
    address = instance._info['ip'][0]
    assert address.startswith('127.12.')  # RegionTwo's address range
    client = redis.Redis(host=address, port=6379, password=created.password,
                         socket_timeout=5)
    assert client.set('k', 'v') and client.get('k') == b'v'
    client.close()

    assert helpers.delete_instance(system, created.id) == 202
    helpers.wait_gone(trove, created.id)
    assert helpers.servers_of(system, 'RegionTwo', created.id) == []
    assert helpers.volumes_of(system, 'RegionTwo', created.id) == []


def test_injected_server_create_fault_reverts_the_volume(system):
    trove = system.trove('demo')
    system.cloud.set_fault('RegionOne', fail_next_servers=1)
    try:
        created = trove.instances.create(
            'tm-server-fault', helpers.small_flavor(trove).id,
            volume={'size': 1})
        instance = helpers.wait_status(trove, created.id, ('ACTIVE',
                                                           'ERROR'))
    finally:
        system.cloud.clear_faults()

    assert instance.status == 'ERROR'
    # The tenant reads the kind of failure; an admin reads why.
    assert instance._info['fault']['message'] == (
        'A step of the operation failed.')
    shown = system.trove('admin').mgmt_instances.show(created.id)
    assert 'Injected fault' in shown._info['fault']['details']
    assert helpers.volumes_of(system, 'RegionOne', created.id) == []
    assert helpers.servers_of(system, 'RegionOne', created.id) == []
    assert helpers.delete_instance(system, created.id) == 202
    helpers.wait_gone(trove, created.id)
