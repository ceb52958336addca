"""A cluster mirrored into its standby region's cell, taken over from the
mirror there, and retired in the cell it left."""

import datetime
import time

import pytest
from oslo_serialization import jsonutils

from tests.unit.conductor.test_manager import version  # noqa: F401
from tests.unit.db.conftest import ctx  # noqa: F401
from tests.unit.db.conftest import db_urls  # noqa: F401
from tests.unit.db.conftest import other_region_url  # noqa: F401
from trove_mr.api.domain import cluster_standby
from trove_mr.cluster.redis import mirror
from trove_mr.cluster.redis import nodes as redis_nodes
from trove_mr.cluster.redis.flows import standby_takeover as takeover
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.db import cells
from trove_mr.db import rows
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

BUS = 'rabbit://guest:guest@127.0.0.1:5672/'


def _cluster(ctx, version):  # noqa: F811
    cluster = db_api.cluster_create(ctx, {
        'id': 'c1', 'name': 'c1', 'tenant_id': 'tenant-a', 'task_id': 1,
        'task_name': 'NONE', 'datastore_version_id': version.id,
        'encrypted_password': 'sealed', 'standby_region': 'RegionTwo',
        'primary_region': 'RegionOne'})

    def member(member_id, kind, region, address, related_to=None):
        db_api.instance_create(ctx, {
            'id': member_id, 'tenant_id': 'tenant-a', 'cluster_id': 'c1',
            'datastore_version_id': version.id, 'type': kind,
            'related_to': related_to, 'region_name': region,
            'addresses': jsonutils.dumps([
                {'address': '10.0.0.9', 'type': 'private'},
                {'address': address, 'type': 'private',
                 'management': True}])})
        db_api.instance_status_update(ctx, member_id, 'HEALTHY',
                                      time.time())
    member('m1', 'master', 'RegionOne', '127.1.0.1')
    member('s1', 'slave', 'RegionTwo', '127.2.0.1', related_to='m1')
    return cluster


@pytest.fixture
def two_cells(ctx, version, other_region_url):  # noqa: F811
    """RegionOne (this process's cell) owns c1; RegionTwo is its standby
    region, a cell of its own with the same datastore version."""
    one = api_db.region_mapping_create(
        ctx, 'RegionOne', BUS, cfg.CONF.database.connection)
    two = api_db.region_mapping_create(ctx, 'RegionTwo', BUS,
                                       other_region_url)
    _cluster(ctx, version)
    api_db.cluster_mapping_create(ctx, 'c1', one.uuid, 'tenant-a')
    for member_id in ('m1', 's1'):
        api_db.instance_mapping_create(ctx, member_id, one.uuid, 'tenant-a')
    with cells.target_cell(ctx, two) as tctx:
        store = db_api.datastore_create(tctx, {'name': 'redis'})
        db_api.datastore_version_create(
            tctx, store.id, {'name': '7.0', 'manager': 'redis',
                             'image_name': 'img', 'active': True})
    cfg.CONF.set_override('region_name', 'RegionOne')
    yield one, two
    cfg.CONF.clear_override('region_name')


def test_record_holds_pairs_node_addresses_and_the_sealed_password(
        ctx, version):  # noqa: F811
    cluster = _cluster(ctx, version)
    members = db_api.instances_by_cluster(ctx, 'c1')
    record = mirror.record_of(db_api.cluster_get(ctx, cluster.id), members)
    assert record['pairs'] == [['m1', 's1']]
    # The management address, the one the node is reached at.
    assert record['nodes'] == {'m1': ['127.1.0.1', 6379],
                               's1': ['127.2.0.1', 6379]}
    assert record['cluster']['encrypted_password'] == 'sealed'
    assert (record['datastore'], record['datastore_version']) == \
        ('redis', '7.0')
    jsonutils.dumps(record)  # plain data


