"""An attacker on the message bus, against the running system.

Messages captured off the bus (as anyone with bus access could) are
replayed, relabelled with another method, and sent to another target:
each is refused and logged, and nothing happens to the instance. A
guest's own broker user cannot read another guest's queue or the control
plane's. Deleting the instances removes their users, queues and
exchanges.
"""

import configparser
import glob
import json
import os
import subprocess
import time
import uuid

import amqp
import kombu
import oslo_messaging as messaging
import pytest
import redis

from tests.functional.api import helpers
from trove_mr.common import cfg

CONF = cfg.CONF
CONTROL_EXCHANGE = 'trove-mr'
TASKMANAGER_TOPIC = 'trove-mr-taskmanager'
CONDUCTOR_TOPIC = 'trove-mr-conductor'


def _connection(url_text):
    url = messaging.TransportURL.parse(CONF, url_text)
    host = url.hosts[0]
    return kombu.Connection(hostname=host.hostname, port=host.port,
                            userid=host.username, password=host.password,
                            virtual_host=url.virtual_host or '/',
                            connect_timeout=5)


def _guest_conf(system, instance_id):
    pattern = os.path.join(system.cloud.state_dir, 'servers', '*', 'root',
                           'etc', 'trove-mr', 'trove-mr-guestagent.conf')
    for path in glob.glob(pattern):
        parser = configparser.RawConfigParser()
        parser.read(path)
        if parser.get('guest', 'instance_id', fallback=None) == instance_id:
            # .../servers/<server id>/root/etc/trove-mr/<file>
            server_dir = path
            for _ in range(4):
                server_dir = os.path.dirname(server_dir)
            return parser, server_dir
    raise AssertionError('no guest configuration for %s' % instance_id)


def _rabbitmqctl(*args):
    return subprocess.run(['rabbitmqctl', '-q'] + list(args) +
                          ['--no-table-headers'], capture_output=True,
                          text=True, timeout=60, check=True).stdout


def _run_id(view, password):
    client = redis.Redis(host=view['ip'][0], port=6379, password=password,
                         socket_timeout=5)
    try:
        return client.info('server')['run_id']
    finally:
        client.close()


def _logs(system):
    text = ''
    for path in glob.glob(os.path.join(system.log_dir, '*.log')):
        with open(path, errors='replace') as f:
            text += f.read()
    return text


def _wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError('timed out waiting for %s' % what)


@pytest.fixture(scope='module')
def two_instances(system):
    trove = system.trove('demo')
    session = system.session('demo')
    created = [trove.instances.create('bus-%d' % n, '7', volume={'size': 1})
               for n in range(2)]
    views = []
    for instance in created:
        instance_url = helpers.url(system, session,
                                   '/instances/' + instance.id)
        views.append(helpers.wait_status(session, instance_url, 'ACTIVE'))
    yield [(c.id, c.password, v) for c, v in zip(created, views,
                                                     strict=True)]
    for instance in created:
        helpers.request(session, 'DELETE', helpers.url(
            system, session, '/instances/' + instance.id))


