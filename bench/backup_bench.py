"""Backup and restore throughput against a plain Swift upload/download.

Brings up a private system (local cloud, API, taskmanager, conductor),
fills a RegionOne instance with about ``--mb`` MB of data, backs it up,
restores it into RegionTwo, and prints MB/s of each beside a plain
swiftclient upload and download of the same RDB file, the lower bound of
what a backup and a restore can cost (they also snapshot, checksum and
start Redis). Ratios, not absolute times, are what to compare.

A backup is timed from its POST to COMPLETED, once the AOF rewrite that
filling the instance started is over (a snapshot waits for it). A
restore is timed as what it adds to building an instance: the guest's
download and checksum (its log times them) plus Redis loading the data
(redis-server's log times that). The restored instance's POST to ACTIVE
beside an empty instance's, built just before in the same region, is
printed too: on a busy machine that difference is too noisy to be the
figure.

    .venv/bin/python bench/backup_bench.py --mb 200
"""

import argparse
import glob
import os
import re
import shutil
import tempfile
import time

import redis
import swiftclient

import trove_mr  # noqa: F401  (threading backend before oslo imports)
from tests.fixtures import devenv

# Random bytes: RDB compresses repetitive values, which would shrink the
# dataset far below --mb.
VALUE = os.urandom(4096)