def test_mirror_is_written_in_the_standby_cell_and_adopted_there(
        ctx, two_cells):  # noqa: F811
    _one, two = two_cells
    mirrored, retired = mirror.mirror_standby_clusters(ctx)
    assert (mirrored, retired) == (['c1'], [])
    with cells.target_cell(ctx, two) as tctx:
        row = db_api.cluster_mirror_get(tctx, 'c1', tenant_id='tenant-a')
        assert row.owning_region == 'RegionOne'
        with pytest.raises(exceptions.ClusterNotFound):
            db_api.cluster_mirror_get(tctx, 'c1', tenant_id='tenant-b')
        record = jsonutils.loads(row.record)
        dv = db_api.datastore_version_get_by_name(tctx, 'redis', '7.0')
        values, members = mirror.adoption_values(
            record, dv.id, {'task_id': 2, 'task_name': 'FAILING_OVER',
                            'task_description': 'x'})
        assert db_api.cluster_adopt(tctx, values, members) is True
        # Safe to repeat: the rows are made once.
        assert db_api.cluster_adopt(tctx, values, members) is False
        adopted = db_api.cluster_get(tctx, 'c1', tenant_id='tenant-a')
        assert adopted.task_name == 'FAILING_OVER'
        assert adopted.primary_region == 'RegionOne'
        roles = {m.id: (m.type, m.related_to, m.region_name,
                        m.status.status)
                 for m in db_api.instances_by_cluster(tctx, 'c1')}
    assert roles == {'m1': ('master', None, 'RegionOne', 'HEALTHY'),
                     's1': ('slave', 'm1', 'RegionTwo', 'HEALTHY')}


def test_mirror_lock_is_taken_once_and_freezes_the_mirror(
        ctx, two_cells):  # noqa: F811
    _one, two = two_cells
    mirror.mirror_standby_clusters(ctx)
    with cells.target_cell(ctx, two) as tctx:
        db_api.cluster_mirror_lock(tctx, 'c1', 'FAILING_OVER')
        with pytest.raises(exceptions.Conflict):
            db_api.cluster_mirror_lock(tctx, 'c1', 'FAILING_OVER')
        before = db_api.cluster_mirror_get(tctx, 'c1').record
        assert db_api.cluster_mirror_put(tctx, 'c1', 'tenant-a',
                                         'RegionOne', '{}') is False
        assert db_api.cluster_mirror_get(tctx, 'c1').record == before
        db_api.cluster_mirror_unlock(tctx, 'c1')
        db_api.cluster_mirror_lock(tctx, 'c1', 'FAILING_OVER')
        db_api.cluster_mirror_delete(tctx, 'c1')
        db_api.cluster_mirror_delete(tctx, 'c1')
        with pytest.raises(exceptions.ClusterNotFound):
            db_api.cluster_mirror_lock(tctx, 'c1', 'FAILING_OVER')


def test_cell_retires_a_cluster_its_standby_region_took_over(
        ctx, two_cells):  # noqa: F811
    _one, two = two_cells
    api_db.cluster_mappings_move(ctx, 'c1', ['m1', 's1'], two.uuid)
    assert api_db.cluster_mapping_get(ctx, 'c1').uuid == two.uuid
    assert api_db.instance_mapping_get(ctx, 'm1').uuid == two.uuid
    mirrored, retired = mirror.mirror_standby_clusters(ctx)
    assert (mirrored, retired) == ([], ['c1'])
    with pytest.raises(exceptions.ClusterNotFound):
        db_api.cluster_get(ctx, 'c1')
    assert db_api.instances_by_cluster(ctx, 'c1') == []
    # Nothing left to mirror or retire.
    assert mirror.mirror_standby_clusters(ctx) == ([], [])


