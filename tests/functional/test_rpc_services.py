"""The real taskmanager, conductor and guest agent processes over RabbitMQ."""

import oslo_messaging as messaging
import pytest

from tests.functional.rpc_fixtures import call_until_ready
from tests.functional.rpc_fixtures import exchange  # noqa: F401
from tests.functional.rpc_fixtures import rpc_conf  # noqa: F401
from tests.functional.rpc_fixtures import start_service  # noqa: F401
from tests.functional.rpc_fixtures import write_config
from trove_mr.common import context as trove_context
from trove_mr.common import crypto
from trove_mr.guestagent import rpcapi as guest_rpcapi
from trove_mr.taskmanager import rpcapi as taskmanager_rpcapi


@pytest.fixture
def admin_context():
    return trove_context.get_admin_context(region_name='RegionOne')


def test_taskmanager_pings_conductor_across_processes_and_stops_on_sigterm(
        tmp_path, exchange, rpc_conf, start_service,  # noqa: F811
        admin_context):
    config = write_config(tmp_path / 'trove-mr.conf', exchange)
    taskmanager = start_service('taskmanager', config)
    conductor = start_service('conductor', config)
    api = taskmanager_rpcapi.TaskManagerAPI()

    answer = call_until_ready(lambda: api.ping_conductor(admin_context),
                              taskmanager)

    host = 'test-' + exchange[-8:]
    assert answer == {
        'taskmanager': {'service': 'taskmanager', 'host': host},
        'conductor': {'service': 'conductor', 'host': host}}
    for service in (taskmanager, conductor):
        code, seconds = service.terminate()
        assert code == 0, service.log()
        # Seconds, not the heartbeat interval nor a hang (the machine may
        # be busy with the other test worker).
        assert seconds < 15
        assert not service.group_alive(), 'a worker outlived its parent'


@pytest.fixture
def guest(tmp_path, exchange, start_service):  # noqa: F811
    """A guest agent with its own instance id and RPC key."""
    instance_id = 'inst-' + exchange[-12:]
    key = crypto.generate_key()
    config = write_config(
        tmp_path / 'guest.conf', exchange,
        DEFAULT={'enable_secure_rpc_messaging': 'true',
                 'instance_rpc_encr_key': key},
        guest={'instance_id': instance_id})
    return instance_id, key, start_service('guestagent', config)


def test_guest_agent_answers_ping_on_its_own_topic_with_its_key(
        rpc_conf, guest, admin_context):  # noqa: F811
    instance_id, key, process = guest
    client = guest_rpcapi.GuestAgentAPI(admin_context, instance_id, key=key)

    answer = call_until_ready(client.ping, process)

    assert answer['service'] == 'guestagent'
    assert answer['instance_id'] == instance_id
    assert guest_rpcapi.topic_for(instance_id) == 'guestagent.' + instance_id


def test_guest_agent_refuses_a_call_sealed_with_the_wrong_key(
        rpc_conf, guest, admin_context):  # noqa: F811
    instance_id, key, process = guest
    good = guest_rpcapi.GuestAgentAPI(admin_context, instance_id, key=key)
    call_until_ready(good.ping, process)
    wrong = guest_rpcapi.GuestAgentAPI(admin_context, instance_id,
                                    key=crypto.generate_key())

    with pytest.raises(messaging.RemoteError) as err:
        wrong.ping()

    assert err.value.exc_type == 'SecureRPCError'
    assert 'wrong key' in err.value.value


def test_guest_agent_refuses_plaintext_calls(
        rpc_conf, guest, admin_context):  # noqa: F811
    instance_id, key, process = guest
    call_until_ready(
        guest_rpcapi.GuestAgentAPI(admin_context, instance_id, key=key).ping,
        process)
    rpc_conf.set_override('enable_secure_rpc_messaging', False)
    try:
        plain = guest_rpcapi.GuestAgentAPI(admin_context, instance_id)
        with pytest.raises(messaging.RemoteError) as err:
            plain.ping()
    finally:
        rpc_conf.clear_override('enable_secure_rpc_messaging')

    assert err.value.exc_type == 'SecureRPCError'
    assert 'unencrypted' in err.value.value
