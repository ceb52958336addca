"""A cell's share of a global list: the same instances, keys and values
as the ORM's list, read in one statement."""

import datetime

import pytest
import sqlalchemy as sa

from trove_mr.db import engines
from trove_mr.db.main import api as db_api
from trove_mr.db.main import models

T0 = datetime.datetime(2026, 3, 1, 12, 0, 0, 123456)


@pytest.fixture
def version(ctx):
    db_api.datastore_create(ctx, {'name': 'redis'})
    return db_api.datastore_version_create(
        ctx, 'redis', {'name': '7.0', 'manager': 'redis',
                       'image_name': 'redis-7', 'default': True})


def _instance(ctx, version, n, tenant='tenant-a', **values):
    values.update(name='db-%d' % n, tenant_id=tenant,
                  datastore_version_id=version.id, region_name='RegionOne',
                  created=T0 + datetime.timedelta(seconds=n // 2),
                  volume_size=n + 1, addresses=[{'address': '10.0.0.%d' % n}])
    return db_api.instance_create(ctx, values)


def _columns(model):
    return [attr.key for attr in sa.inspect(model).column_attrs]


def _same(loaded, orm_row):
    for name in _columns(models.Instance):
        assert getattr(loaded, name) == getattr(orm_row, name), name
    if orm_row.status is None:
        assert loaded.status is None
    else:
        for name in _columns(models.InstanceStatus):
            assert (getattr(loaded.status, name)
                    == getattr(orm_row.status, name)), name
    for name in _columns(models.DatastoreVersion):
        assert (getattr(loaded.datastore_version, name)
                == getattr(orm_row.datastore_version, name)), name
    assert loaded.datastore_version.datastore.name == 'redis'


@pytest.fixture
def instances(ctx, version):
    made = [_instance(ctx, version, n) for n in range(9)]
    # Another tenant's, a deleted one and a cluster member: never listed.
    _instance(ctx, version, 20, tenant='tenant-b')
    db_api.instance_soft_delete(ctx, _instance(ctx, version, 21).id)
    _instance(ctx, version, 22, cluster_id='c-1')
    # One without a status row yet (outer joined, as the ORM loads it).
    with engines.main_context_manager().writer.using(ctx) as session:
        session.execute(sa.delete(models.InstanceStatus).where(
            models.InstanceStatus.instance_id == made[3].id))
    db_api.instance_status_update(ctx, made[4].id, 'RUNNING', T0,
                                  volume_used=0.5)
    return made


def test_a_page_has_the_orm_lists_keys_rows_and_values(ctx, instances):
    expected, _ = db_api.instance_list(ctx, 'tenant-a', limit=100)
    assert len(expected) == 9
    keys, preloaded = db_api.instance_list_page(ctx, 'tenant-a', 100, 100)
    rows = preloaded([key[1] for key in keys])
    assert keys == [(row.created, row.id) for row in expected]
    assert keys == db_api.instance_list_keys(ctx, 'tenant-a', 100)
    assert [row.id for row in rows] == [row.id for row in expected]
    for loaded, orm_row in zip(rows, expected, strict=True):
        _same(loaded, orm_row)
    by_id = {row.id: row for row in rows}
    assert by_id[instances[3].id].status is None
    assert by_id[instances[4].id].status.status == 'RUNNING'
    assert by_id[instances[4].id].status.volume_used == 0.5
    assert by_id[instances[5].id].status.status == 'NEW'
    assert isinstance(rows[0].created, datetime.datetime)
    assert rows[0].deleted is False


def test_a_page_loads_only_its_first_rows_and_pages_after_a_key(
        ctx, instances):
    every = db_api.instance_list_keys(ctx, 'tenant-a', 100)
    keys, preloaded = db_api.instance_list_page(ctx, 'tenant-a', 4, 2)
    assert keys == every[:4]
    # Rows of the first two keys only were read; asked in any order.
    ids = [key[1] for key in reversed(every)]
    assert [row.id for row in preloaded(ids)] == [
        key[1] for key in reversed(every[:2])]
    # Created times tie in pairs: the id orders them, as the keys do.
    keys, preloaded = db_api.instance_list_page(ctx, 'tenant-a', 3, 3,
                                                after=every[2])
    assert keys == every[3:6]
    assert [row.id for row in preloaded([k[1] for k in every])] == [
        key[1] for key in every[3:6]]
    keys, preloaded = db_api.instance_list_page(ctx, 'tenant-a', 5, 5,
                                                after=every[-1])
    assert keys == [] and preloaded([k[1] for k in every]) == []


def test_a_page_lists_cluster_members_when_asked(ctx, instances):
    keys, _ = db_api.instance_list_page(ctx, 'tenant-a', 100, 0,
                                        include_clustered=True)
    assert len(keys) == 10
    assert keys == db_api.instance_list_keys(ctx, 'tenant-a', 100,
                                             include_clustered=True)


def test_get_many_gives_the_same_rows_in_a_second_round(ctx, instances):
    wanted = {instances[1].id, instances[3].id, instances[4].id}
    found = db_api.instance_get_many(ctx, wanted)
    assert {row.id for row in found} == wanted
    expected = {row.id: row for row in
                db_api.instance_list(ctx, 'tenant-a', limit=100)[0]}
    for row in found:
        _same(row, expected[row.id])
    assert db_api.instance_get_many(ctx, ['missing']) == []


def test_a_failed_read_drops_its_connection(ctx, instances, monkeypatch):
    engine = engines.main_context_manager().reader.get_engine()
    with engine.connect() as connection:
        first = connection.connection.dbapi_connection
    db_api.instance_list_page(ctx, 'tenant-a', 1, 1)
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection is first
    from trove_mr.db.main import instance_pages
    read = instance_pages._PAGE_READS[(False, False)][0]
    monkeypatch.setattr(read, '_compiled', {
        dialect: (found[0], 'SELECT no_such_column FROM instances')
        + found[2:] for dialect, found in read._compiled.items()})
    with pytest.raises(Exception, match='no_such_column'):
        db_api.instance_list_page(ctx, 'tenant-a', 1, 1)
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection is not first

