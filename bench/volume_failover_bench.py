"""Volume failover time of an instance holding ``--mb`` MB, beside a reboot.

Brings up a private system (local cloud, API, taskmanager, conductor),
builds an instance on the replication-capable ``replicated`` volume type,
fills it with about ``--mb`` MB of random values, and times ``--runs``
admin failovers (request to ACTIVE; planned: the primary is readable, so
the last copy is taken during the failover and no key is lost), the
volume protected again and copied between runs. The floor is an admin
reboot of the same instance (request to ACTIVE): a failover also boots
the server again and starts Redis, and adds the clean stop, the last
copy, Cinder's switch and the data check. Every run checks the key
count afterwards.

    .venv/bin/python bench/volume_failover_bench.py --mb 100 --runs 5
"""

import argparse
import datetime
import os
import shutil
import statistics
import tempfile
import time

import redis

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.fixtures import devenv

# Random bytes: an AOF of repetitive values would still be --mb, but
# random ones also keep any compression honest.
VALUE_SIZE = 4096
TIMEOUT = 600


def _wait_status(get, wanted, timeout=TIMEOUT, poll=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = get()
        if found.status == wanted:
            return found
        if found.status == 'ERROR':
            raise SystemExit('instance went to ERROR: %s' % found._info)
        time.sleep(poll)
    raise SystemExit('timed out waiting for %s' % wanted)


def _fill(ip, password, megabytes):
    client = redis.Redis(host=ip, port=6379, password=password)
    pipe = client.pipeline(transaction=False)
    count = megabytes * 1024 * 1024 // VALUE_SIZE
    for i in range(count):
        pipe.set('key:%d' % i, os.urandom(VALUE_SIZE))
        if i % 500 == 499:
            pipe.execute()
    pipe.execute()
    client.close()
    return count


class Admin:
    """The admin replication calls over HTTP (python-troveclient has
    none)."""

    def __init__(self, env):
        self.env = env
        self.session = env.session('admin')

    def _url(self, path):
        return '%s/v1.0/%s/mgmt%s' % (self.env.api_url,
                                      self.session.get_project_id(), path)

    def call(self, method, path, body=None, expect=200):
        answer = self.session.request(self._url(path), method, json=body,
                                      raise_exc=False, timeout=60)
        if answer.status_code != expect:
            raise SystemExit('%s %s: %s %s' % (method, path,
                                               answer.status_code,
                                               answer.text))
        return answer.json() if answer.text else None

    def state(self, instance_id):
        return self.call('GET', '/instances/%s/replication'
                         % instance_id)['replication']

    def wait_copied_after(self, instance_id, mark, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state(instance_id)
            if state['status'] == 'enabled' and state['last_sync_at'] and \
                    state['last_sync_at'] > mark:
                return state
            time.sleep(0.2)
        raise SystemExit('no copy of %s after %s' % (instance_id, mark))


def _utc_now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%S.%f')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--mb', type=int, default=100)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--reboots', type=int, default=3,
                        help='Admin reboots timed for the floor.')
    args = parser.parse_args()
    state_dir = tempfile.mkdtemp(prefix='trove-mr-failover-bench-')
    env = devenv.DevEnv(state_dir)
    try:
        env.start()
        demo, admin_trove = env.trove('demo'), env.trove('admin')
        admin = Admin(env)
        created = demo.instances.create(
            'bench-ha', '7', volume={'size': 2, 'type': 'replicated'},
            region_name='RegionOne')
        shown = _wait_status(lambda: demo.instances.get(created.id),
                             'ACTIVE')
        keys = _fill(shown.ip[0], created.password, args.mb)
        client = redis.Redis(host=shown.ip[0], port=6379,
                             password=created.password, socket_timeout=30)
        used_mb = client.info('memory')['used_memory'] / 1024.0 / 1024.0

        failovers, copies = [], []
        for run in range(args.runs):
            # Quiet: the AOF (and any rewrite) is on disk, then copied.
            time.sleep(3)
            mark = _utc_now_text()
            started = time.monotonic()
            admin.wait_copied_after(created.id, mark)
            copies.append(time.monotonic() - started)
            started = time.monotonic()
            admin.call('POST', '/instances/%s/replication' % created.id,
                       {'failover': {}}, expect=202)
            after = _wait_status(
                lambda: admin_trove.instances.get(created.id), 'ACTIVE')
            failovers.append(time.monotonic() - started)
            if after.ip != shown.ip:
                raise SystemExit('address changed: %s -> %s'
                                 % (shown.ip, after.ip))
            found = client.dbsize()
            if found != keys:
                raise SystemExit('run %d: %d keys after the failover, not %d'
                                 % (run + 1, found, keys))
            backend = admin.state(created.id)['backend']
            print('failover %d: %6.2f s  (now on %s, %d keys)'
                  % (run + 1, failovers[-1], backend, found))
            # Protected again, towards the other backend.
            admin.call('POST', '/instances/%s/replication' % created.id,
                       {'enable': {}})

        reboots = []
        for _ in range(args.reboots):
            started = time.monotonic()
            admin_trove.mgmt_instances.reboot(created.id)
            _wait_status(lambda: admin_trove.instances.get(created.id),
                         'ACTIVE')
            reboots.append(time.monotonic() - started)

        median = statistics.median(failovers)
        floor = statistics.median(reboots)
        print()
        print('dataset            : %d keys, %.1f MB in Redis' % (keys,
                                                                   used_mb))
        print('failover (x%d)      : median %.2f s, min %.2f s, max %.2f s'
              % (len(failovers), median, min(failovers), max(failovers)))
        print('admin reboot (x%d)  : median %.2f s  (floor: boot + Redis '
              'start)' % (len(reboots), floor))
        print('failover / reboot  : %.2f' % (median / floor))
        print('copy wait before a run: median %.2f s (the replica catching '
              'up, not part of the failover)' % statistics.median(copies))
        for name, value, unit in (
                ('volume_failover_dataset', round(used_mb, 1), 'MB'),
                ('volume_failover_median', round(median, 2), 's'),
                ('volume_failover_min', round(min(failovers), 2), 's'),
                ('volume_failover_max', round(max(failovers), 2), 's'),
                ('admin_reboot_median', round(floor, 2), 's'),
                ('volume_failover_over_reboot', round(median / floor, 2),
                 'ratio')):
            print('RESULT %s %s %s' % (name, value, unit))
    finally:
        env.stop()
        shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == '__main__':
    main()
