"""The ZooKeeper jobboard, chosen by configuration alone.

A system of its own with ``[taskflow] jobboard_backend = zookeeper`` and two
taskmanagers, on the machine's ZooKeeper (Debian's package, started by
tools/ensure-services.sh). Jobs go through ZooKeeper, and a taskmanager
killed during a create leaves the job to the other one as soon as its
session expires and its claim (an ephemeral node) vanishes.
"""

import json
import os
import re
import signal
import time

import pytest
from kazoo import exceptions as kazoo_exc

from tests.fixtures import devenv
from tests.functional.taskmanager import helpers

# [taskflow] jobboard_zookeeper_timeout that DevEnv writes.
SESSION_TIMEOUT = 6

# "<date> <time> <pid> INFO <logger> [...] Job conductor <name> claims jobs
# of board <board> (<backend>)"
_CONDUCTOR_LINE = re.compile(
    r'^\S+ \S+ (?P<pid>\d+) INFO .*Job conductor (?P<name>\S+) claims '
    r'jobs of board (?P<board>\S+) \((?P<backend>\w+)\)')


@pytest.fixture(scope='module')
def zk_system():
    with devenv.running('trove-mr-tm-zookeeper-', jobboard='zookeeper',
                        taskmanagers=2) as env:
        yield env


@pytest.fixture
def zk(zk_system):
    client = zk_system.zookeeper()
    yield client
    client.stop()
    client.close()


def _conductors(env, timeout=30):
    """{conductor name: process name} of the cell's taskmanagers, from the
    line each one's worker logs when its conductor connects."""
    path = os.path.join(env.log_dir, 'trove-mr-taskmanager.log')
    by_group = {env.procs[name].pid: name
                for name in env.taskmanager_names() if name in env.procs}
    deadline = time.monotonic() + timeout
    while True:
        found = {}
        with open(path) as log:
            for line in log:
                match = _CONDUCTOR_LINE.match(line)
                if not match:
                    continue
                assert match.group('backend') == 'zookeeper', line
                try:
                    # The worker is forked by its launcher: the process
                    # group is the launcher's, the one DevEnv started.
                    group = os.getpgid(int(match.group('pid')))
                except ProcessLookupError:
                    continue
                if group in by_group:
                    found[match.group('name')] = by_group[group]
        if len(found) == len(by_group):
            return found
        assert time.monotonic() < deadline, (
            'conductors %s of %s in %s' % (found, by_group, path))
        time.sleep(0.3)


def _jobs_of(zk, board_path, resource_id):
    """[(posting, owner or None)] of the board's jobs on ``resource_id``."""
    try:
        children = zk.get_children(board_path)
    except kazoo_exc.NoNodeError:
        return []
    found = []
    for child in children:
        if not child.startswith('job') or child.endswith('.lock'):
            continue
        try:
            data, _stat = zk.get('%s/%s' % (board_path, child))
        except kazoo_exc.NoNodeError:
            continue  # consumed meanwhile
        posting = json.loads(data)
        if (posting.get('details') or {}).get('resource_id') != resource_id:
            continue
        try:
            lock, _stat = zk.get('%s/%s.lock' % (board_path, child))
            owner = json.loads(lock)['owner']
        except kazoo_exc.NoNodeError:
            owner = None
        found.append((posting, owner))
    return found


def _wait_claimed(zk, board_path, resource_id, timeout=30):
    """The posting and owner of the first claimed job on ``resource_id``."""
    deadline = time.monotonic() + timeout
    while True:
        for posting, owner in _jobs_of(zk, board_path, resource_id):
            if owner:
                return posting, owner
        assert time.monotonic() < deadline, (
            'no claimed job of %s on %s' % (resource_id, board_path))
        time.sleep(0.05)


def _create(env, name):
    trove = env.trove('demo')
    return trove, trove.instances.create(
        name, helpers.small_flavor(trove).id, volume={'size': 1})


def test_jobs_go_through_zookeeper(zk_system, zk):
    board_path = zk_system.jobboard_path()
    conductors = _conductors(zk_system)
    assert len(conductors) == 2
    # The Redis board's own redis-server is not started.
    assert 'jobboard-redis' not in zk_system.procs

    trove, created = _create(zk_system, 'tm-zk-create')
    posting, owner = _wait_claimed(zk, board_path, created.id)

    assert posting['details']['operation'] == 'trove.instance.create'
    assert owner in conductors
    instance = helpers.wait_status(trove, created.id, ('ACTIVE', 'ERROR'))
    assert instance.status == 'ACTIVE'
    with open(os.path.join(zk_system.log_dir,
                           'trove-mr-taskmanager.log')) as log:
        assert 'Posted job %s: trove.instance.create of instance %s' % (
            posting['uuid'], created.id) in log.read()

    assert helpers.delete_instance(zk_system, created.id) == 202
    helpers.wait_gone(trove, created.id)
    # Both jobs were consumed: nothing of the instance is left on the board.
    deadline = time.monotonic() + 10
    while _jobs_of(zk, board_path, created.id):
        assert time.monotonic() < deadline, 'jobs left on the board'
        time.sleep(0.2)
    # trove-mr-manage reads the same board.
    assert json.loads(zk_system.manage(
        'job', 'list', '--resource', created.id, '--format', 'json')) == []


def test_create_of_a_killed_taskmanager_is_resumed_by_the_other(
        zk_system, zk):
    board_path = zk_system.jobboard_path()
    conductors = _conductors(zk_system)
    trove, created = _create(zk_system, 'tm-zk-resumed')
    posting, owner = _wait_claimed(zk, board_path, created.id)
    victim = conductors[owner]
    survivor = next(name for name in conductors if name != owner)

    zk_system.stop_service(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    try:
        assert trove.instances.get(created.id).status == 'BUILD'
        # The dead process's claim lasts until its session expires; then
        # the other taskmanager claims the same job.
        deadline = killed_at + SESSION_TIMEOUT + 20
        while True:
            owners = {claimant for job, claimant in
                      _jobs_of(zk, board_path, created.id)
                      if job['uuid'] == posting['uuid']}
            if survivor in owners:
                break
            assert owners and time.monotonic() < deadline, (
                'job %s still claimed by %s, or gone, %.1fs after its '
                'taskmanager was killed' % (posting['uuid'], owners,
                                            time.monotonic() - killed_at))
            time.sleep(0.1)

        instance = helpers.wait_status(trove, created.id,
                                       ('ACTIVE', 'ERROR'), timeout=90)
        assert instance.status == 'ACTIVE', instance._info.get('fault')
        assert helpers.delete_instance(zk_system, created.id) == 202
        helpers.wait_gone(trove, created.id)
    finally:
        zk_system.start_service(victim)
