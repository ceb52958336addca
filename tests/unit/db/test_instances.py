"""Region DB API: instances, pagination, tenant isolation, locks, status."""

import datetime

import pytest
import sqlalchemy as sa

from trove_mr.common import exceptions
from trove_mr.db import engines
from trove_mr.db.main import api as db_api


@pytest.fixture
def version(ctx):
    db_api.datastore_create(ctx, {'name': 'redis'})
    return db_api.datastore_version_create(
        ctx, 'redis', {'name': '7.0', 'manager': 'redis',
                       'image_name': 'redis-7', 'default': True})


def _instance(ctx, version, tenant='tenant-a', created=None, **values):
    values.setdefault('name', 'db')
    values.update(tenant_id=tenant, datastore_version_id=version.id,
                  region_name='RegionOne')
    if created is not None:
        values['created'] = created
    return db_api.instance_create(ctx, values)


def _count_queries(url):
    engine = engines.create_context_manager(url).writer.get_engine()
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, 'before_cursor_execute', record)
    return statements


def test_keyset_pagination_walks_every_instance_once_in_order(ctx, version):
    base = datetime.datetime(2024, 1, 1)
    made = [_instance(ctx, version, created=base + datetime.timedelta(
        seconds=i // 2)) for i in range(7)]
    expected = sorted((i.created, i.id) for i in made)
    seen, marker = [], None
    while True:
        page, marker = db_api.instance_list(ctx, 'tenant-a', limit=3,
                                            marker=marker)
        seen.extend((i.created, i.id) for i in page)
        if marker is None:
            break
    assert seen == expected


def test_list_loads_status_and_version_in_fixed_number_of_queries(
        ctx, db_urls, version):
    for _ in range(12):
        _instance(ctx, version)
    first, marker = db_api.instance_list(ctx, 'tenant-a', limit=2)
    statements = _count_queries(db_urls['region'])
    page, _ = db_api.instance_list(ctx, 'tenant-a', limit=10,
                                   marker=marker)
    names = [(i.status.status, i.datastore_version.datastore.name)
             for i in page]
    selects = [s for s in statements if s.lstrip().upper().startswith(
        'SELECT')]
    assert len(page) == 10
    assert set(names) == {('NEW', 'redis')}
    assert len(selects) == 2  # the marker's key, then the page


def test_list_hides_cluster_members_unless_asked(ctx, version):
    _instance(ctx, version)
    member = _instance(ctx, version, cluster_id='c1')
    alone, _ = db_api.instance_list(ctx, 'tenant-a')
    everyone, _ = db_api.instance_list(ctx, 'tenant-a',
                                       include_clustered=True)
    cluster, _ = db_api.instance_list(ctx, 'tenant-a', cluster_id='c1')
    assert member.id not in [i.id for i in alone]
    assert len(everyone) == 2
    assert [i.id for i in cluster] == [member.id]


def test_another_tenants_instance_is_not_found(ctx, version):
    theirs = _instance(ctx, version, tenant='tenant-b')
    with pytest.raises(exceptions.InstanceNotFound):
        db_api.instance_get(ctx, theirs.id, tenant_id='tenant-a')
    assert db_api.instance_get(ctx, theirs.id, tenant_id='tenant-b').id == \
        theirs.id
    mine, _ = db_api.instance_list(ctx, 'tenant-a')
    assert mine == []


def test_another_tenants_marker_is_refused(ctx, version):
    theirs = _instance(ctx, version, tenant='tenant-b')
    with pytest.raises(exceptions.BadRequest):
        db_api.instance_list(ctx, 'tenant-a', limit=1, marker=theirs.id)


def test_deleted_instance_is_not_found_nor_counted(ctx, version):
    gone = _instance(ctx, version)
    _instance(ctx, version)
    db_api.instance_soft_delete(ctx, gone.id)
    with pytest.raises(exceptions.NotFound):
        db_api.instance_get(ctx, gone.id)
    with pytest.raises(exceptions.InstanceNotFound):
        db_api.instance_soft_delete(ctx, gone.id)
    assert db_api.instance_count(ctx, 'tenant-a') == 1


def test_conditional_update_lets_only_one_writer_take_the_lock(
        ctx, version):
    inst = _instance(ctx, version)
    taken = db_api.instance_update(ctx, inst.id,
                                   {'task_status': 'REBOOTING'},
                                   expected_task_status='NONE')
    assert taken.task_status == 'REBOOTING'
    with pytest.raises(exceptions.UnexpectedTaskState) as err:
        db_api.instance_update(ctx, inst.id, {'task_status': 'DELETING'},
                               expected_task_status=['NONE'])
    assert err.value.code == 409
    assert db_api.instance_get(ctx, inst.id).task_status == 'REBOOTING'


def test_update_of_missing_instance_is_not_found(ctx, version):
    with pytest.raises(exceptions.InstanceNotFound):
        db_api.instance_update(ctx, 'nope', {'name': 'x'},
                               expected_task_status='NONE')


def test_addresses_are_stored_as_json(ctx, version):
    inst = _instance(ctx, version, addresses=[{'address': '127.1.0.5'}])
    assert inst.addresses == '[{"address": "127.1.0.5"}]'


def test_older_heartbeat_is_ignored(ctx, version):
    inst = _instance(ctx, version)
    t0 = datetime.datetime(2024, 5, 1, 12, 0, 0, 500)
    assert db_api.instance_status_update(ctx, inst.id, 'RUNNING', t0,
                                         volume_used=0.5)
    older = t0 - datetime.timedelta(microseconds=1)
    assert not db_api.instance_status_update(ctx, inst.id, 'SHUTDOWN',
                                             older)
    assert not db_api.instance_status_update(ctx, inst.id, 'SHUTDOWN', t0)
    status = db_api.instance_status_get(ctx, inst.id)
    assert (status.status, status.heartbeat_at, status.volume_used) == (
        'RUNNING', t0, 0.5)
    assert db_api.instance_status_update(
        ctx, inst.id, 'SHUTDOWN', datetime.datetime(2024, 5, 1, 12, 0, 1))
    # POSIX timestamps, as guests send them, are accepted too.
    later = datetime.datetime(2030, 1, 1,
                              tzinfo=datetime.timezone.utc).timestamp()
    assert db_api.instance_status_update(ctx, inst.id, 'RUNNING', later)
    assert db_api.instance_status_get(ctx, inst.id).heartbeat_at == \
        datetime.datetime(2030, 1, 1)


def test_stale_statuses_are_those_not_heard_from(ctx, version):
    quiet = _instance(ctx, version, created=datetime.datetime(2024, 1, 1))
    lively = _instance(ctx, version, created=datetime.datetime(2024, 1, 1))
    db_api.instance_status_update(ctx, lively.id, 'RUNNING',
                                  datetime.datetime(2024, 6, 1))
    stale = db_api.instance_status_stale(ctx, datetime.datetime(2024, 3, 1))
    assert [s.instance_id for s in stale] == [quiet.id]
