"""Limits, quotas, the admin (/mgmt) calls, operating_status and access,
through the WSGI app: real policy, real SQLite databases, fakes for
Glance, Nova and the taskmanager client."""

import datetime
import types

import jsonschema
import pytest
from oslo_serialization import jsonutils

from tests.unit.api import conftest
from tests.unit.api.conftest import ADMIN
from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from tests.unit.api.conftest import snapshot
from tests.unit.api.test_global_list import two_cells  # noqa: F401
from trove_mr.api.schemas import instances as instance_schemas
from trove_mr.api.schemas import mgmt as schemas
from trove_mr.api.views import instances as instance_views
from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import faults
from trove_mr.db import cells
from trove_mr.db import rows
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
BASE = '/v1.0/p1/instances'
MGMT = '/v1.0/adm/mgmt'


def _ctx():
    return trove_context.get_admin_context()


def _create(api, headers=None, base=BASE, **overrides):
    answer = call(api, base, 'POST', create_body(**overrides),
                  headers=headers)
    assert answer.status_int == 202, answer.text
    return answer.json['instance']


@pytest.fixture
def reboots(taskmanager):
    """The fake taskmanager also records reboot_instance, stop_datastore
    and migrate_instance."""
    for name in ('reboot_instance', 'stop_datastore', 'migrate_instance'):
        setattr(taskmanager, name,
                lambda context, *args, _name=name, **kwargs:
                taskmanager._record(_name, context, *args, **kwargs))
    return taskmanager


def test_limits_show_the_defaults_and_what_the_project_uses(api):
    _create(api, volume={'size': 3})
    answer = call(api, '/v1.0/p1/limits')
    assert answer.status_int == 200, answer.text
    jsonschema.validate(answer.json, schemas.LIMITS_RESPONSE)
    absolute = answer.json['limits'][0]
    assert absolute['verb'] == 'ABSOLUTE'
    assert absolute['max_instances'] == CONF.max_instances_per_tenant
    assert absolute['max_volumes'] == CONF.max_volumes_per_tenant
    assert absolute['max_backups'] == CONF.max_backups_per_tenant
    assert (absolute['used_instances'], absolute['used_volumes'],
            absolute['used_backups']) == (1, 3, 0)


def test_limits_of_another_project_are_a_404(api):
    assert call(api, '/v1.0/p2/limits').status_int == 404


def test_quota_update_lowers_the_limit_and_create_past_it_is_413(
        api, databases, taskmanager):
    _create(api)
    answer = call(api, '%s/quotas/p1' % MGMT, 'PUT',
                  {'quotas': {'instances': 1}}, headers=ADMIN)
    assert answer.status_int == 200, answer.text
    assert answer.json == {'quotas': {'instances': 1}}
    shown = call(api, '%s/quotas/p1' % MGMT, headers=ADMIN)
    jsonschema.validate(shown.json, schemas.QUOTA_SHOW_RESPONSE)
    by_resource = {q['resource']: q for q in shown.json['quotas']}
    assert by_resource['instances'] == {'resource': 'instances',
                                        'in_use': 1, 'reserved': 0,
                                        'limit': 1}
    assert by_resource['volumes']['limit'] == CONF.max_volumes_per_tenant
    before = snapshot(databases['region'], databases['api'])
    casts = len(taskmanager.casts)
    refused = call(api, BASE, 'POST', create_body(name='second'))
    assert refused.status_int == 413, refused.text
    assert 'instances' in refused.json['overLimit']['message']
    assert snapshot(databases['region'], databases['api']) == before
    assert len(taskmanager.casts) == casts
    # The limits a tenant sees follow the override.
    absolute = call(api, '/v1.0/p1/limits').json['limits'][0]
    assert absolute['max_instances'] == 1


def test_unlimited_quota_is_minus_one(api):
    call(api, '%s/quotas/p1' % MGMT, 'PUT', {'quotas': {'volumes': -1}},
         headers=ADMIN)
    _create(api, volume={'size': 10})
    assert call(api, '/v1.0/p1/limits').json['limits'][0][
        'max_volumes'] == -1


