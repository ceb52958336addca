"""When a cluster with an automatic failover policy is failed over: every
master silent past the threshold while every standby reports."""

import datetime
import types

import pytest

from trove_mr.cluster.redis import standby

NOW = datetime.datetime(2026, 12, 1, 4, 0, 0)
CLUSTER = types.SimpleNamespace(id='c', standby_region='RegionTwo')


def _member(member_id, heard_ago, master=None, region='RegionOne'):
    status = None if heard_ago is None else types.SimpleNamespace(
        heartbeat_at=NOW - datetime.timedelta(seconds=heard_ago))
    return types.SimpleNamespace(
        id=member_id, type='slave' if master else 'master',
        related_to=master, region_name=region, status=status)


def _cluster(master_ages, standby_ages):
    members = [_member('m%d' % i, age) for i, age in enumerate(master_ages)]
    members += [_member('s%d' % i, age, master='m%d' % i,
                        region='RegionTwo')
                for i, age in enumerate(standby_ages)]
    return members


@pytest.mark.parametrize('masters, standbys, lost', [
    ((40, 35, 31), (1, 2, 0), True),
    ((40, 35, None), (1, 2, 0), True),     # never reported at all
    ((40, 35, 10), (1, 2, 0), False),      # one master still reports
    ((40, 35, 31), (1, 2, 45), False),     # a standby is silent too
    ((1, 1, 1), (1, 1, 1), False),
])
def test_primary_region_lost_needs_every_master_silent(masters, standbys,
                                                        lost):
    members = _cluster(masters, standbys)
    assert standby.primary_region_lost(CLUSTER, members, 30, NOW) is lost


def test_a_master_without_standby_is_never_failed_over():
    members = _cluster((40, 40), (1,))
    assert standby.primary_region_lost(CLUSTER, members, 30, NOW) is False


def test_pairs_name_each_master_and_its_standby_region_replica():
    members = _cluster((1, 1), (1, 1))
    # A replica in the primary region is not a standby.
    members.append(_member('r0', 1, master='m0'))
    assert standby.pairs_of(CLUSTER, members) == [['m0', 's0'],
                                                  ['m1', 's1']]


def test_read_hints_name_replicas_else_masters_per_region():
    from trove_mr.api.views import cluster_standby

    def row(member_id, kind, region, status='RUNNING'):
        return types.SimpleNamespace(
            id=member_id, type=kind, region_name=region,
            status=types.SimpleNamespace(status=status))
    members = [row('m1', 'master', 'RegionOne'),
               row('m2', 'master', 'RegionOne'),
               row('s1', 'slave', 'RegionTwo'),
               row('s2', 'slave', 'RegionTwo', status='LOST'),
               row('m3', 'master', 'RegionThree'),
               row('s3', 'slave', 'RegionThree')]
    assert cluster_standby.read_hints(CLUSTER, members) == {
        'RegionOne': ['m1', 'm2'], 'RegionTwo': ['s1'],
        'RegionThree': ['s3']}
