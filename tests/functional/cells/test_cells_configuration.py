"""A configuration group lives in the shared API database: made through
RegionOne's API, it is attached to an instance that RegionTwo's cell
owns, applied by RegionTwo's taskmanager, seen from both APIs."""

import json
import time

import redis

ACTIVE_TIMEOUT = 180


def _wait(trove, instance_id, wanted, timeout=ACTIVE_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        found = trove.instances.get(instance_id)
        assert found.status != 'ERROR', found
        if found.status == wanted:
            return found
        assert time.monotonic() < deadline, found.status
        time.sleep(0.5)


def _config_get(ip, password, name):
    client = redis.Redis(host=ip, port=6379, password=password,
                         socket_timeout=5, decode_responses=True)
    try:
        return client.config_get(name)[name]
    finally:
        client.close()


def test_group_of_regionone_applies_to_an_instance_of_regiontwos_cell(
        cells_system):
    one = cells_system.trove('demo', region_name='RegionOne')
    two = cells_system.trove('demo', region_name='RegionTwo')
    created = two.instances.create('cell-two', '7', volume={'size': 1},
                                   region_name='RegionTwo')
    group = one.configurations.create(
        'shared', json.dumps({'timeout': 77, 'loglevel': 'warning'}),
        datastore='redis', datastore_version='7.0')
    try:
        ip = _wait(two, created.id, 'ACTIVE').ip[0]
        assert _config_get(ip, created.password, 'timeout') == '0'
        # Through RegionOne's API: routed to the instance's own cell.
        one.instances.update(created.id, configuration=group.id)
        shown = _wait(one, created.id, 'ACTIVE')
        assert shown.configuration['id'] == group.id
        assert _config_get(ip, created.password, 'timeout') == '77'
        assert _config_get(ip, created.password, 'loglevel') == 'warning'
        # Both APIs see where the group is attached.
        assert two.configurations.get(group.id).instance_count == 1
        assert [i.id for i in one.configurations.instances(group.id)] == [
            created.id]
        two.instances.update(created.id, remove_configuration=True)
        _wait(two, created.id, 'ACTIVE')
        assert _config_get(ip, created.password, 'timeout') == '0'
        assert _config_get(ip, created.password, 'loglevel') == 'notice'
    finally:
        two.instances.delete(created.id)
    deadline = time.monotonic() + ACTIVE_TIMEOUT
    while created.id in {i.id for i in two.instances.list()}:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    two.configurations.delete(group.id)