def test_one_cell_serving_both_regions_writes_no_mirror(
        ctx, version):  # noqa: F811
    one = api_db.region_mapping_create(
        ctx, 'RegionOne', BUS, cfg.CONF.database.connection)
    api_db.region_mapping_create(ctx, 'RegionTwo', BUS,
                                 cfg.CONF.database.connection)
    _cluster(ctx, version)
    api_db.cluster_mapping_create(ctx, 'c1', one.uuid, 'tenant-a')
    assert mirror.mirror_standby_clusters(ctx) == ([], [])
    assert db_api.cluster_mirror_ids(ctx) == []


class _TaskManager:
    """Records what the API asked of a taskmanager."""

    def __init__(self):
        self.asked = []

    def take_over_cluster(self, context, cluster_id, region):
        self.asked.append(('take_over_cluster', context.cell_name,
                           cluster_id, region))

    def failover_cluster(self, context, cluster_id, pairs, region):
        self.asked.append(('failover_cluster', context.cell_name,
                           cluster_id, region))


def _dead_owner(ctx, db_urls, two_cells):  # noqa: F811
    """RegionOne's cell, owning c1, with a database that cannot open."""
    one, two = two_cells
    mirror.mirror_standby_clusters(ctx)
    dead = api_db.region_mapping_create(
        ctx, 'RegionOneDead', BUS,
        'sqlite:///%s/missing/region.sqlite' % db_urls['tmp'])
    api_db.cluster_mappings_move(ctx, 'c1', ['m1', 's1'], dead.uuid)
    with cells.target_cell(ctx, two) as tctx:
        db_api.service_heartbeat(tctx, 'tm-2', 'trove-mr-taskmanager',
                                 'trove-mr-taskmanager', 'boot-1')
    return two


def test_failover_with_the_owning_cell_down_is_a_takeover_by_the_standby(
        ctx, db_urls, two_cells):  # noqa: F811
    two = _dead_owner(ctx, db_urls, two_cells)
    taskmanager = _TaskManager()
    cluster_standby.failover(ctx, 'tenant-a', 'c1', 'RegionTwo',
                             taskmanager)
    assert taskmanager.asked == [('take_over_cluster', 'RegionTwo', 'c1',
                                  'RegionTwo')]
    # The mirror's lock is taken: a second request is a 409.
    with pytest.raises(exceptions.Conflict):
        cluster_standby.failover(ctx, 'tenant-a', 'c1', 'RegionTwo',
                                 taskmanager)
    with cells.target_cell(ctx, two) as tctx:
        assert db_api.cluster_mirror_get(tctx, 'c1').failover_task == \
            'FAILING_OVER'


def test_takeover_checks_the_region_and_the_tenant(
        ctx, db_urls, two_cells):  # noqa: F811
    _dead_owner(ctx, db_urls, two_cells)
    taskmanager = _TaskManager()
    # Another tenant: the owning cell's outage, not the mirror, answers.
    with pytest.raises(exceptions.ServiceUnavailable):
        cluster_standby.failover(ctx, 'tenant-b', 'c1', 'RegionTwo',
                                 taskmanager)
    with pytest.raises(exceptions.ServiceUnavailable):
        cluster_standby.failover(ctx, 'tenant-a', 'c1', 'RegionThree',
                                 taskmanager)
    assert taskmanager.asked == []


def test_mirrors_of_gone_or_swapped_clusters_are_dropped(
        ctx, two_cells):  # noqa: F811
    _one, two = two_cells
    mirror.mirror_standby_clusters(ctx)
    # The standby region became primary (a switchover): its copy goes.
    mirror.forget_mirror(ctx, 'c1', 'RegionTwo')
    with cells.target_cell(ctx, two) as tctx:
        assert db_api.cluster_mirror_ids(tctx) == []
    mirror.mirror_standby_clusters(ctx)
    with cells.target_cell(ctx, two) as tctx:
        assert mirror.drop_orphan_mirrors(tctx) == []
    # The cluster is deleted (its mapping gone): the standby cell drops
    # its copy on its next pass.
    api_db.cluster_mapping_delete(ctx, 'c1')
    with cells.target_cell(ctx, two) as tctx:
        assert mirror.drop_orphan_mirrors(tctx) == ['c1']
        assert db_api.cluster_mirror_ids(tctx) == []


