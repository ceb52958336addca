"""Builds that time out or lose their taskmanager leave nothing behind.

A system of its own: guests that never start an agent (``sleep``), a
short ``usage_timeout`` and short build leases.
"""

import signal
import time

import pytest

from tests.fixtures import devenv
from tests.functional.taskmanager import helpers

USAGE_TIMEOUT = 8


@pytest.fixture(scope='module')
def silent_system():
    with devenv.running(
            'trove-mr-tm-recovery-',
            cloud_args=['--guest-command', 'sleep 600'],
            conf_overrides={'DEFAULT': {
                'usage_timeout': USAGE_TIMEOUT, 'build_lease_interval': 1,
                'build_lease_expiry': 4, 'build_recovery_interval': 2}}) \
            as env:
        yield env


def _create(env, name, region='RegionOne'):
    trove = env.trove('demo')
    return trove, trove.instances.create(
        name, helpers.small_flavor(trove).id, volume={'size': 1},
        region_name=region)


def test_guest_never_heartbeating_goes_error_at_usage_timeout_and_is_removed(
        silent_system):
    trove, created = _create(silent_system, 'tm-silent', 'RegionTwo')
    started = time.monotonic()

    instance = helpers.wait_status(trove, created.id, ('ERROR', 'ACTIVE'),
                                   timeout=USAGE_TIMEOUT + 60)

    assert instance.status == 'ERROR'
    assert time.monotonic() - started >= USAGE_TIMEOUT - 2
    assert instance._info['fault']['message'] == (
        'The operation did not finish in time.')
    shown = silent_system.trove('admin').mgmt_instances.show(instance.id)
    assert 'Timed out' in shown._info['fault']['details']
    assert helpers.servers_of(silent_system, 'RegionTwo', created.id) == []
    assert helpers.volumes_of(silent_system, 'RegionTwo', created.id) == []


def test_taskmanager_killed_mid_create_is_resumed_and_ends_at_its_deadline(
        silent_system):
    # Both taskmanagers of the cell are killed once the server exists:
    # the job stays on the board, the restarted ones resume it, and the
    # build (whose guest never answers) ends at its own deadline with
    # what it built removed.
    trove, created = _create(silent_system, 'tm-killed')
    deadline = time.monotonic() + 30
    while not helpers.servers_of(silent_system, 'RegionOne', created.id):
        assert time.monotonic() < deadline, 'the server was never created'
        time.sleep(0.2)

    names = silent_system.taskmanager_names()
    for name in names:
        silent_system.stop_service(name, signal.SIGKILL)
    try:
        time.sleep(1)
        assert trove.instances.get(created.id).status == 'BUILD'
    finally:
        for name in names:
            silent_system.start_service(name)

    instance = helpers.wait_status(trove, created.id, ('ERROR', 'ACTIVE'),
                                   timeout=USAGE_TIMEOUT + 60)
    assert instance.status == 'ERROR'
    assert instance._info['fault']['message'] == (
        'The operation did not finish in time.')
    shown = silent_system.trove('admin').mgmt_instances.show(instance.id)
    assert 'Timed out' in shown._info['fault']['details']
    assert helpers.servers_of(silent_system, 'RegionOne', created.id) == []
    assert helpers.volumes_of(silent_system, 'RegionOne', created.id) == []