def _wait(trove_get, wanted, timeout=900, poll=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = trove_get()
        status = found.status
        if status == wanted:
            return found
        if status in ('ERROR', 'FAILED'):
            raise SystemExit('reached %s: %s' % (status, found))
        time.sleep(poll)
    raise SystemExit('timed out waiting for %s' % wanted)


def _fill(ip, password, megabytes):
    client = redis.Redis(host=ip, port=6379, password=password)
    pipe = client.pipeline(transaction=False)
    for i in range(megabytes * 1024 * 1024 // len(VALUE)):
        pipe.set('key:%d' % i, VALUE)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    client.close()


def _persistence_idle(ip, password, timeout=300):
    """Wait until Redis runs no AOF rewrite or RDB save (the fill's 200 MB
    trigger an AOF rewrite; a snapshot for a backup waits for it, which
    would time the rewrite, not the backup); seconds waited."""
    client = redis.Redis(host=ip, port=6379, password=password)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            info = client.info('persistence')
            if not (info.get('aof_rewrite_in_progress') or
                    info.get('aof_rewrite_scheduled') or
                    info.get('rdb_bgsave_in_progress')):
                break
            time.sleep(0.05)
    finally:
        client.close()
    return time.monotonic() - started


def _guest_download_s(state):
    """Seconds the restoring guest took to download and check the backup
    (from its console log)."""
    found = []
    for path in glob.glob(os.path.join(state, 'cloud', 'servers', '*',
                                       'console.log')):
        with open(path, errors='replace') as f:
            found += re.findall(r'read from region \S+: \d+ bytes in '
                                r'([\d.]+)s', f.read())
    return float(found[-1]) if found else float('nan')


def _redis_load_s(state):
    """Seconds the slowest redis-server of the run took to load its data
    at start (the restored one: the others start empty)."""
    found = [0.0]
    for path in glob.glob(os.path.join(state, 'cloud', 'volumes', '*',
                                       '*', 'redis.log')):
        with open(path, errors='replace') as f:
            found += [float(s) for s in re.findall(
                r'DB loaded from (?:append only file|disk): ([\d.]+) '
                r'seconds', f.read())]
    return max(found)


def _mbps(size_mb, seconds):
    return size_mb / seconds if seconds > 0 else float('inf')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--mb', type=int, default=200)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix='trove-mr-backup-bench-')
    env = devenv.DevEnv(state)
    try:
        env.start()
        trove = env.trove('demo')
        source = trove.instances.create('bench-src', '7', volume={'size': 2},
                                        region_name='RegionOne')
        password = source.password
        source = _wait(lambda: trove.instances.get(source.id), 'ACTIVE')
        _fill(source.ip[0], password, args.mb)
        waited = _persistence_idle(source.ip[0], password)
        print('waited %.2f s for the AOF rewrite the fill started' % waited)

        started = time.monotonic()
        backup = trove.backups.create('bench', source.id)
        backup = _wait(lambda: trove.backups.get(backup.id), 'COMPLETED')
        backup_s = time.monotonic() - started
        size_mb = backup.size

        started = time.monotonic()
        empty = trove.instances.create('bench-empty', '7', volume={'size': 2},
                                       region_name='RegionTwo')
        _wait(lambda: trove.instances.get(empty.id), 'ACTIVE')
        build_s = time.monotonic() - started

        started = time.monotonic()
        restored = trove.instances.create(
            'bench-dst', '7', volume={'size': 2}, region_name='RegionTwo',
            restorePoint={'backupRef': backup.id})
        _wait(lambda: trove.instances.get(restored.id), 'ACTIVE')
        restore_build_s = time.monotonic() - started
        fetch_s = _guest_download_s(state)
        load_s = _redis_load_s(state)
        restore_s = fetch_s + load_s

        # The lower bound: the same bytes through swiftclient alone.
        session = env.session('demo')
        swift = swiftclient.Connection(
            session=session, os_options={'region_name': 'RegionOne'})
        container, name = backup.location.split('/')[-2:]
        path = os.path.join(state, 'plain.rdb')
        started = time.monotonic()
        _, body = swift.get_object(container, name, resp_chunk_size=1 << 20)
        with open(path, 'wb') as f:
            for chunk in body:
                f.write(chunk)
        download_s = time.monotonic() - started
        swift.put_container('bench_plain')
        started = time.monotonic()
        with open(path, 'rb') as f:
            swift.put_object('bench_plain', 'plain.rdb', f,
                             content_length=os.path.getsize(path))
        upload_s = time.monotonic() - started

        print('dataset: %.1f MB (RDB file)' % size_mb)
        # Ratios are of throughputs: 1.0 is as fast as plain swiftclient.
        print('backup : %7.1f MB/s  (%.2f s)   plain upload  : %7.1f MB/s '
              ' ratio %.2f' % (_mbps(size_mb, backup_s), backup_s,
                               _mbps(size_mb, upload_s),
                               upload_s / backup_s))
        print('restore: %7.1f MB/s  (%.2f s)   plain download: %7.1f MB/s '
              ' ratio %.2f' % (
                  _mbps(size_mb, restore_s), restore_s,
                  _mbps(size_mb, download_s), download_s / restore_s))
        print('         (download and checksum %.2f s, Redis loading %.2f s;'
              ' build with restore %.2f s, empty build %.2f s)'
              % (fetch_s, load_s, restore_build_s, build_s))
        print('restore download and checksum: %7.1f MB/s  (%.2f s)  ratio '
              '%.2f' % (_mbps(size_mb, fetch_s), fetch_s,
                        download_s / fetch_s))
        for name, value, unit in (
                ('backup_dataset', round(size_mb, 1), 'MB'),
                ('backup_throughput', round(_mbps(size_mb, backup_s), 1),
                 'MB/s'),
                ('plain_upload_throughput',
                 round(_mbps(size_mb, upload_s), 1), 'MB/s'),
                ('restore_throughput', round(_mbps(size_mb, restore_s), 1),
                 'MB/s'),
                ('plain_download_throughput',
                 round(_mbps(size_mb, download_s), 1), 'MB/s'),
                ('backup_over_plain_upload',
                 round(upload_s / backup_s, 2), 'ratio'),
                ('restore_over_plain_download',
                 round(download_s / restore_s, 2), 'ratio'),
                ('restore_download_throughput',
                 round(_mbps(size_mb, fetch_s), 1), 'MB/s'),
                ('restore_download_over_plain_download',
                 round(download_s / fetch_s, 2), 'ratio'),
                ('restore_redis_load', round(load_s, 2), 's'),
                ('restore_build_over_empty_build',
                 round(restore_build_s / build_s, 2), 'ratio')):
            print('RESULT %s %s %s' % (name, value, unit))
    finally:
        env.stop()
        if not os.environ.get('BENCH_KEEP_STATE'):
            shutil.rmtree(state, ignore_errors=True)


if __name__ == '__main__':
    main()
