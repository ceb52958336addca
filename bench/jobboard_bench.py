"""What durable operations cost, and how fast a dead taskmanager's job
comes back.

Prints

* the time from a taskmanager's death (SIGKILL, while it runs a create)
  to the job being claimed by the other taskmanager of the cell, median
  of ``--kills`` deaths, beside the claim expiry it is bounded by
  (``[taskflow] jobboard_expiration_time``);
* the create latency (POST to ACTIVE, median of ``--creates``) with the
  Redis jobboard and two taskmanagers against the in-memory engine and
  one taskmanager, measured in the same run, and their ratio.

    .venv/bin/python bench/jobboard_bench.py [--kills 10] [--creates 5]
"""

import argparse
import shutil
import signal
import statistics
import sys
import tempfile
import time

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.fixtures import devenv


def _small_flavor(trove):
    return sorted(trove.flavors.list(), key=lambda f: f.ram)[0].id


def _wait(trove, instance_id, wanted=('ACTIVE',), timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = trove.instances.get(instance_id).status
        if status in wanted:
            return status
        if status == 'ERROR':
            raise RuntimeError('instance %s went ERROR' % instance_id)
        time.sleep(0.05)
    raise RuntimeError('instance %s not %s in %ss' % (instance_id, wanted,
                                                       timeout))


def _delete_all(trove):
    for instance in trove.instances.list():
        trove.instances.delete(instance.id)
    deadline = time.monotonic() + 120
    while trove.instances.list() and time.monotonic() < deadline:
        time.sleep(0.5)


def _env(jobboard, taskmanagers, expiry=None):
    env = devenv.DevEnv(tempfile.mkdtemp(prefix='trove-mr-jobbench-'),
                        jobboard=jobboard, taskmanagers=taskmanagers)
    if expiry is not None:
        env.conf_overrides.setdefault('taskflow', {})[
            'jobboard_expiration_time'] = str(expiry)
    env.start()
    return env


def create_latency(env, count):
    """Median POST -> ACTIVE of ``count`` creates, one after another."""
    trove = env.trove('demo')
    flavor = _small_flavor(trove)
    times = []
    for index in range(count):
        started = time.monotonic()
        created = trove.instances.create('lat-%d' % index, flavor,
                                         volume={'size': 1})
        _wait(trove, created.id)
        times.append(time.monotonic() - started)
    _delete_all(trove)
    return statistics.median(times)


def resume_time(env, kills):
    """Median seconds from SIGKILL of a create's taskmanager to another
    one claiming its job."""
    trove = env.trove('demo')
    flavor = _small_flavor(trove)
    times = []
    for index in range(kills):
        created = trove.instances.create('kill-%d' % index, flavor,
                                         volume={'size': 1})
        deadline = time.monotonic() + 60
        owner = None
        while owner is None and time.monotonic() < deadline:
            owner = env.job_owner(created.id)
            time.sleep(0.02)
        name = env.taskmanager_of(owner) if owner else None
        if name is None:
            raise RuntimeError('no taskmanager runs the job of %s'
                               % created.id)
        env.stop_service(name, signal.SIGKILL)
        died = time.monotonic()
        new_owner = None
        while time.monotonic() - died < 120:
            new_owner = env.job_owner(created.id)
            if new_owner not in (None, owner):
                break
            if trove.instances.get(created.id).status != 'BUILD':
                break
            time.sleep(0.05)
        times.append(time.monotonic() - died)
        env.start_service(name)
        _wait(trove, created.id)
        print('kill %d: job resumed by %s after %.2fs' % (
            index + 1, new_owner, times[-1]), flush=True)
    _delete_all(trove)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--kills', type=int, default=10)
    parser.add_argument('--creates', type=int, default=5)
    parser.add_argument('--expiry', type=int, default=20,
                        help='jobboard_expiration_time (the default, 20)')
    args = parser.parse_args(argv)

    results = []
    env = _env('redis', 2, args.expiry)
    try:
        resumed = resume_time(env, args.kills) if args.kills else None
        with_board = create_latency(env, args.creates)
    finally:
        env.stop(remove=True)
        shutil.rmtree(env.state_dir, ignore_errors=True)
    env = _env('none', 1)
    try:
        in_memory = create_latency(env, args.creates)
    finally:
        env.stop(remove=True)
        shutil.rmtree(env.state_dir, ignore_errors=True)

    if resumed is not None:
        results += [
            ('jobboard_claim_expiry', args.expiry, 's'),
            ('job_resumed_after_taskmanager_death_median',
             round(resumed, 2), 's')]
    results += [
        ('create_latency_jobboard_median', round(with_board, 2), 's'),
        ('create_latency_in_memory_median', round(in_memory, 2), 's'),
        ('create_latency_jobboard_over_in_memory',
         round(with_board / in_memory, 3), 'ratio'),
    ]
    for name, value, unit in results:
        print('RESULT %s %s %s' % (name, value, unit))
    return 0


if __name__ == '__main__':
    sys.exit(main())
