"""Backups addressed by id through any region's API (mappings, and
backups made before mappings existed), backup strategies, and backups
registered from a Swift URL (``restore_from``)."""

import pytest
from oslo_utils import uuidutils

from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from tests.unit.api.test_global_list import two_cells  # noqa: F401
from trove_mr.common import backup_objects
from trove_mr.common import clients
from trove_mr.common import context as trove_context
from trove_mr.db import cells
from trove_mr.db.api import backups as backup_db
from trove_mr.db.main import api as db_api

BASE = '/v1.0/p1'
# As the local cloud publishes them: a path before /v1.
SWIFT = {'RegionOne': 'http://swift.test/object/RegionOne/v1/AUTH_p1',
         'RegionTwo': 'http://swift.test/object/RegionTwo/v1/AUTH_p1'}


@pytest.fixture
def swift(monkeypatch):
    monkeypatch.setattr(clients, 'object_store_url',
                        lambda context, region_name=None: SWIFT.get(
                            region_name or 'RegionOne'))
    objects = {}

    def remote_backup_info(context, location, account_url):
        assert location.startswith(account_url + '/')
        if location not in objects:
            raise backup_objects.BackupError(
                'No backup object could be read at %s (HTTP 404).'
                % location)
        return objects[location]
    monkeypatch.setattr(backup_objects, 'remote_backup_info',
                        remote_backup_info)
    return objects


def _backup_in(cells_, cell, tenant='p1', mapped=True):
    """A COMPLETED backup row in ``cell``'s database."""
    ctx = cells_['ctx']
    with cells.target_cell(ctx, cells_[cell]) as cctx:
        version = db_api.datastore_version_get_default(cctx, 'redis')
        backup_id = uuidutils.generate_uuid()
        db_api.backup_create(cctx, {
            'id': backup_id, 'name': 'b-%s' % cell, 'tenant_id': tenant,
            'instance_id': uuidutils.generate_uuid(), 'region_name': cell,
            'datastore_version_id': version.id, 'state': 'COMPLETED',
            'checksum': 'c' * 32,
            'location': '%s/backups/%s.rdb' % (SWIFT[cell], backup_id)})
    if mapped:
        backup_db.backup_mapping_create(ctx, backup_id, cells_[cell].uuid,
                                        tenant)
    return backup_id


def test_backup_of_the_other_cell_is_shown_and_deleted_through_this_api(
        api, taskmanager, two_cells):  # noqa: F811
    backup_id = _backup_in(two_cells, 'RegionTwo')
    answer = call(api, '%s/backups/%s' % (BASE, backup_id))
    assert answer.status_int == 200, answer.text
    assert answer.json['backup']['region'] == 'RegionTwo'
    assert answer.json['backup']['datastore']['type'] == 'redis'
    answer = call(api, '%s/backups/%s' % (BASE, backup_id), 'DELETE')
    assert answer.status_int == 202, answer.text
    (cast,) = taskmanager.casts
    assert cast[0] == 'delete_backup'
    # Cast on RegionTwo's bus, to its taskmanagers.
    assert cast[1].cell_name == 'RegionTwo'
    # Another project's: 404 through the mapping too.
    other = call(api, '%s/backups/%s' % ('/v1.0/p2', backup_id),
                 headers={'X-Project-Id': 'p2', 'X-User-Id': 'u2',
                          'X-Roles': 'member'})
    assert other.status_int == 404


def test_unmapped_backup_is_found_in_its_cell_and_mapped_once(
        api, two_cells):  # noqa: F811
    backup_id = _backup_in(two_cells, 'RegionTwo', mapped=False)
    ctx = trove_context.get_admin_context()
    answer = call(api, '%s/backups/%s' % (BASE, backup_id))
    assert answer.status_int == 200, answer.text
    assert backup_db.backup_mapping_get(ctx, backup_id).name == 'RegionTwo'
    assert call(api, '%s/backups/%s' % (
        BASE, uuidutils.generate_uuid())).status_int == 404


def test_restore_from_a_backup_of_the_other_cell(
        api, taskmanager, two_cells):  # noqa: F811
    backup_id = _backup_in(two_cells, 'RegionTwo')
    answer = call(api, '%s/instances' % BASE, 'POST', create_body(
        restorePoint={'backupRef': backup_id}))
    assert answer.status_int == 202, answer.text
    (cast,) = taskmanager.casts
    backup_info = cast[3]['backup_info']
    assert backup_info['id'] == backup_id
    assert backup_info['region'] == 'RegionTwo'
    assert backup_info['checksum'] == 'c' * 32


def _running_instance(api):
    answer = call(api, '%s/instances' % BASE, 'POST', create_body())
    instance_id = answer.json['instance']['id']
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    db_api.instance_status_update(ctx, instance_id, 'RUNNING', 2e9, 0.5)
    return instance_id


def _backup_container(api, taskmanager, instance_id, **extra):
    taskmanager.casts.clear()
    body = {'backup': dict({'name': 'b', 'instance': instance_id}, **extra)}
    answer = call(api, '%s/backups' % BASE, 'POST', body)
    assert answer.status_int == 202, answer.text
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    return taskmanager.casts[0][2][2]['container'], answer.json['backup']