@pytest.mark.parametrize('body,field', [
    ({'quotas': {'cores': 3}}, 'quotas.cores'),
    ({'quotas': {'instances': -2}}, 'quotas.instances'),
    ({'quotas': {'instances': 'many'}}, 'quotas.instances'),
    ({'quotas': {}}, 'quotas'),
])
def test_bad_quota_updates_are_400s_naming_the_field_and_change_nothing(
        api, body, field):
    answer = call(api, '%s/quotas/p1' % MGMT, 'PUT', body, headers=ADMIN)
    assert answer.status_int == 400, answer.text
    assert "'%s'" % field in answer.json['badRequest']['message']
    assert call(api, '/v1.0/p1/limits').json['limits'][0][
        'max_instances'] == CONF.max_instances_per_tenant


def test_quota_calls_need_the_admin_role(api):
    assert call(api, '/v1.0/p1/mgmt/quotas/p1').status_int == 403
    assert call(api, '/v1.0/p1/mgmt/quotas/p1', 'PUT',
                {'quotas': {'instances': 100}}).status_int == 403


def test_mgmt_list_shows_every_projects_instances_with_where_they_run(api):
    mine = _create(api, region_name='RegionTwo')
    theirs = _create(api, headers=OTHER, base='/v1.0/p2/instances')
    db_api.instance_update(_ctx(), mine['id'],
                           {'server_id': 'srv-1', 'volume_id': 'vol-1'})
    answer = call(api, '%s/instances?deleted=False' % MGMT, headers=ADMIN)
    assert answer.status_int == 200, answer.text
    listed = {i['id']: i for i in answer.json['instances']}
    assert set(listed) == {mine['id'], theirs['id']}
    assert listed[mine['id']]['tenant_id'] == 'p1'
    assert listed[theirs['id']]['tenant_id'] == 'p2'
    assert listed[mine['id']]['region'] == 'RegionTwo'
    assert listed[mine['id']]['server_id'] == 'srv-1'
    assert listed[mine['id']]['volume_id'] == 'vol-1'
    assert 'host' in listed[mine['id']]
    assert answer.json['unavailable_regions'] == []
    only = call(api, '%s/instances?project_id=p2' % MGMT, headers=ADMIN)
    assert [i['id'] for i in only.json['instances']] == [theirs['id']]


def test_mgmt_list_pages_by_marker_over_every_project(api):
    ids = [_create(api)['id'],
           _create(api, headers=OTHER, base='/v1.0/p2/instances')['id'],
           _create(api)['id']]
    first = call(api, '%s/instances?limit=2' % MGMT, headers=ADMIN).json
    assert [i['id'] for i in first['instances']] == ids[:2]
    href = first['links'][0]['href']
    assert 'marker=%s' % ids[1] in href
    second = call(api, '%s/instances?limit=2&marker=%s' % (MGMT, ids[1]),
                  headers=ADMIN).json
    assert [i['id'] for i in second['instances']] == ids[2:]
    assert 'links' not in second


def test_mgmt_calls_are_403_for_a_project_member(api, reboots):
    view = _create(api)
    for path, method, body in (
            ('/v1.0/p1/mgmt/instances', 'GET', None),
            ('/v1.0/p1/mgmt/instances/%s' % view['id'], 'GET', None),
            ('/v1.0/p1/mgmt/instances/%s/action' % view['id'], 'POST',
             {'reboot': {}}),
            ('%s/action' % ('%s/%s' % (BASE, view['id'])), 'POST',
             {'reset_status': {}})):
        answer = call(api, path, method, body)
        assert answer.status_int == 403, (path, answer.text)
    assert [c[0] for c in reboots.casts] == ['create_instance']


