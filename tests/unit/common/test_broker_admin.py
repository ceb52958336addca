"""Per-guest broker users: their rights and the management API calls."""

import re

import pytest

from trove_mr.common import broker_admin
from trove_mr.common import cfg
from trove_mr.common import rpc
from trove_mr.conductor import rpcapi as conductor_rpcapi
from trove_mr.flows import broker

CONF = cfg.CONF

A = '0b6f6f0e-1111-2222-3333-444455556666'
B = '0b6f6f0e-9999-2222-3333-444455556666'


@pytest.fixture(autouse=True)
def service_defaults():
    # What every service gets from cfg.parse_args.
    rpc.register_bus_options()
    CONF.set_override('control_exchange', 'trove-mr')
    yield
    CONF.clear_override('control_exchange')


def _allowed(regex, name):
    return re.match(regex, name) is not None


def test_guest_may_configure_and_read_only_its_own_names():
    configure, write, read = broker.guest_permissions(A)
    own = ['guestagent.' + A, 'guestagent.%s.guest-%s' % (A, A),
           'guestagent.%s_fanout' % A, 'guestagent.%s_fanout_abc' % A]
    for name in own:
        assert _allowed(configure, name) and _allowed(read, name)
        assert _allowed(write, name)
    others = ['guestagent.' + B, 'guestagent.%s_fanout' % B,
              'trove-mr-taskmanager', 'trove-mr-conductor', 'trove-mr',
              'reply_abc', 'guestagent.' + A + 'x', 'amq.default']
    for name in others:
        assert not _allowed(read, name), name
    for name in others[:-1]:
        assert not _allowed(configure, name), name
    # It publishes its reports, and answers calls through the default
    # exchange, but reads neither.
    assert _allowed(write, 'trove-mr-guest-reports')
    assert _allowed(configure, 'trove-mr-guest-reports')
    assert _allowed(write, 'amq.default')
    assert not _allowed(read, 'trove-mr-guest-reports')
    assert not _allowed(write, 'trove-mr')


def test_guest_transport_url_carries_its_own_user(monkeypatch):
    calls = []

    class Admin:
        def put_user(self, name, password):
            calls.append(('user', name, password))

        def set_permissions(self, vhost, name, *perms):
            calls.append(('perms', vhost, name))

    monkeypatch.setattr(broker_admin, 'get_admin', Admin)
    url = broker.grant_guest_access(
        A, 'instance-key', 'rabbit://ctl:ctlpw@127.0.0.1:5672/cell1')
    password = broker.guest_password('instance-key')
    assert url == 'rabbit://trove-mr-guest-%s:%s@127.0.0.1:5672/cell1' % (
        A, password)
    assert 'ctlpw' not in url
    assert calls == [('user', 'trove-mr-guest-' + A, password),
                     ('perms', 'cell1', 'trove-mr-guest-' + A)]
    # Run again (after a taskmanager died), the same password.
    assert broker.grant_guest_access(
        A, 'instance-key', 'rabbit://ctl:ctlpw@127.0.0.1:5672/cell1') == url


def test_shared_credentials_mode_gives_no_url():
    # Set here: a test run before in this process may have loaded a
    # configuration that chose another mode.
    CONF.set_override('credentials', 'shared', group='guest_broker')
    try:
        assert broker.grant_guest_access(
            A, 'k', 'rabbit://u:p@h:5672/') is None
    finally:
        CONF.clear_override('credentials', group='guest_broker')


def test_guest_passwords_never_look_like_options():
    for n in range(200):
        password = broker.guest_password('key-%d' % n)
        assert not password.startswith('-')
        assert len(password) == 64


class _Response:
    def __init__(self, status, body=None):
        self.status_code = status
        self._body = body
        self.text = ''

    def json(self):
        return self._body


class _Session:
    def __init__(self):
        self.requests = []

    def request(self, method, url, **kwargs):
        self.requests.append((method, url, kwargs.get('json')))
        if method == 'GET':
            return _Response(200, [{'name': 'guestagent.' + A}])
        return _Response(204)


