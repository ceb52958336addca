"""Replicated volumes end to end: an instance on a replication-capable
volume type, its primary backend lost in the local cloud, the admin's
failover, and the tenant who sees none of it (python-troveclient, raw
admin HTTP, real guests and redis-server, the local cloud's Cinder)."""

import datetime
import json
import time

import pytest
import redis
from troveclient import exceptions as trove_exc

from tests.functional.api import helpers

TIMEOUT = 240
KEYS = 1000


def _wait(trove, instance_id, wanted, timeout=TIMEOUT, admin=None):
    deadline = time.monotonic() + timeout
    shown = None
    while time.monotonic() < deadline:
        shown = trove.instances.get(instance_id)
        if shown.status == wanted:
            return shown
        if shown.status == 'ERROR' and admin is not None:
            fault = admin.mgmt_instances.show(instance_id)._info.get('fault')
            raise AssertionError('%s failed: %s' % (instance_id, fault))
        assert shown.status != 'ERROR', shown._info
        time.sleep(0.5)
    raise AssertionError('%s stayed %s, wanted %s'
                         % (instance_id, shown and shown.status, wanted))


def _delete(trove, instance_id):
    try:
        trove.instances.delete(instance_id)
    except trove_exc.NotFound:
        return
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            trove.instances.get(instance_id)
        except trove_exc.NotFound:
            return
        time.sleep(0.5)


def _mgmt(system, user, method, path, body=None):
    session = system.session(user)
    return helpers.request(session, method,
                           helpers.url(system, session, '/mgmt' + path),
                           body)


def _replication(system, instance_id):
    answer = _mgmt(system, 'admin', 'GET',
                   '/instances/%s/replication' % instance_id)
    assert answer.status_code == 200, answer.text
    return answer.json()['replication']


def _primary_unreadable(system, region, lost):
    session = system.session('admin')
    answer = session.post(system.cloud.url + '/localcloud/faults',
                          json={'region': region,
                                'primary_unreadable': lost},
                          raise_exc=False)
    assert answer.status_code == 200, answer.text


def _utc_text(when):
    return when.strftime('%Y-%m-%dT%H:%M:%S.%f')


def _wait_synced_after(system, instance_id, mark, timeout=60):
    """The replication state once a copy finished after ``mark``."""
    deadline = time.monotonic() + timeout
    while True:
        state = _replication(system, instance_id)
        if state['last_sync_at'] and state['last_sync_at'] > mark:
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.5)


@pytest.fixture(scope='module')
def instances(system):
    """demo's instances in RegionOne: one on the replication-capable
    ``replicated`` volume type, one on the default type; ACTIVE."""
    demo = system.trove('demo')
    ha = demo.instances.create('ha-redis', '7',
                               volume={'size': 1, 'type': 'replicated'},
                               region_name='RegionOne')
    plain = demo.instances.create('plain-redis', '7', volume={'size': 1},
                                  region_name='RegionOne')
    try:
        yield {'ha': (ha, _wait(demo, ha.id, 'ACTIVE')),
               'plain': (plain, _wait(demo, plain.id, 'ACTIVE'))}
    finally:
        _delete(demo, ha.id)
        _delete(demo, plain.id)


def test_replication_is_enabled_for_the_type_and_can_be_toggled(
        system, instances):
    ha = instances['ha'][0]
    state = _wait_synced_after(system, ha.id, '')
    assert state['replication_capable'] is True
    assert state['status'] == 'enabled'
    assert state['volume_type'] == 'replicated'
    assert state['lag_seconds'] is not None and state['lag_seconds'] >= 0

    off = _mgmt(system, 'admin', 'POST', '/instances/%s/replication'
                % ha.id, {'disable': {}})
    assert off.status_code == 200, off.text
    assert off.json()['replication']['status'] == 'disabled'
    on = _mgmt(system, 'admin', 'POST', '/instances/%s/replication'
               % ha.id, {'enable': {}})
    assert on.status_code == 200, on.text
    assert on.json()['replication']['status'] in ('copying', 'enabled')