def test_backup_strategies_choose_the_container(api, taskmanager, swift):
    instance_id = _running_instance(api)
    assert _backup_container(api, taskmanager, instance_id)[0] == \
        'database_backups'
    url = '%s/backup_strategies' % BASE
    answer = call(api, url, 'POST', {'backup_strategy': {
        'swift_container': 'project-box'}})
    assert answer.status_int == 202, answer.text
    assert answer.json['backup_strategy'] == {
        'project_id': 'p1', 'instance_id': None, 'backend': 'swift',
        'swift_container': 'project-box'}
    container, view = _backup_container(api, taskmanager, instance_id)
    assert container == 'project-box'
    assert '/project-box/' in view['locationRef']
    assert call(api, url, 'POST', {'backup_strategy': {
        'instance_id': instance_id, 'swift_container': 'inst-box'}}
    ).status_int == 202
    assert _backup_container(api, taskmanager, instance_id)[0] == \
        'inst-box'
    # The request's own container wins.
    assert _backup_container(api, taskmanager, instance_id,
                             swift_container='mine')[0] == 'mine'
    listed = call(api, url).json['backup_strategies']
    assert [s['swift_container'] for s in listed] == ['project-box',
                                                      'inst-box']
    listed = call(api, url + '?instance_id=' + instance_id).json[
        'backup_strategies']
    assert [s['swift_container'] for s in listed] == ['inst-box']
    assert call(api, url + '?instance_id=' + instance_id,
                'DELETE').status_int == 202
    assert _backup_container(api, taskmanager, instance_id)[0] == \
        'project-box'
    assert call(api, url + '?instance_id=' + instance_id,
                'DELETE').status_int == 404


def test_backup_strategy_refusals(api):
    url = '%s/backup_strategies' % BASE
    answer = call(api, url, 'POST', {'backup_strategy': {
        'swift_container': 'a/b'}})
    assert answer.status_int == 400
    assert 'swift_container' in answer.json['badRequest']['message']
    answer = call(api, url, 'POST', {'backup_strategy': {
        'instance_id': uuidutils.generate_uuid(), 'swift_container': 'x'}})
    assert answer.status_int == 404
    # Another project's strategies are not a member's to read.
    assert call(api, url + '?project_id=p2').status_int == 403


def test_restore_from_registers_a_completed_backup_without_copying(
        api, taskmanager, swift):
    location = SWIFT['RegionTwo'] + '/database_backups/%s.rdb' % (
        uuidutils.generate_uuid())
    swift[location] = {'checksum': 'd' * 32, 'size': 3 * 1024 * 1024}
    answer = call(api, '%s/backups' % BASE, 'POST', {'backup': {
        'name': 'imported', 'restore_from': {
            'remote_location': location,
            'local_datastore_version_id': None, 'size': None}}})
    assert answer.status_int == 202, answer.text
    view = answer.json['backup']
    assert view['status'] == 'COMPLETED'
    assert view['region'] == 'RegionTwo'
    assert view['locationRef'] == location
    assert view['size'] == 3.0
    assert taskmanager.casts == []
    # Restorable like any backup of the project.
    answer = call(api, '%s/instances' % BASE, 'POST', create_body(
        restorePoint={'backupRef': view['id']}))
    assert answer.status_int == 202, answer.text
    info = taskmanager.casts[-1][3]['backup_info']
    assert (info['location'], info['checksum']) == (location, 'd' * 32)
    # Its record does not own the object it points at.
    assert not backup_objects.owns_object(view['id'], location)


@pytest.mark.parametrize('location, wanted', [
    ('http://elsewhere.test/v1/AUTH_p1/c/x.rdb', 'not an object in an'),
    (SWIFT['RegionOne'] + '/c/missing.rdb', 'No backup object'),
    (SWIFT['RegionOne'] + '/c', 'not an object in an'),
    ('ftp://x/y', 'remote_location'),
])
def test_restore_from_refuses_what_is_not_a_backup_of_the_project(
        api, swift, location, wanted):
    answer = call(api, '%s/backups' % BASE, 'POST', {'backup': {
        'name': 'bad', 'restore_from': {'remote_location': location}}})
    assert answer.status_int == 400, answer.text
    assert wanted in answer.json['badRequest']['message']
    assert call(api, '%s/backups' % BASE).json['backups'] == []


def test_backup_create_without_instance_or_restore_from_is_a_400(api):
    answer = call(api, '%s/backups' % BASE, 'POST', {'backup': {
        'name': 'b'}})
    assert answer.status_int == 400
    assert "'backup.instance'" in answer.json['badRequest']['message']


def test_backup_of_an_instance_of_the_other_cell_is_mapped_there(
        api, taskmanager, swift, two_cells):  # noqa: F811
    from tests.unit.api.test_global_list import _put
    instance_id = _put(two_cells, 'RegionTwo', 1)
    with cells.target_cell(two_cells['ctx'], two_cells['RegionTwo']) \
            as cctx:
        db_api.instance_status_update(cctx, instance_id, 'RUNNING', 2e9,
                                      0.5)
    answer = call(api, '%s/backups' % BASE, 'POST', {'backup': {
        'name': 'b', 'instance': instance_id}})
    assert answer.status_int == 202, answer.text
    view = answer.json['backup']
    assert view['region'] == 'RegionTwo'
    assert view['datastore']['type'] == 'redis'
    assert view['locationRef'].startswith(SWIFT['RegionTwo'] + '/')
    (cast,) = taskmanager.casts
    assert cast[0] == 'create_backup' and cast[1].cell_name == 'RegionTwo'
    ctx = trove_context.get_admin_context()
    assert backup_db.backup_mapping_get(ctx, view['id']).name == 'RegionTwo'