def test_management_api_requests():
    session = _Session()
    admin = broker_admin.ManagementAdmin('http://mq:15672/', 'admin', 'pw',
                                         session=session)
    admin.put_user('u1', 'secret')
    admin.set_permissions('/', 'u1', 'c', 'w', 'r')
    assert admin.list_queues('cell/1') == ['guestagent.' + A]
    admin.delete_user('u1')
    assert session.requests == [
        ('PUT', 'http://mq:15672/api/users/u1',
         {'password': 'secret', 'tags': ''}),
        ('PUT', 'http://mq:15672/api/permissions/%2F/u1',
         {'configure': 'c', 'write': 'w', 'read': 'r'}),
        ('GET', 'http://mq:15672/api/queues/cell%2F1?columns=name', None),
        ('DELETE', 'http://mq:15672/api/users/u1', None)]


def test_guest_reports_are_named_after_the_control_exchange():
    # Two planes sharing a vhost under different control exchanges must
    # not share the reports' queue (named after the topic alone).
    CONF.set_override('control_exchange', 'plane-b')
    try:
        assert conductor_rpcapi.guest_reports_exchange() == \
            'plane-b-guest-reports'
        assert conductor_rpcapi.guest_reports_topic() == \
            'plane-b-conductor-guest-reports'
        _, write, _ = broker.guest_permissions(A)
        assert _allowed(write, 'plane-b-guest-reports')
        assert not _allowed(write, 'trove-mr-guest-reports')
    finally:
        CONF.set_override('control_exchange', 'trove-mr')
    assert conductor_rpcapi.guest_reports_exchange() == \
        conductor_rpcapi.GUEST_REPORTS_EXCHANGE
    assert conductor_rpcapi.guest_reports_topic() == \
        conductor_rpcapi.GUEST_REPORTS_TOPIC


def test_grants_side_by_side_share_one_administration_call(monkeypatch):
    import threading

    calls = []
    started = threading.Event()
    release = threading.Event()

    class Admin:
        def put_users_with_permissions(self, entries):
            calls.append([entry[1] for entry in entries])
            started.set()
            release.wait(5)

    monkeypatch.setattr(broker_admin, 'get_admin', Admin)
    ids = ['00000000-0000-0000-0000-00000000000%d' % n for n in range(5)]
    threads = [threading.Thread(target=broker.grant_guest_access,
                                args=(i, 'key-' + i,
                                      'rabbit://u:p@127.0.0.1:5672/c'))
               for i in ids]
    threads[0].start()
    assert started.wait(5)
    for thread in threads[1:]:
        thread.start()
    # The four others queue behind the running call, then go together.
    deadline = threading.Event()
    for _ in range(50):
        if len(broker._GRANTS._queue) == 4:
            break
        deadline.wait(0.05)
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls[0] == ['trove-mr-guest-' + ids[0]]
    assert sorted(calls[1]) == sorted('trove-mr-guest-' + i
                                      for i in ids[1:])
    assert len(calls) == 2


def test_a_failed_batch_fails_every_grant_it_carried(monkeypatch):
    class Admin:
        def put_users_with_permissions(self, entries):
            raise broker_admin.BrokerAdminError('refused')

    monkeypatch.setattr(broker_admin, 'get_admin', Admin)
    try:
        broker.grant_guest_access(A, 'k', 'rabbit://u:p@127.0.0.1:5672/c')
    except broker_admin.BrokerAdminError as exc:
        assert 'refused' in str(exc)
    else:
        raise AssertionError('the grant did not fail')
    assert broker._GRANTS._queue == [] and not broker._GRANTS._busy


def test_rabbitmqctl_definitions_hash_the_password():
    import base64
    import hashlib

    stored = broker_admin.password_hash('s3cret', salt=b'abcd')
    raw = base64.b64decode(stored)
    assert raw[:4] == b'abcd'
    assert raw[4:] == hashlib.sha256(b'abcds3cret').digest()
    assert 's3cret' not in stored
