"""Password change and logs on real redis-server processes."""

import time

import redis

from trove_mr.common import backup_objects
from trove_mr.common import guest_logs
from trove_mr.guestagent import bootstrap
from trove_mr.guestagent.datastore.redis import config
from trove_mr.guestagent.datastore.redis import logs


def _client(app, password):
    return redis.Redis(host=app.address, port=app.port, password=password,
                       decode_responses=True, socket_connect_timeout=2)


def test_password_change_keeps_connections_and_survives_restart(
        redis_node_factory):
    app = redis_node_factory()
    app.start(timeout=30)
    old = app.password
    connected = _client(app, old)
    connected.set('k', 'v')
    new = config.generate_password()
    app.change_password(new)
    # The connection made before the change still works.
    assert connected.get('k') == 'v'
    assert _client(app, new).get('k') == 'v'
    try:
        _client(app, old).ping()
        raise AssertionError('the old password still works')
    except redis.AuthenticationError:
        pass
    assert _client(app, new).config_get('masterauth') == {
        'masterauth': new}
    assert bootstrap.read_password(app.conf_path) == new
    app.restart(timeout=30)
    assert _client(app, new).get('k') == 'v'


def test_replica_keeps_following_with_the_new_masterauth(
        redis_node_factory):
    master = redis_node_factory()
    replica = redis_node_factory()
    master.start(timeout=30)
    replica.start(timeout=30)
    replica.replication.replicate_from(master.address, master.port,
                                       master.password)
    replica.replication.wait_for_sync(timeout=30)
    new = config.generate_password()
    master.change_password(new)
    replica.set_masterauth(new)
    # Force a new link: it must authenticate with the new password.
    _client(master, new).client_kill_filter(_type='replica')
    _client(master, new).set('after', '1')
    replica.replication.wait_for_sync(timeout=30)
    for _ in range(100):
        if _client(replica, replica.password).get('after') == '1':
            break
        time.sleep(0.1)
    assert _client(replica, replica.password).get('after') == '1'


class Conn:
    """Records what a publish sends to Swift."""

    def __init__(self):
        self.objects = {}

    def put_container(self, container):
        self.container = container

    def put_object(self, container, name, contents, **kwargs):
        self.objects[name] = (contents, kwargs.get('headers') or {})


def test_logs_list_enable_disable_and_publish(redis_node_factory,
                                              monkeypatch):
    app = redis_node_factory()
    app.start(timeout=30)
    conn = Conn()
    monkeypatch.setattr(backup_objects, 'connection',
                        lambda context, url: conn)
    described = {log['name']: log for log in logs.list_logs(app)}
    assert described['redis']['type'] == 'SYS'
    assert described['redis']['status'] == guest_logs.READY
    assert described['redis']['pending'] > 0
    target = {'swift_url': 'http://s/v1/AUTH_t', 'container': 'c',
              'prefix': 'i/redis-redis/', 'metafile': 'i/redis-redis_meta'}
    published = logs.log_action(app, None, 'redis', ['publish'], target)
    assert published['status'] == guest_logs.PUBLISHED
    assert published['pending'] == 0
    (part,) = [n for n in conn.objects if n.startswith('i/redis-redis/')]
    text, headers = conn.objects[part]
    assert b'Ready to accept connections' in text
    assert int(headers['X-Object-Meta-Lines']) >= 1
    assert 'i/redis-redis_meta' in conn.objects

    off = logs.log_action(app, None, 'slow_query', ['disable'])
    assert off['status'] == guest_logs.DISABLED
    on = logs.log_action(app, None, 'slow_query', ['enable'])
    assert on['status'] == guest_logs.ENABLED
    client = app.client()
    client.config_set('slowlog-log-slower-than', 0)
    client.set('slow', 'x')
    # Only what ran while the threshold was 0 is in the slow log.
    client.config_set('slowlog-log-slower-than', 10 ** 7)
    target = dict(target, prefix='i/redis-slow_query/')
    published = logs.log_action(app, None, 'slow_query', ['publish'],
                                target)
    assert published['status'] == guest_logs.PUBLISHED
    (part,) = [n for n in conn.objects if n.startswith(target['prefix'])]
    assert b' SET slow x\n' in conn.objects[part][0]


def test_disabled_slow_log_stays_disabled_after_restart(redis_node_factory):
    app = redis_node_factory()
    app.start(timeout=30)
    logs.log_action(app, None, 'slow_query', ['disable'])
    app.restart(timeout=30)
    logs.apply_saved(app)
    described = {log['name']: log for log in logs.list_logs(app)}
    assert described['slow_query']['status'] == guest_logs.DISABLED
