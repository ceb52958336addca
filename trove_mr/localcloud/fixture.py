"""Run the local cloud as a subprocess, for tests of the whole project.

    from trove_mr.localcloud.fixture import LocalCloudProcess

    cloud = LocalCloudProcess(guest_command='sleep 600')
    cloud.start()
    try:
        sess = cloud.session('trove')          # keystoneauth1 Session
        nova = novaclient.client.Client('2.37', session=sess,
                                        region_name='RegionTwo')
    finally:
        cloud.stop()      # stops the emulator and every guest it started

In pytest, wrap it in a fixture with a finalizer calling ``stop()``.
Attributes: ``auth_url``, ``url`` (main port, for fault injection),
``state_dir``, ``clouds_yaml``, ``password``, ``regions``.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from trove_mr.localcloud import hypervisor
from trove_mr.localcloud import keystone

START_TIMEOUT = 15.0


def free_port_block(count, host='127.0.0.1'):
    """A port P such that P .. P + count - 1 are free right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((host, 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        socks = []
        try:
            for offset in range(count):
                s = socket.socket()
                socks.append(s)
                s.bind((host, base + offset))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError('no free block of %d ports' % count)


class LocalCloudProcess:
    """The emulator in a subprocess on free ports and a temp state dir."""

    def __init__(self, regions=('RegionOne', 'RegionTwo'), state_dir=None,
                 guest_command=None, password='secret', extra_args=()):
        self.regions = list(regions)
        self._own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix='localcloud-')
        self.guest_command = guest_command
        self.password = password
        self.extra_args = list(extra_args)
        self.port = None
        self.proc = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    @property
    def auth_url(self):
        return self.url + '/identity/v3'

    @property
    def clouds_yaml(self):
        return os.path.join(self.state_dir, 'clouds.yaml')

    def start(self):
        """Start the emulator and wait until it answers (or raise)."""
        if self.port is None:
            self.port = free_port_block(len(self.regions) + 1)
        args = [sys.executable, '-m', 'trove_mr.cmd.localcloud',
                '--regions', ','.join(self.regions),
                '--state-dir', self.state_dir, '--port', str(self.port),
                '--password', self.password] + self.extra_args
        if self.guest_command:
            args += ['--guest-command', self.guest_command]
        log = open(os.path.join(self.state_dir, 'localcloud.log'), 'ab')
        self.proc = subprocess.Popen(args, stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('local cloud exited with %s; see %s'
                                   % (self.proc.returncode, log.name))
            try:
                if requests.get(self.url + '/localcloud/info',
                                timeout=1).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('local cloud did not start in %ss' % START_TIMEOUT)

    def session(self, user='trove', project=None):
        """A keystoneauth1 Session for a seeded user.

        Users: admin, demo, alt_demo, trove (project 'service').
        """
        project = project or dict(
            (u, p) for u, p, _ in keystone.SEEDED_USERS)[user]
        auth = v3.Password(auth_url=self.auth_url, username=user,
                           password=self.password, project_name=project,
                           user_domain_name='Default',
                           project_domain_name='Default')
        return ks_session.Session(auth=auth)

    def info(self):
        """The emulator's /localcloud/info document."""
        return requests.get(self.url + '/localcloud/info', timeout=5).json()

    def set_fault(self, region, **faults):
        """Inject faults in a region (see trove_mr.localcloud.admin)."""
        resp = self.session('admin').post(
            self.url + '/localcloud/faults', json=dict(faults, region=region))
        return resp.json()['faults']

    def clear_faults(self):
        """Clear every fault of every region."""
        self.session('admin').delete(self.url + '/localcloud/faults')

    def _guest_groups(self):
        try:
            with open(os.path.join(self.state_dir, 'state.json')) as f:
                state = json.load(f)
        except (OSError, ValueError):
            return []
        # Only groups still led by a guest of this cloud: a pid may have
        # been reused since the guest died.
        checker = hypervisor.Hypervisor(self.state_dir)
        return [server['pid'] for region in state.get('regions', {}).values()
                for server in region['servers'].values()
                if server.get('pid') and checker.is_running(server)]

    def stop(self, remove_state=None):
        """Stop the emulator and every guest process group it started.

        The state dir is removed when this object created it, unless
        ``remove_state`` says otherwise.
        """
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        for pgid in self._guest_groups():
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
        if remove_state is None:
            remove_state = self._own_dir
        if remove_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)
