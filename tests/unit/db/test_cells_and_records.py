"""Cell targeting, datastores, clusters and backups on SQLite."""

import pytest

from trove_mr.common import exceptions
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api


def test_target_cell_sends_queries_to_the_cells_database(
        ctx, other_region_url):
    mapping = api_db.region_mapping_create(
        ctx, 'RegionTwo', 'rabbit://guest:guest@127.0.0.1:5672/',
        other_region_url)
    with cells.target_cell(ctx, mapping) as cctx:
        db_api.datastore_create(cctx, {'name': 'redis-in-two'})
        assert cctx.cell_name == 'RegionTwo'
        assert cctx.cell_transport is not None
    assert ctx.db_connection is None and ctx.cell_name is None
    with pytest.raises(exceptions.DatastoreNotFound):
        db_api.datastore_get(ctx, 'redis-in-two')
    again = api_db.region_mapping_get(ctx, 'RegionTwo')
    with cells.target_cell(ctx, again) as cctx:
        assert db_api.datastore_get(cctx, 'redis-in-two').name == \
            'redis-in-two'


def test_target_cell_reuses_endpoints_until_the_mapping_changes(
        ctx, db_urls, other_region_url):
    mapping = api_db.region_mapping_create(
        ctx, 'R2', 'rabbit://guest:guest@127.0.0.1:5672/', other_region_url)
    with cells.target_cell(ctx, mapping) as first:
        pass
    with cells.target_cell(ctx, mapping) as second:
        assert second.db_connection is first.db_connection
        assert second.cell_transport is first.cell_transport
    moved = api_db.region_mapping_update(
        ctx, 'R2', database_connection=db_urls['region'])
    with cells.target_cell(ctx, moved) as third:
        assert third.db_connection is not first.db_connection


def test_default_version_moves_to_the_newest_default(ctx):
    db_api.datastore_update(ctx, 'redis')
    old = db_api.datastore_version_create(
        ctx, 'redis', {'name': '6.2', 'manager': 'redis', 'default': True,
                       'image_tags': ['trove', 'redis']})
    new = db_api.datastore_version_create(
        ctx, 'redis', {'name': '7.0', 'manager': 'redis', 'default': True})
    assert db_api.datastore_version_get_default(ctx, 'redis').id == new.id
    assert not db_api.datastore_version_get(ctx, old.id).is_default
    assert old.image_tags == 'trove,redis'
    db_api.datastore_update(ctx, 'redis', '6.2')
    assert db_api.datastore_version_get_default(ctx, 'redis').id == old.id
    db_api.datastore_version_update(ctx, new.id, {'active': False})
    active = db_api.datastore_version_list(ctx, 'redis', only_active=True)
    assert [v.name for v in active] == ['6.2']


def test_cluster_task_lock_and_tenant_isolation(ctx):
    db_api.datastore_update(ctx, 'redis')
    version = db_api.datastore_version_create(
        ctx, 'redis', {'name': '7.0', 'manager': 'redis'})
    cluster = db_api.cluster_create(ctx, {
        'name': 'c', 'tenant_id': 'tenant-a',
        'datastore_version_id': version.id})
    db_api.cluster_update(ctx, cluster.id,
                          {'task_id': 5, 'task_name': 'GROWING_CLUSTER'},
                          expected_task_name='NONE')
    with pytest.raises(exceptions.UnexpectedTaskState):
        db_api.cluster_update(ctx, cluster.id, {'task_name': 'DELETING'},
                              expected_task_name='NONE')
    with pytest.raises(exceptions.ClusterNotFound):
        db_api.cluster_get(ctx, cluster.id, tenant_id='tenant-b')
    page, marker = db_api.cluster_list(ctx, 'tenant-a', limit=5)
    assert [c.id for c in page] == [cluster.id] and marker is None
    db_api.cluster_soft_delete(ctx, cluster.id)
    assert db_api.cluster_list(ctx, 'tenant-a')[0] == []


def test_backup_state_moves_only_from_the_expected_state(ctx):
    backup = db_api.backup_create(ctx, {'name': 'b', 'tenant_id': 'tenant-a',
                                        'instance_id': 'i-1'})
    db_api.backup_update(ctx, backup.id, {'state': 'BUILDING'},
                         expected_state='NEW')
    with pytest.raises(exceptions.UnexpectedTaskState):
        db_api.backup_update(ctx, backup.id, {'state': 'BUILDING'},
                             expected_state='NEW')
    assert db_api.backup_count(ctx, 'tenant-a') == 1
    assert db_api.backup_list(ctx, 'tenant-b') == ([], None)
    db_api.backup_soft_delete(ctx, backup.id)
    with pytest.raises(exceptions.BackupNotFound):
        db_api.backup_get(ctx, backup.id)
