"""What the guest does for resizes: the server's RAM, maxmemory in
redis.conf, and growing the volume's filesystem."""

import subprocess

import pytest

from trove_mr.common import memory
from trove_mr.guestagent import bootstrap
from trove_mr.guestagent import volume
from trove_mr.guestagent.datastore.redis import config

PASSWORD = 'Zx9-secret_password_123'


def _render(**kwargs):
    return config.render_config(
        '127.99.4.5', '/vol/data', PASSWORD, pidfile='/vol/conf/redis.pid',
        logfile='/vol/log/redis.log', **kwargs)


def test_memory_comes_from_the_server_then_from_meminfo(tmp_path):
    meminfo = tmp_path / 'meminfo'
    meminfo.write_text('MemTotal:        2048000 kB\nMemFree: 1 kB\n')
    assert bootstrap.memory_mb({bootstrap.MEMORY_ENV: '1024'},
                               str(meminfo)) == 1024
    assert bootstrap.memory_mb({}, str(meminfo)) == 2000
    assert bootstrap.memory_mb({}, str(tmp_path / 'missing')) is None
    assert bootstrap.memory_mb({bootstrap.MEMORY_ENV: 'lots'},
                               str(meminfo)) == 2000


def test_maxmemory_is_a_share_of_the_ram():
    assert memory.maxmemory_bytes(1024, 75) == 768 * 1024 * 1024
    assert memory.maxmemory_bytes(None, 75) is None


def test_redis_conf_carries_maxmemory_only_when_known():
    limited = _render(maxmemory=memory.maxmemory_bytes(512, 75))
    assert 'maxmemory 402653184\n' in limited
    assert 'maxmemory' not in _render().replace('# ', '')


def _mounts(tmp_path, line):
    path = tmp_path / 'mounts'
    path.write_text('proc /proc proc rw 0 0\n' + line + '\n')
    return str(path)


def test_a_folder_volume_has_nothing_to_grow(tmp_path):
    ran = []
    answer = volume.grow_filesystem(
        str(tmp_path), 3, mounts=_mounts(tmp_path, ''),
        run=lambda *a, **k: ran.append(a))
    assert answer == {'volume_size': 3, 'grown': False, 'device': None}
    assert ran == []


@pytest.mark.parametrize('fstype, command', [
    ('ext4', ['resize2fs', '/dev/vdb']),
    ('xfs', ['xfs_growfs', None])])
def test_a_mounted_block_device_is_grown_online(tmp_path, fstype, command):
    ran = []

    def run(args, **kwargs):
        ran.append(args)
        return subprocess.CompletedProcess(args, 0, '', '')
    mounts = _mounts(tmp_path, '/dev/vdb %s %s rw 0 0' % (tmp_path, fstype))
    answer = volume.grow_filesystem(str(tmp_path), 3, mounts=mounts,
                                    run=run)
    assert answer == {'volume_size': 3, 'grown': True, 'device': '/dev/vdb'}
    assert ran == [[c if c else str(tmp_path) for c in command]]


def test_a_failed_grow_names_the_command(tmp_path):
    mounts = _mounts(tmp_path, '/dev/vdb %s ext4 rw 0 0' % tmp_path)
    with pytest.raises(RuntimeError, match='resize2fs /dev/vdb failed'):
        volume.grow_filesystem(
            str(tmp_path), 3, mounts=mounts,
            run=lambda args, **k: subprocess.CompletedProcess(
                args, 1, '', 'bad superblock'))
