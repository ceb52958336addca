"""RabbitMQ administration: per-guest users, their rights, their leftovers.

Two ways to administer the broker, chosen by ``[guest_broker]
credentials``:

* ``rabbitmqctl``: the command (``[guest_broker] rabbitmqctl_command``)
  on the taskmanager's host, which must be allowed to run it (root or the
  rabbitmq user, or a wrapper through ssh/sudo);
* ``management``: the management plugin's HTTP API
  (``[guest_broker] management_url`` with an administrator's
  ``management_username`` / ``management_password``).

``shared`` turns the feature off: guests get the cell's own bus
credentials, as before.
"""

import base64
import hashlib
import json
import os
import re
import shlex
import subprocess
import time
import urllib.parse

import requests
from oslo_log import log as logging

from trove_mr.common import cfg

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

SHARED = 'shared'
RABBITMQCTL = 'rabbitmqctl'
MANAGEMENT = 'management'


class BrokerAdminError(Exception):
    """The broker refused or could not be reached."""


def permissions_for(names, publish_exchanges, reply_exchange=True):
    """RabbitMQ (configure, write, read) regexes for one guest.

    :param names: exact names the guest owns, each the prefix of its
        queues and exchanges (``<name>``, ``<name>.<x>``, ``<name>_<x>``).
    :param publish_exchanges: exchanges it may declare and publish to.
    :param reply_exchange: whether it may answer calls (replies go through
        the default exchange, ``amq.default``).
    """
    own = '|'.join(r'%s(?:[._].*)?' % re.escape(name) for name in names)
    publish = '|'.join(re.escape(name) for name in publish_exchanges)
    configure = '^(?:%s|%s)$' % (own, publish) if publish else '^(?:%s)$' % own
    write_names = [own] + ([publish] if publish else []) + \
        ([re.escape('amq.default')] if reply_exchange else [])
    write = '^(?:%s)$' % '|'.join(write_names)
    read = '^(?:%s)$' % own
    return configure, write, read


_SHA256 = 'rabbit_password_hashing_sha256'


def password_hash(password, salt=None):
    """RabbitMQ's stored form of ``password`` (its SHA-256 scheme):
    base64 of a 4-byte salt and SHA-256 of the salt and the password."""
    salt = os.urandom(4) if salt is None else salt
    digest = hashlib.sha256(salt + password.encode('utf-8')).digest()
    return base64.b64encode(salt + digest).decode('ascii')


