"""The swap of roles after a switchover or failover: one transaction,
safe to repeat."""

import time

from oslo_serialization import jsonutils

from tests.unit.conductor.test_manager import version  # noqa: F401
from tests.unit.db.conftest import ctx  # noqa: F401
from tests.unit.db.conftest import db_urls  # noqa: F401
from trove_mr.db.main import api as db_api


def _cluster(ctx, version):  # noqa: F811
    cluster = db_api.cluster_create(ctx, {
        'id': 'c1', 'name': 'c1', 'tenant_id': 't', 'task_id': 1,
        'task_name': 'NONE', 'datastore_version_id': version.id,
        'standby_region': 'RegionTwo', 'primary_region': 'RegionOne'})

    def member(member_id, kind, region, related_to=None):
        db_api.instance_create(ctx, {
            'id': member_id, 'tenant_id': 't', 'cluster_id': cluster.id,
            'datastore_version_id': version.id, 'type': kind,
            'related_to': related_to, 'region_name': region})
        db_api.instance_status_update(ctx, member_id, 'RUNNING',
                                      time.time())
    member('m1', 'master', 'RegionOne')
    member('r1', 'slave', 'RegionOne', 'm1')
    member('s1', 'slave', 'RegionTwo', 'm1')
    return cluster


def _roles(ctx):  # noqa: F811
    return {m.id: (m.type, m.related_to, m.status.status)
            for m in db_api.instances_by_cluster(ctx, 'c1')}


def test_failover_swap_marks_the_lost_region_and_repeats_safely(
        ctx, version):  # noqa: F811
    _cluster(ctx, version)
    record = {'kind': 'failover', 'primary_region': 'RegionTwo'}
    for _ in range(2):
        db_api.cluster_swap_roles(
            ctx, 'c1', [['m1', 's1']],
            {'primary_region': 'RegionTwo', 'standby_region': 'RegionOne',
             'failover_state': jsonutils.dumps(record)},
            lost_ids=['m1', 'r1'], lost_status='LOST',
            fault={'fault_message': 'Region RegionOne was lost.',
                   'fault_details': None})
    assert _roles(ctx) == {'s1': ('master', None, 'RUNNING'),
                           'm1': ('slave', 's1', 'LOST'),
                           'r1': ('slave', 's1', 'LOST')}
    cluster = db_api.cluster_get(ctx, 'c1')
    assert (cluster.primary_region, cluster.standby_region) == \
        ('RegionTwo', 'RegionOne')
    assert jsonutils.loads(cluster.failover_state) == record
    member = db_api.instance_get(ctx, 'm1')
    assert member.fault_message == 'Region RegionOne was lost.'