def test_mgmt_show_has_server_volume_project_and_full_fault(api):
    view = _create(api)
    db_api.instance_update(_ctx(), view['id'], {
        'server_id': 'srv-9', 'volume_id': 'vol-9', 'task_status': 'ERROR',
        'fault_message': faults.TenantMessage('The server failed.'),
        'fault_details': 'Traceback: nova said no'})
    answer = call(api, '%s/instances/%s' % (MGMT, view['id']),
                  headers=ADMIN)
    assert answer.status_int == 200, answer.text
    shown = answer.json['instance']
    assert shown['server_id'] == 'srv-9'
    assert shown['server']['id'] == 'srv-9'
    assert shown['volume']['id'] == 'vol-9'
    assert shown['tenant_id'] == 'p1'
    assert shown['fault'] == {'message': 'The server failed.',
                              'details': 'Traceback: nova said no',
                              'created': shown['fault']['created']}
    # The tenant's own view keeps the details to itself.
    assert 'details' not in call(api, '%s/%s' % (BASE, view['id'])).json[
        'instance']['fault']


def test_mgmt_show_has_the_guests_own_restarts_of_redis(api):
    view = _create(api)
    url = '%s/instances/%s' % (MGMT, view['id'])
    assert 'datastore_restarts' not in call(api, url, headers=ADMIN).json[
        'instance']
    db_api.instance_status_update(_ctx(), view['id'], 'RUNNING', 2000.0,
                                  restarts={'count': 3,
                                            'last_at': 1700000000,
                                            'last_reason': 'killed by '
                                                           'SIGKILL'})

    shown = call(api, url, headers=ADMIN).json['instance']

    assert shown['datastore_restarts'] == {
        'count': 3, 'last_restart_at': '2023-11-14T22:13:20',
        'last_restart_reason': 'killed by SIGKILL'}
    # Admins only: the tenant's view does not carry it.
    assert 'datastore_restarts' not in call(
        api, '%s/%s' % (BASE, view['id'])).json['instance']


def test_mgmt_show_of_unknown_instance_is_a_404(api):
    assert call(api, '%s/instances/nope' % MGMT,
                headers=ADMIN).status_int == 404


def test_reboot_moves_to_reboot_and_casts_once(api, reboots):
    view = _create(api)
    db_api.instance_update(_ctx(), view['id'], {'task_status': 'NONE',
                                                'server_id': 'srv-1'})
    answer = call(api, '%s/instances/%s/action' % (MGMT, view['id']),
                  'POST', {'reboot': {}}, headers=ADMIN)
    assert answer.status_int == 202, answer.text
    assert reboots.casts[-1][0] == 'reboot_instance'
    assert reboots.casts[-1][2] == (view['id'],)
    shown = call(api, '%s/%s' % (BASE, view['id'])).json['instance']
    assert shown['status'] == 'REBOOT'
    again = call(api, '%s/instances/%s/action' % (MGMT, view['id']),
                 'POST', {'reboot': {}}, headers=ADMIN)
    assert again.status_int == 409


def test_reboot_without_a_server_is_a_409(api, reboots):
    view = _create(api)
    db_api.instance_update(_ctx(), view['id'], {'task_status': 'NONE'})
    answer = call(api, '%s/instances/%s/action' % (MGMT, view['id']),
                  'POST', {'reboot': {}}, headers=ADMIN)
    assert answer.status_int == 409
    assert reboots.casts[-1][0] == 'create_instance'


def test_stop_shows_shutdown_casts_once_and_refuses_members(api, reboots):
    view = _create(api)
    url = '%s/instances/%s/action' % (MGMT, view['id'])
    db_api.instance_update(_ctx(), view['id'], {'task_status': 'NONE'})
    no_server = call(api, url, 'POST', {'stop': {}}, headers=ADMIN)
    assert no_server.status_int == 409
    db_api.instance_update(_ctx(), view['id'], {'server_id': 'srv-1'})
    assert call(api, '/v1.0/p1/mgmt/instances/%s/action' % view['id'],
                'POST', {'stop': {}}).status_int == 403

    answer = call(api, url, 'POST', {'stop': {}}, headers=ADMIN)

    assert answer.status_int == 202, answer.text
    assert reboots.casts[-1][0] == 'stop_datastore'
    assert reboots.casts[-1][2] == (view['id'],)
    shown = call(api, '%s/%s' % (BASE, view['id'])).json['instance']
    assert shown['status'] == 'SHUTDOWN'
    again = call(api, url, 'POST', {'stop': {}}, headers=ADMIN)
    assert again.status_int == 409
    assert [c[0] for c in reboots.casts].count('stop_datastore') == 1

    member = _create(api)
    db_api.instance_update(_ctx(), member['id'], {
        'task_status': 'NONE', 'server_id': 'srv-2', 'cluster_id': 'c-1'})
    refused = call(api, '%s/instances/%s/action' % (MGMT, member['id']),
                   'POST', {'stop': {}}, headers=ADMIN)
    assert refused.status_int == 400
    assert 'cluster c-1' in refused.text
    assert db_api.instance_get(_ctx(), member['id']).task_status == 'NONE'
    migrate = call(api, '%s/instances/%s/action' % (MGMT, member['id']),
                   'POST', {'migrate': {}}, headers=ADMIN)
    assert migrate.status_int == 400
    assert 'cluster c-1' in migrate.text


