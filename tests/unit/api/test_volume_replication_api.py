"""The admin volume replication calls through the WSGI app: real policy,
real SQLite databases, a fake Cinder per region and a fake taskmanager
client; and the default volume types of a create."""

import json
import types

import jsonschema
import pytest

from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import MEMBER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from tests.unit.api.conftest import snapshot
from trove_mr.api.schemas import volume_replication as schemas
from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.common import context as trove_context
from trove_mr.common import states
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
MGMT = '/v1.0/adm/mgmt'


class FakeReplicatingCinder:
    """Cinder of one region: a plain and a replication-capable type
    (``ha`` in RegionOne only), volumes with their replication state."""

    def __init__(self, region, volumes):
        self.region = region
        self.volume_types = types.SimpleNamespace(list=self._types)
        self.volumes = types.SimpleNamespace(get=self._get,
                                             _action=self._action)
        self.pools = types.SimpleNamespace(list=self._pools)
        self.items = volumes
        self.actions = []

    def _types(self):
        found = [types.SimpleNamespace(id='vt-1', name='lvmdriver-1',
                                       _info={'extra_specs': {}})]
        if self.region == 'RegionOne':
            found.append(types.SimpleNamespace(
                id='vt-ha', name='ha',
                _info={'extra_specs': {'replication_capable': 'True'}}))
        return found

    def _get(self, volume_id):
        return types.SimpleNamespace(_info=self.items[volume_id])

    def _action(self, action, volume_id, info=None):
        self.actions.append((action, volume_id))
        if action == 'os-list_replication_targets':
            return None, {'targets': [{'backend_id': 'lvm-replica',
                                       'type': 'managed'}]}
        status = {'os-enable_replication': 'copying',
                  'os-disable_replication': 'disabled'}.get(action)
        if status:
            self.items[volume_id]['replication_status'] = status
        return None, {}

    def _pools(self, detailed=False):
        return [types.SimpleNamespace(_info={
            'name': 'host@lvm#primary', 'capabilities': {
                'replication_enabled': True, 'replication_type': 'async',
                'replication_targets': [{'backend_id': 'lvm-replica',
                                         'type': 'managed'}]}})]


@pytest.fixture
def cinder(api, monkeypatch):
    volumes = {}
    by_region = {}

    def make(context, region_name=None):
        return by_region.setdefault(
            region_name, FakeReplicatingCinder(region_name, volumes))
    monkeypatch.setattr(clients, 'create_cinder_client', make)
    return types.SimpleNamespace(volumes=volumes, region=make)


@pytest.fixture
def failovers(taskmanager):
    for name in ('failover_volume', 'failover_cluster_volumes'):
        setattr(taskmanager, name,
                lambda context, *args, _name=name, **kwargs:
                taskmanager._record(_name, context, *args, **kwargs))
    return taskmanager


def _instance(api, cinder, volume_type='ha', status='enabled',
              last_sync='2026-01-01T00:00:00.000000'):
    """An ACTIVE instance of p1 in RegionOne with a server and volume."""
    body = create_body(volume={'size': 1, 'type': volume_type},
                       region='RegionOne')
    answer = call(api, '/v1.0/p1/instances', 'POST', body)
    assert answer.status_int == 202, answer.text
    instance_id = answer.json['instance']['id']
    volume_id = 'vol-%s' % instance_id[:8]
    cinder.volumes[volume_id] = {
        'replication_status': status, 'replication_last_sync_at': last_sync,
        'os-vol-host-attr:host': 'host@lvm#primary'}
    db_api.instance_update(trove_context.get_admin_context(), instance_id, {
        'task_status': states.TASK_NONE, 'server_id': 'srv-1',
        'volume_id': volume_id})
    return instance_id


def _replication(instance_id):
    return '%s/instances/%s/replication' % (MGMT, instance_id)


def test_tenant_is_refused_every_call_without_hearing_of_replication(
        api, cinder, failovers):
    instance_id = _instance(api, cinder)
    for method, path, body in (
            ('GET', _replication(instance_id), None),
            ('POST', _replication(instance_id), {'failover': {}}),
            ('POST', _replication(instance_id), {'enable': {}}),
            ('GET', '%s/replication_targets?region=RegionOne' % MGMT, None)):
        answer = call(api, path.replace('/adm/', '/p1/'), method, body,
                      headers=MEMBER)
        assert answer.status_int == 403, (path, answer.text)
        assert 'replication' not in answer.text.lower()
    assert failovers.casts[1:] == []


def test_admin_sees_state_and_lag_and_the_tenant_sees_nothing(
        api, cinder):
    instance_id = _instance(api, cinder)
    answer = call(api, _replication(instance_id), headers=ADMIN)
    assert answer.status_int == 200, answer.text
    jsonschema.validate(answer.json, schemas.INSTANCE_RESPONSE)
    state = answer.json['replication']
    assert state['replication_capable'] is True
    assert state['status'] == 'enabled'
    assert state['lag_seconds'] > 0
    shown = call(api, '/v1.0/p1/instances/%s' % instance_id)
    assert 'replica' not in json.dumps(shown.json).lower()


def test_failover_is_a_job_and_shows_reboot_to_the_tenant(
        api, cinder, failovers):
    instance_id = _instance(api, cinder)
    answer = call(api, _replication(instance_id), 'POST',
                  {'failover': {'secondary': 'lvm-replica'}}, headers=ADMIN)
    assert answer.status_int == 202, answer.text
    assert answer.json['failover']['instances'] == [instance_id]
    name, _ctx, _args, kwargs = failovers.casts[-1]
    assert name == 'failover_volume'
    row = db_api.instance_get(trove_context.get_admin_context(),
                              instance_id)
    assert row.task_status == states.TASK_FAILING_OVER
    shown = call(api, '/v1.0/p1/instances/%s' % instance_id)
    assert shown.json['instance']['status'] == 'REBOOT'


