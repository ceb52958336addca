"""The real conductor receiving sealed heartbeats over RabbitMQ."""

import datetime
import time

from tests.functional.conductor.guest_fixtures import guest_world  # noqa
from tests.functional.conductor.guest_fixtures import synced_region_db  # noqa
from tests.functional.rpc_fixtures import exchange  # noqa: F401
from tests.functional.rpc_fixtures import rpc_conf  # noqa: F401
from tests.functional.rpc_fixtures import start_service  # noqa: F401
from trove_mr.common import context as trove_context
from trove_mr.common import crypto
from trove_mr.common import states
from trove_mr.db.main import api as db_api
from trove_mr.guestagent import heartbeat

CTX = trove_context.RequestContext(overwrite=False)


def _send(world, status, sent, key=None, instance_id=None,
          key_instance=None):
    """Cast a heartbeat as a guest holding ``key`` would."""
    conductor = heartbeat.guest_conductor_api(
        key_instance or world.instance_id, key=key or world.key)
    conductor.heartbeat(CTX, instance_id or world.instance_id,
                        {'service_status': status, 'volume_used': 0.5},
                        sent)


def _utc(timestamp):
    """A POSIX timestamp as the naive UTC datetime the DB keeps."""
    return datetime.datetime.fromtimestamp(
        timestamp, datetime.timezone.utc).replace(tzinfo=None)


def test_heartbeats_are_ordered_and_aged_by_the_conductors_clock(
        guest_world):  # noqa: F811
    before = time.time()
    _send(guest_world, states.SERVICE_SHUTDOWN, before + 60)
    guest_world.wait_status(states.SERVICE_SHUTDOWN)
    # A guest whose clock is behind (within the envelope's window) is not
    # ignored for it, and its clock does not age the report.
    _send(guest_world, states.SERVICE_RUNNING, before - 60)
    guest_world.wait_status(states.SERVICE_RUNNING)
    after = time.time()
    row = guest_world.status()
    assert row.volume_used == 0.5
    assert _utc(before) <= row.heartbeat_at <= _utc(after)


def test_heartbeat_sealed_with_the_wrong_key_is_refused(
        guest_world):  # noqa: F811
    before = time.time()
    _send(guest_world, states.SERVICE_RUNNING, before,
          key=crypto.generate_key())
    _send(guest_world, states.SERVICE_SHUTDOWN, before)

    guest_world.wait_status(states.SERVICE_SHUTDOWN)
    time.sleep(0.5)
    row = guest_world.status()
    assert row.status == states.SERVICE_SHUTDOWN
    assert _utc(before) <= row.heartbeat_at <= _utc(time.time())


def test_guest_cannot_report_for_another_instance_under_its_own_key(
        guest_world):  # noqa: F811
    other = db_api.instance_create(guest_world.context, {
        'tenant_id': 'someone-else', 'region_name': 'RegionOne',
        'datastore_version_id': db_api.instance_get(
            guest_world.context, guest_world.instance_id
        ).datastore_version_id,
        'encrypted_rpc_key': None})
    later = time.time()

    # Signed correctly, with this guest's own key, about the other one.
    _send(guest_world, states.SERVICE_FAILED, later, instance_id=other.id)
    _send(guest_world, states.SERVICE_RUNNING, later)

    guest_world.wait_status(states.SERVICE_RUNNING)
    time.sleep(0.5)
    other_status = db_api.instance_status_get(guest_world.context, other.id)
    assert other_status.status == states.SERVICE_NEW
    assert other_status.heartbeat_at is None
