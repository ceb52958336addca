"""Bad requests against the running API (keystone auth, the real
pipeline), and a run of 20 instances that leaves no queue or exchange of
theirs on the bus."""

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

from tests.fixtures import devenv
from tests.functional.api import helpers

WAVES = 4
PER_WAVE = 5


def _raw(system, session, method, path, body=b'', headers=None,
         content_length=None):
    """One request over http.client, so that the body and its length are
    exactly what the test says (50 MB announced, a few bytes sent)."""
    target = urllib.parse.urlsplit(helpers.url(system, session, path))
    connection = http.client.HTTPConnection(target.hostname, target.port,
                                            timeout=60)
    try:
        connection.putrequest(method, target.path)
        all_headers = {'X-Auth-Token': session.get_token(),
                       'Accept': 'application/json'}
        all_headers.update(headers or {})
        all_headers['Content-Length'] = str(
            len(body) if content_length is None else content_length)
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        if body:
            connection.send(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _instance_count(system, session):
    answer = helpers.request(session, 'GET',
                             helpers.url(system, session, '/instances'))
    return len(answer.json()['instances'])


def test_bad_requests_are_4xx_through_the_whole_pipeline(system):
    session = system.session('demo')
    before = _instance_count(system, session)
    json_type = {'Content-Type': 'application/json'}

    status, _, body = _raw(system, session, 'POST', '/instances',
                           b'{"a":' * 5000 + b'1' + b'}' * 5000, json_type)
    assert status == 400, body
    assert b'nested deeper' in body

    for path in ('/instances', '/clusters', '/backups'):
        status, headers, body = _raw(system, session, 'DELETE', path)
        assert status == 405, body
        assert headers['Allow'] == 'GET, POST'

    # 50 MB announced, 1 KB sent: refused on the announcement.
    status, _, body = _raw(system, session, 'POST', '/instances', b' ' * 1024,
                           json_type, content_length=50 * 1024 * 1024)
    assert status == 413, body

    status, _, body = _raw(
        system, session, 'POST', '/instances',
        json.dumps({'instance': {'name': 'x', 'flavorRef': '7',
                                 'volume': {'size': 1}}}).encode(),
        {'Content-Type': 'text/plain'})
    assert status == 415, body

    answer = helpers.request(
        session, 'POST', helpers.url(system, session, '/instances'),
        {'instance': {'name': 'bidi\u202eevil', 'flavorRef': '7',
                      'volume': {'size': 1}}})
    assert answer.status_code == 400
    assert "'instance.name'" in answer.json()['badRequest']['message']
    assert _instance_count(system, session) == before


def test_cli_is_told_which_volume_type_the_region_lacks(system):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    session = system.session('demo')
    before = _instance_count(system, session)
    done = subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database', 'instance', 'create', 'typed', '--flavor', 'm1.redis',
         '--size', '1', '--volume-type', 'no-such-type', '--region',
         'RegionTwo'],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "volume type 'no-such-type' does not exist in region " \
        "RegionTwo" in done.stderr
    assert _instance_count(system, session) == before


def _bus_names(vhost, what):
    listed = subprocess.run(
        ['rabbitmqctl', '-q', what, '-p', vhost, 'name'],
        check=True, capture_output=True, text=True, timeout=60).stdout
    return listed.split()


def _left_on_bus(vhost, instance_ids):
    names = _bus_names(vhost, 'list_queues') + _bus_names(
        vhost, 'list_exchanges')
    return sorted(n for n in names if any(i in n for i in instance_ids))


def _wave(system, trove, session, index):
    created = [trove.instances.create('leak-%d-%d' % (index, n), '7',
                                      volume={'size': 1})
               for n in range(PER_WAVE)]
    urls = [helpers.url(system, session, '/instances/' + c.id)
            for c in created]
    for url in urls:
        helpers.wait_status(session, url, 'ACTIVE', timeout=240)
    # While the guests run, their queues (fanout ones included) are
    # there: what the end of the test looks for can be found.
    running = _left_on_bus(system.vhost, [c.id for c in created])
    assert any('_fanout_' in name for name in running), running
    for url in urls:
        assert helpers.request(session, 'DELETE', url).status_code == 202
    for url in urls:
        helpers.wait_gone(session, url, timeout=120)
    return [c.id for c in created]


def test_twenty_deleted_instances_leave_no_queue_on_the_bus(system):
    trove = system.trove('demo')
    session = system.session('demo')
    ids = []
    for index in range(WAVES):
        ids += _wave(system, trove, session, index)
    assert len(ids) == WAVES * PER_WAVE
    # Named queues go with the delete job; the local cloud stops a guest
    # cleanly, which takes its fanout queue along (a guest powered off
    # hard leaves it to expire: the next test).
    deadline = time.monotonic() + 90
    left = _left_on_bus(system.vhost, ids)
    while left and time.monotonic() < deadline:
        time.sleep(2)
        left = _left_on_bus(system.vhost, ids)
    assert left == []


_GUEST_LIKE_SERVER = '''
import sys, time
import oslo_messaging as messaging
from oslo_config import cfg
conf = cfg.ConfigOpts()
conf([], project='guest-like')
transport = messaging.get_rpc_transport(conf, url=sys.argv[1])
conf.set_override('rabbit_transient_queues_ttl', int(sys.argv[2]),
                  group='oslo_messaging_rabbit')
class Endpoint:
    def ping(self, ctx):
        return 1
server = messaging.get_rpc_server(
    transport, messaging.Target(topic=sys.argv[3], server='guest'),
    [Endpoint()], executor='threading')
server.start()
print('listening', flush=True)
time.sleep(600)
'''


def test_a_guest_powered_off_hard_leaves_no_fanout_queue(tmp_path):
    """A deleted server is powered off, not asked to stop: its guest's
    fanout queue (a random name) must expire by itself, after the ttl the
    guest configuration sets."""
    from trove_mr.common import cfg
    ttl = int(cfg.CONF.guest_transient_queues_ttl)
    vhost = 'trove-mr-fanout-%s' % os.getpid()
    subprocess.run(['rabbitmqctl', '-q', 'add_vhost', vhost], check=True,
                   timeout=60)
    try:
        subprocess.run(['rabbitmqctl', '-q', 'set_permissions', '-p', vhost,
                        'guest', '.*', '.*', '.*'], check=True, timeout=60)
        script = tmp_path / 'guest_like.py'
        script.write_text(_GUEST_LIKE_SERVER)
        topic = 'guestagent.hard-off'
        guest = subprocess.Popen(
            [sys.executable, str(script),
             'rabbit://%s/%s' % (devenv.RABBIT, vhost), str(ttl), topic],
            stdout=subprocess.PIPE, text=True)
        try:
            assert guest.stdout.readline().strip() == 'listening'
            deadline = time.monotonic() + 30
            while not any('_fanout_' in n for n in _left_on_bus(
                    vhost, [topic])) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert any('_fanout_' in n for n in _left_on_bus(vhost, [topic]))
        finally:
            guest.kill()
            guest.wait()
        deadline = time.monotonic() + ttl + 30
        while any('_fanout_' in n for n in _left_on_bus(vhost, [topic])) \
                and time.monotonic() < deadline:
            time.sleep(1)
        assert [n for n in _left_on_bus(vhost, [topic])
                if '_fanout_' in n] == []
    finally:
        subprocess.run(['rabbitmqctl', '-q', 'delete_vhost', vhost],
                       timeout=60)