class RabbitmqctlAdmin:
    """Through ``rabbitmqctl`` on this host."""

    def __init__(self, command=None):
        self._command = shlex.split(command or
                                    CONF.guest_broker.rabbitmqctl_command)

    # Answers that are the broker's verdict, not a failure to reach it.
    # (rabbitmqctl words them both ways across releases.)
    _VERDICTS = ('already_exists', 'already exists', 'no_such_user',
                 'does not exist', 'no_such_vhost')
    _ATTEMPTS = 4

    def _run(self, *args, check=True, stdin=None):
        # rabbitmqctl starts an Erlang node per call: under load (many
        # builds at once) a call can time out or fail to reach the broker.
        # Tried again with a growing pause; the broker's own verdicts are
        # answered at once.
        for attempt in range(self._ATTEMPTS):
            try:
                proc = subprocess.run(self._command + ['-q'] + list(args),
                                      capture_output=True, text=True,
                                      timeout=60, check=False, input=stdin)
            except subprocess.TimeoutExpired:
                if attempt == self._ATTEMPTS - 1:
                    raise BrokerAdminError('rabbitmqctl %s timed out'
                                           % args[0]) from None
            else:
                output = proc.stderr + proc.stdout
                if proc.returncode == 0 or any(
                        verdict in output for verdict in self._VERDICTS) \
                        or attempt == self._ATTEMPTS - 1:
                    break
            time.sleep(2 ** attempt)
        if check and proc.returncode != 0:
            raise BrokerAdminError('rabbitmqctl %s failed (%s): %s'
                                   % (args[0], proc.returncode,
                                      (proc.stderr or proc.stdout).strip()))
        return proc

    def put_user(self, name, password):
        proc = self._run('add_user', name, password, check=False)
        if proc.returncode != 0:
            output = proc.stderr + proc.stdout
            if 'already_exists' not in output and \
                    'already exists' not in output:
                raise BrokerAdminError('rabbitmqctl add_user failed: %s'
                                       % proc.stderr.strip())
            self._run('change_password', name, password)

    def set_permissions(self, vhost, name, configure, write, read):
        self._run('set_permissions', '-p', vhost, name, configure, write,
                  read)

    def put_user_with_permissions(self, vhost, name, password, configure,
                                  write, read):
        """Create or reset a user and its rights in one call
        (``import_definitions``): one Erlang node started, not two."""
        self.put_users_with_permissions(
            [(vhost, name, password, configure, write, read)])

    def put_users_with_permissions(self, entries):
        """:meth:`put_user_with_permissions` of many users in one call:
        ``entries`` of ``(vhost, name, password, configure, write,
        read)``."""
        definitions = {
            'users': [{'name': name, 'password_hash': password_hash(
                password), 'hashing_algorithm': _SHA256, 'tags': ''}
                for _vhost, name, password, *_rights in entries],
            'permissions': [{'user': name, 'vhost': vhost,
                             'configure': configure, 'write': write,
                             'read': read}
                            for vhost, name, _password, configure, write,
                            read in entries]}
        # On standard input: no file another user could read.
        self._run('import_definitions', stdin=json.dumps(definitions))

    def delete_user(self, name):
        proc = self._run('delete_user', name, check=False)
        if proc.returncode != 0 and \
                'no_such_user' not in proc.stderr + proc.stdout and \
                'does not exist' not in proc.stderr + proc.stdout:
            raise BrokerAdminError('rabbitmqctl delete_user failed: %s'
                                   % proc.stderr.strip())

    def user_exists(self, name):
        out = self._run('list_users', '--no-table-headers').stdout
        return name in (line.split('\t')[0] for line in out.splitlines())

    def list_queues(self, vhost):
        out = self._run('list_queues', '-p', vhost, '--no-table-headers',
                        'name').stdout
        return [line.strip() for line in out.splitlines() if line.strip()]

    def list_exchanges(self, vhost):
        out = self._run('list_exchanges', '-p', vhost, '--no-table-headers',
                        'name').stdout
        return [line.strip() for line in out.splitlines() if line.strip()]


class ManagementAdmin:
    """Through the management plugin's HTTP API."""

    def __init__(self, url=None, username=None, password=None,
                 session=None):
        opts = CONF.guest_broker
        self._url = (url or opts.management_url).rstrip('/')
        self._auth = (username or opts.management_username,
                      password or opts.management_password)
        self._session = session or requests.Session()

    def _call(self, method, path, expect=(200, 201, 204), **kwargs):
        try:
            resp = self._session.request(method, self._url + path,
                                         auth=self._auth, timeout=30,
                                         **kwargs)
        except requests.RequestException as exc:
            raise BrokerAdminError('RabbitMQ management API: %s'
                                   % exc) from exc
        if resp.status_code not in expect:
            raise BrokerAdminError('RabbitMQ management API %s %s: %s %s'
                                   % (method, path, resp.status_code,
                                      resp.text[:200]))
        return resp

    @staticmethod
    def _q(value):
        return urllib.parse.quote(value, safe='')

    def put_user(self, name, password):
        self._call('PUT', '/api/users/%s' % self._q(name),
                   json={'password': password, 'tags': ''})

    def set_permissions(self, vhost, name, configure, write, read):
        self._call('PUT', '/api/permissions/%s/%s'
                   % (self._q(vhost), self._q(name)),
                   json={'configure': configure, 'write': write,
                         'read': read})

    def delete_user(self, name):
        self._call('DELETE', '/api/users/%s' % self._q(name),
                   expect=(200, 204, 404))

    def user_exists(self, name):
        resp = self._call('GET', '/api/users/%s' % self._q(name),
                          expect=(200, 404))
        return resp.status_code == 200

    def list_queues(self, vhost):
        resp = self._call('GET', '/api/queues/%s?columns=name'
                          % self._q(vhost))
        return [q['name'] for q in resp.json()]

    def list_exchanges(self, vhost):
        resp = self._call('GET', '/api/exchanges/%s?columns=name'
                          % self._q(vhost))
        return [e['name'] for e in resp.json()]


def get_admin():
    """The configured administrator, or None when guests share the bus
    credentials of their cell."""
    mode = CONF.guest_broker.credentials
    if mode == RABBITMQCTL:
        return RabbitmqctlAdmin()
    if mode == MANAGEMENT:
        return ManagementAdmin()
    return None
