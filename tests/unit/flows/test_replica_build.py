"""The replicas-of-one-request flow: every replica's build, then every
attach; a failure anywhere deletes every replica of the request."""

import types

import pytest
from taskflow import engines
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import exceptions
from trove_mr.flows import replica
from trove_mr.flows import replica_build


def test_flow_builds_each_replica_then_attaches_each():
    flow = replica_build.get_flow(2)
    top = [atom.name for atom, _ in flow.iter_nodes()]
    assert top[1:] == ['build-replicas', 'follow-master']
    assert top[0].endswith('TearDownReplicasOnRevert')
    names = set()

    def walk(item):
        names.add(item.name)
        if hasattr(item, 'iter_nodes'):
            for child, _ in item.iter_nodes():
                walk(child)
    walk(flow)
    assert {'replica0-follow-master', 'replica1-follow-master'} <= names
    assert any(n.startswith('replica1-') and 'Volume' in n for n in names)


class _Fails(task.Task):
    def execute(self):
        raise RuntimeError('volume failed')


def test_a_failure_posts_the_delete_of_every_replica(monkeypatch):
    deleted = []
    monkeypatch.setattr(replica_build.delete_instance, 'submit',
                        lambda context, instance_id: deleted.append(
                            instance_id))
    flow = linear_flow.Flow('t')
    flow.add(replica_build.TearDownReplicasOnRevert(), _Fails())
    with pytest.raises(RuntimeError):
        engines.run(flow, store={'context': None,
                                 'replica_ids': ['r1', 'r2']})
    assert deleted == ['r1', 'r2']


def test_a_replica_that_cannot_follow_fails_the_request(monkeypatch):
    monkeypatch.setattr(
        replica_build.db_api, 'instance_get',
        lambda context, instance_id: types.SimpleNamespace(
            id=instance_id, replica_of_id='m1'))

    def follow(context, replica_id, master_id):
        raise RuntimeError('link down')
    monkeypatch.setattr(replica, 'follow', follow)
    with pytest.raises(exceptions.TroveMRError, match='could not replicate '
                       'from master m1: link down'):
        replica_build.FollowMasterOrFail().execute(None, 'r1')
