"""The systemd files in etc/systemd: units that verify and are hardened,
and the user and directories they run with.

Run with the machine's systemd tools (systemd-analyze, systemd-sysusers,
systemd-tmpfiles); the units' ExecStart is pointed at the console scripts
installed in this virtualenv, as a package would point them at its own.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
UNITS = os.path.join(ROOT, 'etc', 'systemd')
BIN = os.path.dirname(sys.executable)
SERVICES = ('api', 'taskmanager', 'conductor', 'guestagent')
# systemd-analyze security's exposure scale: 0 (safe) to 10 (unsafe).
MAX_EXPOSURE = {'api': 2.0, 'taskmanager': 2.0, 'conductor': 2.0,
                # Runs as root in the guest and supervises redis-server.
                'guestagent': 5.0}

pytestmark = pytest.mark.skipif(
    shutil.which('systemd-analyze') is None,
    reason='systemd-analyze is not installed on this machine')


@pytest.fixture(scope='module')
def units(tmp_path_factory):
    folder = tmp_path_factory.mktemp('units')
    for service in SERVICES:
        name = 'trove-mr-%s.service' % service
        with open(os.path.join(UNITS, name)) as f:
            text = f.read()
        text = text.replace('/usr/local/bin/', BIN + '/')
        (folder / name).write_text(text)
    return folder


def test_every_unit_starts_an_installed_console_script(units):
    for service in SERVICES:
        text = (units / ('trove-mr-%s.service' % service)).read_text()
        command = re.search(r'^ExecStart=(\S+)', text, re.M).group(1)
        assert command == os.path.join(BIN, 'trove-mr-%s' % service)
        assert os.access(command, os.X_OK)


def test_units_verify(units):
    files = sorted(str(p) for p in units.iterdir())
    done = subprocess.run(
        ['systemd-analyze', 'verify'] + files,
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert 'trove-mr' not in done.stderr, done.stderr


@pytest.mark.parametrize('service', SERVICES)
def test_units_are_hardened(units, service):
    done = subprocess.run(
        ['systemd-analyze', 'security', '--offline=true', '--no-pager',
         str(units / ('trove-mr-%s.service' % service))],
        capture_output=True, text=True, timeout=60)
    found = re.search(r'Overall exposure level for \S+: ([\d.]+)',
                      done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) <= MAX_EXPOSURE[service], done.stdout


def test_control_plane_units_run_as_the_sysusers_user(units, tmp_path):
    root = tmp_path / 'root'
    (root / 'etc').mkdir(parents=True)
    for tool, name in (('systemd-sysusers', 'trove-mr.sysusers'),
                       ('systemd-tmpfiles', 'trove-mr.tmpfiles')):
        args = [tool, '--root=%s' % root]
        if tool == 'systemd-tmpfiles':
            args.append('--create')
        with open(os.path.join(UNITS, name)) as f:
            done = subprocess.run(args + ['-'], stdin=f, capture_output=True,
                                  text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    passwd = (root / 'etc' / 'passwd').read_text()
    user = next(line.split(':') for line in passwd.splitlines()
                if line.startswith('trove-mr:'))
    assert user[5] == '/var/lib/trove-mr'
    assert user[6] == '/usr/sbin/nologin'
    for folder in ('var/lib/trove-mr', 'var/log/trove-mr'):
        info = os.stat(root / folder)
        assert oct(info.st_mode & 0o777) == '0o750'
        assert str(info.st_uid) == user[2]
    assert oct(os.stat(root / 'etc/trove-mr').st_mode & 0o777) == '0o750'
    for service in ('api', 'taskmanager', 'conductor'):
        text = (units / ('trove-mr-%s.service' % service)).read_text()
        assert 'User=trove-mr' in text
        assert 'StateDirectory=trove-mr' in text
