"""Fixtures for tests that run the real trove-mr services as processes.

Each test run gets its own ``control_exchange`` on the shared RabbitMQ, so
runs in parallel (and a ./run.sh deployment) never take each other's
messages: every topic trove-mr serves on the shared virtual host (the
guests' reports too) is named after it or bound to it. Tests whose queue
names are fixed (notifications) get a virtual host of their own instead
(``rabbit_vhost``).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
from oslo_messaging import opts as messaging_opts

from trove_mr.common import cfg
from trove_mr.common import rpc

CONF = cfg.CONF
TRANSPORT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'
BIN_DIR = os.path.dirname(sys.executable)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_config(path, exchange, **sections):
    """Write a service config; ``sections`` maps group -> {option: value}."""
    groups = {'DEFAULT': {'transport_url': TRANSPORT_URL,
                          'control_exchange': exchange,
                          'host': 'test-' + exchange[-8:]}}
    for group, values in sections.items():
        groups.setdefault(group, {}).update(values)
    with open(path, 'w') as config:
        for group, values in groups.items():
            config.write('[%s]\n' % group)
            for key, value in values.items():
                config.write('%s = %s\n' % (key, value))
    return str(path)


class ServiceProcess:
    """A trove-mr service started as ``trove-mr-<name>``, own group."""

    def __init__(self, name, config_file, log_dir):
        self.name = name
        self.log_path = os.path.join(log_dir, '%s.log' % name)
        self._log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(
            [os.path.join(BIN_DIR, 'trove-mr-' + name),
             '--config-file', config_file],
            stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)

    def log(self):
        with open(self.log_path, errors='replace') as log:
            return log.read()[-4000:]

    def group_alive(self):
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def terminate(self, timeout=10):
        """SIGTERM the service; return (exit code, seconds it took)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - started

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.group_alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=5)
        self._log.close()


def wait_until(check, timeout=30, service=None):
    """Retry ``check()`` until it returns without raising; its value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except Exception as exc:
            if time.monotonic() > deadline:
                raise
            if service is not None and service.proc.poll() is not None:
                raise AssertionError('%s exited:\n%s'
                                     % (service.name, service.log())) from exc
            time.sleep(0.3)


def rabbitmqctl(*args):
    """Run ``rabbitmqctl -q <args>``; its output."""
    return subprocess.run(
        ['rabbitmqctl', '-q'] + list(args), check=True, capture_output=True,
        text=True, timeout=60).stdout


@pytest.fixture
def rabbit_vhost():
    """make() -> name of a new RabbitMQ virtual host for guest, removed
    after the test; its URL is TRANSPORT_URL + name."""
    made = []

    def make():
        name = 'trove-mr-test-' + uuid.uuid4().hex[:12]
        rabbitmqctl('add_vhost', name)
        made.append(name)
        rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*',
                    '.*')
        return name

    yield make
    for name in made:
        try:
            rabbitmqctl('delete_vhost', name)
        except (subprocess.SubprocessError, OSError):
            pass


@pytest.fixture
def exchange():
    return 'trove-mr-test-' + uuid.uuid4().hex


@pytest.fixture
def start_service(tmp_path):
    """start_service(name, config_file) -> a running ServiceProcess."""
    started = []

    def start(name, config_file):
        service = ServiceProcess(name, config_file, str(tmp_path))
        started.append(service)
        return service

    yield start
    # Signal every service first so that they stop in parallel.
    for service in started:
        if service.proc.poll() is None:
            service.proc.send_signal(signal.SIGTERM)
    for service in started:
        service.cleanup()


@pytest.fixture
def rpc_conf(exchange):
    """This process's CONF pointed at the test's exchange."""
    CONF([], project='trove-mr')
    # oslo.messaging registers these itself on first use; registered here
    # so they can be overridden before any transport exists.
    CONF.register_opts(dict(messaging_opts.list_opts())[None])
    overrides = {'transport_url': TRANSPORT_URL,
                 'control_exchange': exchange,
                 # Calls sent before a server's queue exists are lost;
                 # short timeouts keep waiting for readiness quick.
                 'rpc_response_timeout': 2,
                 'agent_call_low_timeout': 2}
    rpc.cleanup()
    for name, value in overrides.items():
        CONF.set_override(name, value)
    yield CONF
    rpc.cleanup()
    for name in overrides:
        CONF.clear_override(name)


def call_until_ready(call, service, timeout=30):
    """``call()`` once the service's queue exists and it answers."""
    return wait_until(call, timeout=timeout, service=service)

