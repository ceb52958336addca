"""The guest image element, installed into a plain folder tree and run.

Building a disk image needs root, loop devices and a distribution mirror;
the element's own content does not. Its install script runs here into a
folder (TARGET_ROOT), and the local cloud's hypervisor then starts every
guest from that folder's agent: an instance built that way must become
ACTIVE and serve Redis with the password its create answered.
"""

import os
import subprocess
import sys
import time

import pytest
import redis

from tests.fixtures import devenv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
ELEMENT = os.path.join(ROOT, 'guest-image', 'elements', 'trove-mr-guest')


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('guest-tree')
    env = dict(os.environ, TARGET_ROOT=str(root), TROVE_MR_SOURCE=ROOT,
               TROVE_MR_GUEST_PYTHON=sys.executable)
    done = subprocess.run(
        [os.path.join(ELEMENT, 'install.d', '50-trove-mr-guestagent')],
        env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def test_install_script_lays_out_the_agent_its_unit_and_folders(tree):
    agent = tree / 'opt' / 'trove-mr-guest' / 'bin' / 'trove-mr-guestagent'
    assert os.access(agent, os.X_OK)
    unit = (tree / 'etc' / 'systemd' / 'system' /
            'trove-mr-guestagent.service').read_text()
    assert 'ExecStart=/opt/trove-mr-guest/bin/trove-mr-guestagent ' in unit
    for folder in ('etc/trove-mr', 'var/lib/trove-mr/data',
                   'var/log/trove-mr'):
        assert (tree / folder).is_dir()
    # Its own copy of the code, not this checkout's.
    found = subprocess.run(
        [str(tree / 'opt' / 'trove-mr-guest' / 'bin' / 'python'), '-c',
         'import trove_mr, os; print(os.path.realpath(trove_mr.__file__))'],
        capture_output=True, text=True, timeout=60, cwd=str(tree))
    assert found.stdout.startswith(str(tree / 'opt' / 'trove-mr-guest'))


def test_an_instance_runs_on_the_tree_s_agent(tree):
    agent = tree / 'opt' / 'trove-mr-guest' / 'bin' / 'trove-mr-guestagent'
    command = '%s --config-dir {root}/etc/trove-mr' % agent
    with devenv.running('trove-mr-element-', regions=('RegionOne',),
                        cloud_args=('--guest-command', command)) as env:
        trove = env.trove('demo')
        inst = trove.instances.create('from-tree', '7', volume={'size': 1},
                                      datastore='redis',
                                      datastore_version='7.0')
        deadline = time.monotonic() + 180
        while (shown := trove.instances.get(inst.id)).status != 'ACTIVE':
            assert shown.status in ('BUILD',), shown.status
            assert time.monotonic() < deadline, 'not ACTIVE in time'
            time.sleep(0.5)
        client = redis.Redis(host=shown.ip[0], port=6379,
                             password=inst.password, socket_timeout=5)
        assert client.ping()
        client.set('from-tree', 'yes')
        assert client.get('from-tree') == b'yes'
        # The guest running it is the tree's agent.
        guests = [_cmdline(pid) for pid in os.listdir('/proc')
                  if pid.isdigit() and 'guestagent' in _cmdline(pid)]
        assert [g for g in guests if str(agent) in g], guests
        trove.instances.delete(inst.id)


def _cmdline(pid):
    try:
        with open('/proc/%s/cmdline' % pid, 'rb') as f:
            args = f.read().split(b'\0')
    except OSError:
        return ''
    return ' '.join(a.decode(errors='replace') for a in args)