def test_migrate_checks_the_host_shows_migrate_and_casts_it(
        api, reboots, cloud):
    view = _create(api)
    url = '%s/instances/%s/action' % (MGMT, view['id'])
    db_api.instance_update(_ctx(), view['id'], {'task_status': 'NONE',
                                                'server_id': 'srv-1'})
    assert call(api, url, 'POST', {'migrate': {}},
                headers=ADMIN).status_int == 409  # not ACTIVE yet
    db_api.instance_status_update(_ctx(), view['id'], 'RUNNING', 2000.0)
    nova = cloud.setdefault(view['region'], conftest.FakeNova(
        view['region']))
    nova.services = types.SimpleNamespace(list=lambda binary=None: [
        types.SimpleNamespace(host='host-1'),
        types.SimpleNamespace(host='host-2')])
    nova.servers = types.SimpleNamespace(get=lambda server_id: (
        types.SimpleNamespace(**{'OS-EXT-SRV-ATTR:host': 'host-1'})))
    for body, wanted in (({'migrate': {'host': 'h', 'x': 1}}, 'x'),
                         ({'migrate': {'host': 'host-9'}}, 'migrate.host'),
                         ({'migrate': {'host': 'host-1'}}, 'already')):
        bad = call(api, url, 'POST', body, headers=ADMIN)
        assert bad.status_int == 400, bad.text
        assert wanted in bad.json['badRequest']['message']
    assert [c[0] for c in reboots.casts] == ['create_instance']

    answer = call(api, url, 'POST', {'migrate': {'host': 'host-2'}},
                  headers=ADMIN)

    assert answer.status_int == 202, answer.text
    assert reboots.casts[-1][0] == 'migrate_instance'
    assert reboots.casts[-1][2] == (view['id'], 'host-2')
    shown = call(api, '%s/%s' % (BASE, view['id'])).json['instance']
    assert shown['status'] == 'MIGRATE'
    assert call(api, url, 'POST', {'migrate': {}},
                headers=ADMIN).status_int == 409


def test_reset_task_status_clears_a_stuck_task(api):
    view = _create(api)
    answer = call(api, '%s/instances/%s/action' % (MGMT, view['id']),
                  'POST', {'reset-task-status': {}}, headers=ADMIN)
    assert answer.status_int == 202, answer.text
    assert db_api.instance_get(_ctx(), view['id']).task_status == 'NONE'


def test_reset_status_shows_error_fails_backups_and_allows_delete(
        api, taskmanager):
    view = _create(api)
    backup = db_api.backup_create(_ctx(), {
        'name': 'b', 'tenant_id': 'p1', 'instance_id': view['id'],
        'state': 'BUILDING'})
    answer = call(api, '/v1.0/p1/instances/%s/action' % view['id'], 'POST',
                  {'reset_status': {}}, headers=ADMIN)
    assert answer.status_int == 202, answer.text
    shown = call(api, '%s/%s' % (BASE, view['id'])).json['instance']
    assert shown['status'] == 'ERROR'
    assert db_api.backup_get(_ctx(), backup.id).state == 'FAILED'
    # The row and its mapping are still there: nothing was deleted.
    assert db_api.instance_get(_ctx(), view['id']).deleted is False
    assert call(api, '%s/%s' % (BASE, view['id']),
                'DELETE').status_int == 202