def test_failover_payload_names_region_volume_server_and_target(
        api, cinder, failovers):
    instance_id = _instance(api, cinder)
    call(api, _replication(instance_id), 'POST', {'failover': {}},
         headers=ADMIN)
    _name, _ctx, args, kwargs = failovers.casts[-1]
    payload = dict(zip(('instance_id', 'failover'), args, strict=False),
                   **kwargs)
    assert payload['instance_id'] == instance_id
    assert payload['failover'] == {
        'region_name': 'RegionOne', 'volume_id': 'vol-%s' % instance_id[:8],
        'server_id': 'srv-1', 'secondary': None}


@pytest.mark.parametrize('volume_type,status,last_sync,code,text', [
    ('lvmdriver-1', 'disabled', None, 400,
     "volume type 'lvmdriver-1', which is not replication-capable in "
     "region RegionOne"),
    ('ha', 'copying', None, 409, 'no copy made yet'),
    ('ha', 'disabled', None, 409, 'replication status disabled'),
])
def test_failover_refused_changes_nothing(api, cinder, failovers,
                                          databases, volume_type, status,
                                          last_sync, code, text):
    instance_id = _instance(api, cinder, volume_type, status, last_sync)
    before = snapshot(databases['region'], databases['api'])
    answer = call(api, _replication(instance_id), 'POST', {'failover': {}},
                  headers=ADMIN)
    assert answer.status_int == code, answer.text
    assert text in answer.text
    assert snapshot(databases['region'], databases['api']) == before
    assert [c[0] for c in failovers.casts].count('failover_volume') == 0


def test_unknown_secondary_is_a_400_naming_the_field(api, cinder,
                                                     failovers):
    instance_id = _instance(api, cinder)
    answer = call(api, _replication(instance_id), 'POST',
                  {'failover': {'secondary': 'elsewhere'}}, headers=ADMIN)
    assert answer.status_int == 400, answer.text
    assert 'failover.secondary' in answer.text


@pytest.mark.parametrize('body', [
    {}, {'enable': {}, 'disable': {}}, {'failover': {'bogus': 1}},
    {'promote': {}}])
def test_bad_action_bodies_are_400(api, cinder, body):
    instance_id = _instance(api, cinder)
    answer = call(api, _replication(instance_id), 'POST', body,
                  headers=ADMIN)
    assert answer.status_int == 400, answer.text


def test_enable_and_disable_are_cinder_actions_recorded_on_the_row(
        api, cinder):
    instance_id = _instance(api, cinder, status='disabled', last_sync=None)
    answer = call(api, _replication(instance_id), 'POST', {'enable': {}},
                  headers=ADMIN)
    assert answer.status_int == 200, answer.text
    assert answer.json['replication']['status'] == 'copying'
    assert answer.json['replication']['recorded_status'] == 'enabled'
    answer = call(api, _replication(instance_id), 'POST', {'disable': {}},
                  headers=ADMIN)
    assert answer.json['replication']['status'] == 'disabled'
    assert answer.json['replication']['recorded_status'] == 'disabled'


def test_region_targets_for_admins_and_unknown_region(api, cinder):
    answer = call(api, '%s/replication_targets?region=RegionOne' % MGMT,
                  headers=ADMIN)
    assert answer.status_int == 200, answer.text
    jsonschema.validate(answer.json, schemas.TARGETS_RESPONSE)
    assert answer.json['backends'][0]['targets'][0]['backend_id'] == \
        'lvm-replica'
    answer = call(api, '%s/replication_targets?region=Nowhere' % MGMT,
                  headers=ADMIN)
    assert answer.status_int == 400
    assert 'Nowhere' in answer.text
    answer = call(api, '%s/replication_targets' % MGMT, headers=ADMIN)
    assert answer.status_int == 400
    assert 'region' in answer.text


def test_a_flavor_or_version_default_type_is_used_when_none_is_named(
        api, cinder):
    CONF.set_override('flavor_volume_types', {'7': 'ha'},
                      group='volume_replication')
    try:
        body = create_body(region='RegionOne')
        answer = call(api, '/v1.0/p1/instances', 'POST', body)
        assert answer.status_int == 202, answer.text
        row = db_api.instance_get(trove_context.get_admin_context(),
                                  answer.json['instance']['id'])
        assert row.volume_type == 'ha'
        # Named explicitly, the tenant's type wins.
        body = create_body(region='RegionOne',
                           volume={'size': 1, 'type': 'lvmdriver-1'})
        answer = call(api, '/v1.0/p1/instances', 'POST', body)
        row = db_api.instance_get(trove_context.get_admin_context(),
                                  answer.json['instance']['id'])
        assert row.volume_type == 'lvmdriver-1'
    finally:
        CONF.clear_override('flavor_volume_types',
                            group='volume_replication')
    CONF.set_override('datastore_version_volume_types', {'7.0': 'ha'},
                      group='volume_replication')
    try:
        answer = call(api, '/v1.0/p1/instances', 'POST',
                      create_body(region='RegionOne'))
        row = db_api.instance_get(trove_context.get_admin_context(),
                                  answer.json['instance']['id'])
        assert row.volume_type == 'ha'
        # A default type the region does not have is the same 400 as a
        # named one.
        answer = call(api, '/v1.0/p1/instances', 'POST',
                      create_body(region='RegionTwo'))
        assert answer.status_int == 400, answer.text
        assert "'ha' does not exist in region RegionTwo" in answer.text
    finally:
        CONF.clear_override('datastore_version_volume_types',
                            group='volume_replication')