@pytest.fixture
def silent_primary(ctx, two_cells, monkeypatch):  # noqa: F811
    """c1 (automatic failover) mirrored into RegionTwo; RegionOne's
    nodes do not answer, RegionTwo's do; takeovers posted are
    recorded."""
    _one, two = two_cells
    db_api.cluster_update(ctx, 'c1', {'auto_failover': True})
    mirror.mirror_standby_clusters(ctx)
    monkeypatch.setattr(redis_nodes.RemoteNode, 'answers',
                        lambda node: not node.address.startswith('127.1.'))
    monkeypatch.setattr(takeover.cluster_password, 'open_sealed',
                        lambda cluster_id, sealed: 'pw')
    posted = []
    monkeypatch.setattr(
        takeover, 'submit_takeover',
        lambda context, cluster_id, region, automatic=False:
        posted.append((cluster_id, region, automatic)))
    cfg.CONF.set_override('region_name', 'RegionTwo')
    later = rows.now() + datetime.timedelta(
        seconds=cfg.CONF.redis.standby_failover_after + 1)
    with cells.target_cell(ctx, two) as tctx:
        yield tctx, posted, later


def test_standby_cell_takes_over_when_copy_and_masters_are_silent(
        silent_primary):
    tctx, posted, later = silent_primary
    # The copy is fresh: the owning cell is alive.
    assert takeover.take_over_silent_clusters(tctx) == []
    assert takeover.take_over_silent_clusters(tctx, now=later) == ['c1']
    assert posted == [('c1', 'RegionTwo', True)]
    assert db_api.cluster_mirror_get(tctx, 'c1').failover_task == \
        'FAILING_OVER'
    # Taken once: the mirror's lock is held.
    assert takeover.take_over_silent_clusters(tctx, now=later) == []


def test_no_takeover_while_a_master_answers_or_the_policy_is_manual(
        silent_primary, monkeypatch):
    tctx, posted, later = silent_primary
    monkeypatch.setattr(redis_nodes.RemoteNode, 'answers',
                        lambda node: True)
    assert takeover.take_over_silent_clusters(tctx, now=later) == []
    monkeypatch.setattr(redis_nodes.RemoteNode, 'answers',
                        lambda node: not node.address.startswith('127.1.'))
    record = jsonutils.loads(db_api.cluster_mirror_get(tctx, 'c1').record)
    record['cluster']['auto_failover'] = False
    db_api.cluster_mirror_put(tctx, 'c1', 'tenant-a', 'RegionOne',
                              jsonutils.dumps(record))
    assert takeover.take_over_silent_clusters(tctx, now=later) == []
    assert posted == []


def test_a_takeover_stopped_half_way_is_asked_again_of_the_new_owner(
        ctx, two_cells):  # noqa: F811
    # This cell adopted c1 from its copy, then the takeover failed: the
    # copy is still here, the cluster FAILED.
    db_api.cluster_mirror_put(ctx, 'c1', 'tenant-a', 'RegionZero', '{}')
    db_api.cluster_update(ctx, 'c1', {'task_id': 3, 'task_name': 'FAILED'})
    db_api.service_heartbeat(ctx, 'tm-1', 'trove-mr-taskmanager',
                             'trove-mr-taskmanager', 'boot-1')
    taskmanager = _TaskManager()
    cluster_standby.failover(ctx, 'tenant-a', 'c1', 'RegionTwo',
                             taskmanager)
    assert taskmanager.asked == [('take_over_cluster', 'RegionOne', 'c1',
                                  'RegionTwo')]
    assert db_api.cluster_get(ctx, 'c1').task_name == 'FAILING_OVER'
    assert db_api.cluster_mirror_get(ctx, 'c1').failover_task == \
        'FAILING_OVER'