def test_cluster_reset_status_and_mgmt_reset_task(api):
    ctx = _ctx()
    version = db_api.datastore_version_get_default(ctx, 'redis')
    cluster = db_api.cluster_create(ctx, {
        'name': 'c', 'tenant_id': 'p1', 'datastore_version_id': version.id,
        'task_id': 6, 'task_name': 'GROWING_CLUSTER'})
    from trove_mr.db.api import api as api_db
    home = api_db.region_mapping_get(ctx, CONF.region_name)
    api_db.cluster_mapping_create(ctx, cluster.id, home.uuid, 'p1')
    member = db_api.instance_create(ctx, {
        'name': 'm', 'tenant_id': 'p1', 'datastore_version_id': version.id,
        'cluster_id': cluster.id, 'task_status': 'BUILDING',
        'status': 'RUNNING'})
    path = '/v1.0/p1/clusters/%s' % cluster.id
    assert call(api, path, 'POST',
                {'reset-status': {}}).status_int == 403
    answer = call(api, path, 'POST', {'reset-status': {}}, headers=ADMIN)
    assert answer.status_int == 202, answer.text
    assert db_api.cluster_get(ctx, cluster.id).task_name == 'NONE'
    assert db_api.instance_get(ctx, member.id).task_status == 'NONE'
    db_api.cluster_update(ctx, cluster.id, {'task_name': 'DELETING',
                                            'task_id': 3})
    answer = call(api, '%s/clusters/%s/action' % (MGMT, cluster.id),
                  'POST', {'reset-task': {}}, headers=ADMIN)
    assert answer.status_int == 202, answer.text
    assert db_api.cluster_get(ctx, cluster.id).task_name == 'NONE'


def _status_row(status, age_seconds):
    heartbeat = rows.now() - datetime.timedelta(seconds=age_seconds)
    return types.SimpleNamespace(status=types.SimpleNamespace(
        status=status, heartbeat_at=heartbeat))


@pytest.mark.parametrize('status,age,wanted', [
    ('RUNNING', 1, 'HEALTHY'),
    ('FAILED', 1, 'UNHEALTHY'),
    ('SHUTDOWN', 1, 'SHUTDOWN'),
    ('BUILD', 1, 'BUILD'),
    ('NEW', 10 ** 6, 'NEW'),
    ('RUNNING', 10 ** 6, 'UNKNOWN'),
    ('LOST', 1, 'UNKNOWN'),
])
def test_operating_status_follows_the_guests_fresh_report(
        status, age, wanted):
    assert instance_views.operating_status_of(
        _status_row(status, age)) == wanted


def test_views_show_operating_status_and_private_access_by_default(api):
    view = _create(api)
    assert view['operating_status'] == 'NEW'
    assert view['access'] == {'is_public': False, 'allowed_cidrs': []}
    listed = call(api, BASE).json
    jsonschema.validate(listed, instance_schemas.LIST_RESPONSE)
    assert listed['instances'][0]['operating_status'] == 'NEW'


def test_access_is_stored_shown_and_updated(api):
    view = _create(api, access={'is_public': True,
                                'allowed_cidrs': ['10.1.2.3/8',
                                                  '2001:db8::/32']})
    assert view['access'] == {'is_public': True,
                              'allowed_cidrs': ['10.0.0.0/8',
                                                '2001:db8::/32']}
    url = '%s/%s' % (BASE, view['id'])
    answer = call(api, url, 'PUT',
                  {'instance': {'access': {'is_public': False}}})
    assert answer.status_int == 202, answer.text
    shown = call(api, url).json['instance']
    jsonschema.validate({'instance': shown}, instance_schemas.SHOW_RESPONSE)
    assert shown['access'] == {'is_public': False,
                               'allowed_cidrs': ['10.0.0.0/8',
                                                 '2001:db8::/32']}
    call(api, url, 'PATCH', {'instance': {'access': {
        'allowed_cidrs': ['192.168.0.0/24']}}})
    assert call(api, url).json['instance']['access']['allowed_cidrs'] == \
        ['192.168.0.0/24']


