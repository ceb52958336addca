"""The guest's readiness push ends a build's wait; without it the
database read still does.

The whole system runs for real: the guest casts ``guest_ready`` to the
conductor at the end of prepare, the conductor records it and casts
``instance_ready`` to the one taskmanager process whose flow waits, on
that process's own wake topic. With the conductor's ``guest_ready_wake``
off (the push lost on its way), the build reads the database every
``guest_ready_fallback_interval`` seconds and still ends ACTIVE.
"""

import os
import re
import time

import pytest
import redis

from tests.fixtures import devenv
from tests.functional.taskmanager import helpers


def _log(env, service):
    path = os.path.join(env.log_dir, 'trove-mr-%s.log' % service)
    with open(path, encoding='utf-8', errors='replace') as log:
        return log.read()


def _create_active(env, name):
    trove = env.trove('demo')
    created = trove.instances.create(name, helpers.small_flavor(trove).id,
                                     volume={'size': 1})
    instance = helpers.wait_status(trove, created.id, ('ACTIVE', 'ERROR'))
    assert instance.status == 'ACTIVE', getattr(instance, 'fault', None)
    client = redis.Redis(host=instance._info['ip'][0], port=6379,
                         password=created.password, socket_timeout=5)
    try:
        assert client.set('ready', 'yes') and client.get('ready') == b'yes'
    finally:
        client.close()
    return created.id


def _wake_received(env, instance_id, timeout=0):
    """Whether a taskmanager process received the wake for the instance
    (its wait woken, or already over: the build's own read of the
    database may find the report first)."""
    deadline = time.monotonic() + timeout
    while True:
        if re.search(r'Readiness of instance %s: (wait woken|nothing '
                     r'waits here)' % instance_id, _log(env, 'taskmanager')):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def test_a_build_goes_active_through_the_guest_readiness_push(system):
    instance_id = _create_active(system, 'ready-pushed')

    # The guest's report came through the conductor to the taskmanager
    # process that ran the build (a cast: it may land just after ACTIVE).
    assert _wake_received(system, instance_id, timeout=15)
    assert 'not woken (guest_ready_wake is off)' not in \
        _log(system, 'conductor')
    assert helpers.delete_instance(system, instance_id) == 202
    helpers.wait_gone(system.trove('demo'), instance_id)


@pytest.fixture(scope='module')
def pushless_system():
    # The conductor records readiness reports but wakes nobody: to the
    # build, every push is lost.
    with devenv.running('trove-mr-push-lost-', conf_overrides={
            'DEFAULT': {'guest_ready_wake': 'false',
                        'guest_ready_fallback_interval': '1'}}) as env:
        yield env


def test_with_the_push_lost_the_database_read_completes_the_build(
        pushless_system):
    instance_id = _create_active(pushless_system, 'ready-polled')

    conductor_log = _log(pushless_system, 'conductor')
    assert re.search(r'Readiness of instance %s recorded; taskmanager \S+ '
                     r'not woken' % instance_id, conductor_log)
    assert not _wake_received(pushless_system, instance_id, timeout=2)
    assert helpers.delete_instance(pushless_system, instance_id) == 202
    helpers.wait_gone(pushless_system.trove('demo'), instance_id)


def _wake_queues(env):
    from trove_mr.common import broker_admin
    config = devenv.guest_broker_config()
    if config['credentials'] == 'management':
        admin = broker_admin.ManagementAdmin(url=config['management_url'],
                                             username='guest',
                                             password='guest')
    else:
        admin = broker_admin.RabbitmqctlAdmin(command='rabbitmqctl')
    return [name for name in admin.list_queues(
        env.vhost_of(env.regions[0])) if '-taskmanager-wake.' in name]


def test_a_crashed_taskmanager_worker_leaves_no_wake_queue(system):
    """SIGKILL of a taskmanager worker (no clean stop to remove its
    queue): the worker started in its place sweeps the dead one's."""
    before = _wake_queues(system)
    assert before, 'no wake queue on the bus'
    victim = before[0]
    pid = int(victim.split('.')[-2])
    os.kill(pid, 9)
    deadline = time.monotonic() + 90
    now = before
    while time.monotonic() < deadline:
        now = _wake_queues(system)
        if victim not in now and len(now) >= len(before):
            break
        time.sleep(0.5)
    assert victim not in now, now
    # A worker took the dead one's place, with a queue of its own.
    assert len(now) == len(before), (before, now)
    system.wait_ready(60)