class _Spy:
    """A queue of the control plane's own bound beside a real one: copies
    of what travels there, raw, as an attacker with bus access sees it."""

    def __init__(self, conn, exchange, routing_key, exchange_type='topic'):
        self.channel = conn.channel()
        self.queue = 'spy-%s' % uuid.uuid4().hex
        self.channel.exchange_declare(exchange, exchange_type,
                                      durable=False, auto_delete=False,
                                      passive=True)
        self.channel.queue_declare(self.queue, exclusive=True)
        self.channel.queue_bind(self.queue, exchange, routing_key)

    def captured(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.channel.basic_get(self.queue, no_ack=True)
            if message is None:
                time.sleep(0.2)
                continue
            if json.loads(json.loads(message.body)['oslo.message'])[
                    'method'] == method:
                return message
        raise AssertionError('captured no %s' % method)


def _forged(captured, method=None):
    """The captured message again, a fresh oslo ``_unique_id`` (so that
    only our envelope can tell), optionally relabelled."""
    outer = json.loads(captured.body)
    inner = json.loads(outer['oslo.message'])
    inner['_unique_id'] = uuid.uuid4().hex
    if method:
        inner['method'] = method
    outer['oslo.message'] = json.dumps(inner)
    props = {k: v for k, v in captured.properties.items()
             if k in ('content_type', 'content_encoding')}
    return amqp.Message(json.dumps(outer), **props)


def test_replayed_relabelled_and_redirected_messages_are_refused(
        system, two_instances):
    (a_id, a_password, a_view), (b_id, _, _) = two_instances
    trove = system.trove('demo')
    session = system.session('demo')
    a_url = helpers.url(system, session, '/instances/' + a_id)
    with _connection(system.transport_url) as conn:
        to_tm = _Spy(conn, CONTROL_EXCHANGE, TASKMANAGER_TOPIC)
        to_guest = _Spy(conn, 'guestagent.' + a_id, 'guestagent.' + a_id)
        trove.instances.restart(a_id)
        restart_instance = to_tm.captured('restart_instance')
        restart = to_guest.captured('restart')
        helpers.wait_status(session, a_url, 'ACTIVE')
        run_id = _run_id(a_view, a_password)
        # The method is in clear (oslo.messaging dispatches on it); the
        # arguments and the context travel only inside the envelope.
        body = restart_instance.body
        body = body.decode() if isinstance(body, bytes) else body
        assert a_id not in body
        assert json.loads(json.loads(body)['oslo.message'])['args'] == {}

        send = conn.channel()
        # 1. The guest's restart, replayed as is.
        send.basic_publish(_forged(restart), 'guestagent.' + a_id,
                           'guestagent.' + a_id)
        # 2. Relabelled as stop.
        send.basic_publish(_forged(restart, 'stop'), 'guestagent.' + a_id,
                           'guestagent.' + a_id)
        # 3. Sent to the other guest.
        send.basic_publish(_forged(restart), 'guestagent.' + b_id,
                           'guestagent.' + b_id)
        # 4. The API's restart_instance relabelled as delete_instance, and
        # replayed as is, to the taskmanagers.
        send.basic_publish(_forged(restart_instance, 'delete_instance'),
                           CONTROL_EXCHANGE, TASKMANAGER_TOPIC)
        for _ in range(3):  # whichever of the two taskmanagers takes it
            send.basic_publish(_forged(restart_instance), CONTROL_EXCHANGE,
                               TASKMANAGER_TOPIC)
        # 5. Redirected to the conductor, which holds the same key.
        send.basic_publish(_forged(restart_instance), CONTROL_EXCHANGE,
                           CONDUCTOR_TOPIC)

    _, a_root = _guest_conf(system, a_id)
    _, b_root = _guest_conf(system, b_id)

    def console(server_dir):
        with open(os.path.join(server_dir, 'console.log'),
                  errors='replace') as f:
            return f.read()

    _wait_for(lambda: "Refused RPC message 'restart'" in console(a_root)
              and 'replay' in console(a_root)
              and 'relabelled' in console(a_root), 'guest A to refuse')
    _wait_for(lambda: "Refused RPC message 'restart'" in console(b_root),
              'guest B to refuse')
    logs = lambda: _logs(system)  # noqa: E731
    _wait_for(lambda: "Refused RPC message 'delete_instance'" in logs(),
              'the taskmanager to refuse the relabelled message')
    _wait_for(lambda: logs().count(
        "Refused RPC message 'restart_instance' on trove-mr-taskmanager")
        >= 3, 'the taskmanagers to refuse the replays')
    _wait_for(lambda: "Refused RPC message 'restart_instance' on "
              "trove-mr-conductor" in logs(), 'the conductor to refuse')
    assert 'relabelled' in logs() and 'replay' in logs()
    assert 'not this server' in logs()

    # Nothing happened to the instance: same redis-server, still ACTIVE,
    # never deleted or restarted again.
    time.sleep(3)
    view = helpers.wait_status(session, a_url, 'ACTIVE', timeout=5)
    assert view['id'] == a_id
    assert _run_id(a_view, a_password) == run_id


def test_guest_broker_user_reaches_only_its_own_queues(system,
                                                       two_instances):
    (a_id, _, _), (b_id, _, _) = two_instances
    conf, _ = _guest_conf(system, a_id)
    guest_url = conf.get('DEFAULT', 'transport_url')
    assert 'trove-mr-guest-%s' % a_id in guest_url
    assert guest_url != system.transport_url

    def refused(action):
        with _connection(guest_url) as conn:
            channel = conn.channel()
            with pytest.raises(amqp.exceptions.AccessRefused):
                action(channel)

    # Its own queue: allowed (nothing is waiting in it).
    with _connection(guest_url) as conn:
        channel = conn.channel()
        message = channel.basic_get('guestagent.' + a_id)
        if message is not None:
            channel.basic_reject(message.delivery_tag, requeue=True)
    refused(lambda ch: ch.basic_get('guestagent.' + b_id))
    refused(lambda ch: ch.basic_get(TASKMANAGER_TOPIC))
    refused(lambda ch: ch.basic_get(CONDUCTOR_TOPIC))
    refused(lambda ch: ch.basic_consume('guestagent.' + b_id,
                                        callback=lambda m: None))
    # Nor copies through a binding of its own queue to the control
    # exchange or another guest's, nor a queue of a new name.
    refused(lambda ch: ch.queue_bind('guestagent.' + a_id, CONTROL_EXCHANGE,
                                     TASKMANAGER_TOPIC))
    refused(lambda ch: ch.queue_bind('guestagent.' + a_id,
                                     'guestagent.' + b_id,
                                     'guestagent.' + b_id))
    refused(lambda ch: ch.queue_declare('stolen-%s' % uuid.uuid4().hex))
    refused(lambda ch: ch.exchange_delete(CONTROL_EXCHANGE))


def test_deleted_instances_leave_no_user_queue_or_exchange(system,
                                                           two_instances):
    session = system.session('demo')
    ids = [instance_id for instance_id, _, _ in two_instances]
    users = _rabbitmqctl('list_users')
    assert all('trove-mr-guest-' + i in users for i in ids)
    for instance_id in ids:
        assert helpers.request(session, 'DELETE', helpers.url(
            system, session, '/instances/' + instance_id)).status_code == 202
    for instance_id in ids:
        helpers.wait_gone(session, helpers.url(
            system, session, '/instances/' + instance_id), timeout=120)
    vhost = system.vhost_of(system.region_name)

    def left():
        found = _rabbitmqctl('list_users') + \
            _rabbitmqctl('list_queues', '-p', vhost, 'name') + \
            _rabbitmqctl('list_exchanges', '-p', vhost, 'name')
        return [i for i in ids if i in found]
    _wait_for(lambda: not left(), 'the instances\' users, queues and '
              'exchanges to go', timeout=60)


def test_twenty_deleted_instances_leave_nothing_on_the_broker(system):
    """20 instances created and deleted (two waves of ten, to keep the
    machine's memory for other work): no user, queue or exchange of any
    of them is left on the bus."""
    trove = system.trove('demo')
    session = system.session('demo')
    vhost = system.vhost_of(system.region_name)
    ids = []
    for wave in range(2):
        created = [trove.instances.create(
            'leak-%d-%d' % (wave, n), '7', volume={'size': 1},
            region_name='RegionOne' if n % 2 else 'RegionTwo')
            for n in range(10)]
        urls = [helpers.url(system, session, '/instances/' + c.id)
                for c in created]
        for instance_url in urls:
            helpers.wait_status(session, instance_url, 'ACTIVE',
                                timeout=300)
        users = _rabbitmqctl('list_users')
        assert all('trove-mr-guest-' + c.id in users for c in created)
        for instance_url in urls:
            assert helpers.request(session, 'DELETE',
                                   instance_url).status_code == 202
        for instance_url in urls:
            helpers.wait_gone(session, instance_url, timeout=180)
        ids += [c.id for c in created]

    def left():
        found = _rabbitmqctl('list_users') + \
            _rabbitmqctl('list_queues', '-p', vhost, 'name') + \
            _rabbitmqctl('list_exchanges', '-p', vhost, 'name')
        return [i for i in ids if i in found]
    _wait_for(lambda: not left(), 'nothing of the 20 instances to be left '
              'on the broker', timeout=60)
    assert len(set(ids)) == 20