def test_a_bad_cidr_is_a_400_naming_it_and_changes_nothing(
        api, databases, taskmanager):
    before = snapshot(databases['region'], databases['api'])
    answer = call(api, BASE, 'POST', create_body(access={
        'is_public': True, 'allowed_cidrs': ['10.0.0.0/8', '10.0.0/33']}))
    assert answer.status_int == 400
    message = answer.json['badRequest']['message']
    assert "'instance.access.allowed_cidrs.1'" in message
    assert '10.0.0/33' in message
    assert snapshot(databases['region'], databases['api']) == before
    assert taskmanager.casts == []
    view = _create(api)
    url = '%s/%s' % (BASE, view['id'])
    answer = call(api, url, 'PUT', {'instance': {
        'name': 'renamed', 'access': {'allowed_cidrs': ['nope']}}})
    assert answer.status_int == 400
    shown = call(api, url).json['instance']
    assert shown['name'] == view['name']
    assert shown['access']['allowed_cidrs'] == []


def test_stored_access_survives_a_json_round_trip():
    row = types.SimpleNamespace(access=jsonutils.dumps(
        {'is_public': True, 'allowed_cidrs': ['1.2.3.0/24']}))
    assert instance_views.access_of(row) == {
        'is_public': True, 'allowed_cidrs': ['1.2.3.0/24']}


def test_mgmt_list_merges_every_cell_and_pages_across_them(
        api, two_cells):  # noqa: F811
    from tests.unit.api.test_global_list import _put
    app = api
    ids = [_put(two_cells, 'RegionOne', 1, tenant='p1'),
           _put(two_cells, 'RegionTwo', 2, tenant='p2'),
           _put(two_cells, 'RegionTwo', 3, tenant='p1'),
           _put(two_cells, 'RegionOne', 4, tenant='p3')]
    seen, url = [], '%s/instances?limit=3' % MGMT
    while url:
        answer = call(app, url, headers=ADMIN)
        assert answer.status_int == 200, answer.text
        assert answer.json['unavailable_regions'] == []
        seen += [(i['id'], i['region'], i['tenant_id'])
                 for i in answer.json['instances']]
        nexts = answer.json.get('links', [])
        url = nexts[0]['href'].replace('http://api.test:8779', '') \
            if nexts else None
    assert [s[0] for s in seen] == ids
    assert [s[1] for s in seen] == ['RegionOne', 'RegionTwo', 'RegionTwo',
                                    'RegionOne']
    assert [s[2] for s in seen] == ['p1', 'p2', 'p1', 'p3']
    # An instance of the other cell is shown and reset there.
    other = ids[1]
    shown = call(app, '%s/instances/%s' % (MGMT, other), headers=ADMIN)
    assert shown.json['instance']['region'] == 'RegionTwo'
    with cells.target_cell(two_cells['ctx'], two_cells['RegionTwo']) as cctx:
        db_api.instance_update(cctx, other, {'task_status': 'DELETING'})
    answer = call(app, '%s/instances/%s/action' % (MGMT, other), 'POST',
                  {'reset-task-status': {}}, headers=ADMIN)
    assert answer.status_int == 202, answer.text
    with cells.target_cell(two_cells['ctx'], two_cells['RegionTwo']) as cctx:
        assert db_api.instance_get(cctx, other).task_status == 'NONE'