def test_failover_from_a_lost_primary_keeps_id_address_and_keys(
        system, instances):
    ha, shown = instances['ha']
    admin = system.trove('admin')
    client = redis.Redis(host=shown.ip[0], port=6379, password=ha.password,
                         socket_timeout=5, decode_responses=True)
    pipe = client.pipeline(transaction=False)
    for index in range(KEYS):
        pipe.set('key:%04d' % index, 'value-%d' % index)
    pipe.execute()
    # Redis appends to its AOF within a second (appendfsync everysec):
    # a copy that starts after that holds every key.
    time.sleep(1.5)
    mark = _utc_text(datetime.datetime.now(datetime.timezone.utc))
    synced = _wait_synced_after(system, ha.id, mark)
    assert synced['status'] == 'enabled'

    _primary_unreadable(system, 'RegionOne', True)
    try:
        # Written after the last copy: async replication loses it.
        client.set('after-the-last-copy', 'lost')
        answer = _mgmt(system, 'admin', 'POST', '/instances/%s/replication'
                       % ha.id, {'failover': {}})
        assert answer.status_code == 202, answer.text
        assert answer.json()['failover']['instances'] == [ha.id]
        during = system.trove('demo').instances.get(ha.id)
        assert during.status in ('REBOOT', 'ACTIVE')
        after = _wait(admin, ha.id, 'ACTIVE', admin=admin)
    finally:
        _primary_unreadable(system, 'RegionOne', False)

    assert (after.id, after.ip, after.region) == \
        (ha.id, shown.ip, 'RegionOne')
    client = redis.Redis(host=after.ip[0], port=6379, password=ha.password,
                         socket_timeout=5, decode_responses=True)
    values = client.mget(['key:%04d' % i for i in range(KEYS)])
    assert values == ['value-%d' % i for i in range(KEYS)]
    assert client.get('after-the-last-copy') is None
    state = _replication(system, ha.id)
    assert state['status'] == 'failed-over'
    assert state['backend'].endswith('#replica')
    assert state['recorded_status'] == 'failed-over'
    mgmt = admin.mgmt_instances.show(ha.id)._info
    assert mgmt['task_description'] == 'NONE'
    assert 'fault' not in mgmt


def test_failed_over_instance_is_protected_again(system, instances):
    ha = instances['ha'][0]
    again = _mgmt(system, 'admin', 'POST', '/instances/%s/replication'
                  % ha.id, {'enable': {}})
    assert again.status_code == 200, again.text
    state = _wait_synced_after(system, ha.id, '')
    assert state['status'] == 'enabled'
    assert state['recorded_status'] == 'enabled'
    # Still served by the promoted volume, now copied back the other way.
    assert state['backend'].endswith('#replica')


def test_tenant_sees_no_replication_and_is_refused_the_admin_calls(
        system, instances):
    demo = system.trove('demo')
    ha = instances['ha'][0]
    shown = demo.instances.get(ha.id)._info
    listed = [i._info for i in demo.instances.list()
              if i.id == ha.id]
    for view in [shown] + listed:
        text = json.dumps(view).lower()
        assert 'replication' not in text and 'failover' not in text, view
        assert 'failed-over' not in text
    for method, path, body in (
            ('GET', '/instances/%s/replication' % ha.id, None),
            ('POST', '/instances/%s/replication' % ha.id, {'failover': {}}),
            ('POST', '/instances/%s/replication' % ha.id, {'enable': {}}),
            ('GET', '/replication_targets?region=RegionOne', None)):
        answer = _mgmt(system, 'demo', method, path, body)
        assert answer.status_code == 403, (path, answer.text)
        assert 'replication' not in answer.text.lower()


def test_failover_of_an_instance_on_a_plain_type_is_refused(
        system, instances):
    plain = instances['plain'][0]
    answer = _mgmt(system, 'admin', 'POST', '/instances/%s/replication'
                   % plain.id, {'failover': {}})
    assert answer.status_code == 400, answer.text
    message = answer.json()['badRequest']['message']
    assert 'not replication-capable in region RegionOne' in message
    # Nothing changed: the instance is still ACTIVE, not failing over.
    assert system.trove('demo').instances.get(plain.id).status == 'ACTIVE'
    assert _replication(system, plain.id)['replication_capable'] is False


def test_region_replication_targets_for_admins(system):
    answer = _mgmt(system, 'admin', 'GET',
                   '/replication_targets?region=RegionTwo')
    assert answer.status_code == 200, answer.text
    backends = answer.json()['backends']
    primary = [b for b in backends if b['replication_enabled']]
    assert [t['backend_id'] for t in primary[0]['targets']] == \
        ['lvm-RegionTwo-replica']
    unknown = _mgmt(system, 'admin', 'GET',
                    '/replication_targets?region=Nowhere')
    assert unknown.status_code == 400, unknown.text
    assert 'Nowhere' in unknown.text