def test_hosts_come_from_one_nova_list_per_region(monkeypatch):
    from trove_mr.api.domain import mgmt as mgmt_domain
    from trove_mr.common import clients
    lists = []

    def server(server_id, host):
        found = types.SimpleNamespace(id=server_id)
        setattr(found, mgmt_domain.HOST_ATTR, host)
        return found

    class Servers:
        def __init__(self, region):
            self.region = region

        def list(self, detailed=True, limit=None):
            lists.append((self.region, limit))
            if self.region == 'RegionThree':
                raise RuntimeError('nova is down')
            return [server('s-%s-%d' % (self.region, n),
                           'host-%s' % self.region) for n in range(3)]

    monkeypatch.setattr(clients, 'create_nova_client',
                        lambda context, region: types.SimpleNamespace(
                            servers=Servers(region)))
    rows_ = [types.SimpleNamespace(region_name=region, server_id=sid)
             for region, sid in (('RegionOne', 's-RegionOne-0'),
                                 ('RegionOne', 's-RegionOne-2'),
                                 ('RegionTwo', 's-RegionTwo-1'),
                                 ('RegionThree', 's-RegionThree-0'),
                                 ('RegionTwo', None))]
    hosts = mgmt_domain.server_hosts(_ctx(), rows_)
    assert hosts == {'s-RegionOne-0': 'host-RegionOne',
                     's-RegionOne-2': 'host-RegionOne',
                     's-RegionTwo-1': 'host-RegionTwo'}
    assert sorted(lists) == [('RegionOne', -1), ('RegionThree', -1),
                             ('RegionTwo', -1)]


def test_an_admin_shows_and_deletes_any_projects_instance_by_id(
        api, taskmanager):
    view = _create(api)
    db_api.instance_update(_ctx(), view['id'], {'task_status': 'NONE'})
    url = '/v1.0/adm/instances/%s' % view['id']
    answer = call(api, url, headers=ADMIN)
    assert answer.status_int == 200, answer.text
    assert answer.json['instance']['id'] == view['id']
    # Another project's member still gets a 404.
    assert call(api, '/v1.0/p2/instances/%s' % view['id'],
                headers=OTHER).status_int == 404
    assert call(api, url, 'DELETE', headers=ADMIN).status_int == 202
    assert taskmanager.casts[-1][0] == 'delete_instance'


def _cluster(ctx, name, tenant, deleted=False):
    from trove_mr.db.api import api as api_db
    version = db_api.datastore_version_get_default(ctx, 'redis')
    cluster = db_api.cluster_create(ctx, {
        'name': name, 'tenant_id': tenant,
        'datastore_version_id': version.id, 'task_id': 1,
        'task_name': 'NONE'})
    home = api_db.region_mapping_get(ctx, CONF.region_name)
    api_db.cluster_mapping_create(ctx, cluster.id, home.uuid, tenant)
    db_api.instance_create(ctx, {
        'name': name + '-m', 'tenant_id': tenant,
        'datastore_version_id': version.id, 'cluster_id': cluster.id,
        'task_status': 'NONE', 'status': 'RUNNING'})
    if deleted:
        db_api.cluster_update(ctx, cluster.id, {'deleted': True})
    return cluster


def test_mgmt_cluster_list_shows_every_projects_clusters_paged(api):
    ctx = _ctx()
    ids = [_cluster(ctx, 'c%d' % n, 'p%d' % (n % 2 + 1)).id
           for n in range(3)]
    gone = _cluster(ctx, 'gone', 'p1', deleted=True).id
    answer = call(api, '%s/clusters' % MGMT, headers=ADMIN)
    assert answer.status_int == 200, answer.text
    listed = answer.json['clusters']
    assert sorted(c['id'] for c in listed) == sorted(ids)
    assert all(len(c['instances']) == 1 for c in listed)
    first = call(api, '%s/clusters?limit=2' % MGMT, headers=ADMIN)
    assert len(first.json['clusters']) == 2
    href = first.json['links'][0]['href']
    assert '/mgmt/clusters?' in href
    marker = href.split('marker=')[1]
    rest = call(api, '%s/clusters?marker=%s' % (MGMT, marker),
                headers=ADMIN)
    assert [c['id'] for c in first.json['clusters'] + rest.json[
        'clusters']] == [c['id'] for c in listed]
    deleted = call(api, '%s/clusters?deleted=true' % MGMT, headers=ADMIN)
    assert [c['id'] for c in deleted.json['clusters']] == [gone]


def test_mgmt_cluster_list_is_403_for_members_and_checks_its_query(api):
    assert call(api, '/v1.0/p1/mgmt/clusters').status_int == 403
    bad = call(api, '%s/clusters?color=red' % MGMT, headers=ADMIN)
    assert bad.status_int == 400 and 'color' in bad.text
