"""Root of a cluster: every member gets the password; grow uses it."""

from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from trove_mr.cluster.redis import password as cluster_password
from trove_mr.common import context as trove_context
from trove_mr.db.main import api as db_api
from trove_mr.flows import root as root_flow

BASE = '/v1.0/p1/clusters'


def _active_cluster(api):
    body = {'cluster': {'name': 'c1',
                        'datastore': {'type': 'redis', 'version': '7.0'},
                        'instances': [{'flavorRef': '7',
                                       'volume': {'size': 1}}] * 2}}
    answer = call(api, BASE, 'POST', body)
    assert answer.status_int == 202, answer.text
    cluster_id = answer.json['cluster']['id']
    ctx = trove_context.get_admin_context()
    for member in db_api.instances_by_cluster(ctx, cluster_id):
        db_api.instance_update(ctx, member.id, {'task_status': 'NONE'})
        db_api.instance_status_update(ctx, member.id, 'RUNNING', 2e9, 0.1)
    db_api.cluster_update(ctx, cluster_id, {'task_id': 1,
                                            'task_name': 'NONE'})
    return cluster_id


def test_cluster_root_enable_show_and_disable(api, taskmanager):
    casts = []
    taskmanager.change_root_password = \
        lambda context, *args, **kwargs: casts.append((args, kwargs))
    cluster_id = _active_cluster(api)
    url = '%s/%s/root' % (BASE, cluster_id)
    assert call(api, url).json == {'rootEnabled': False}
    answer = call(api, url, 'POST')
    assert answer.status_int == 200, answer.text
    password = answer.json['user']['password']
    ((args, kwargs),) = casts
    assert args == ('cluster', cluster_id, password)
    assert kwargs['enable'] is True
    assert call(api, url).json == {'rootEnabled': True}
    assert call(api, url, headers=OTHER).status_int == 404
    assert call(api, url, 'DELETE').status_int == 204
    assert call(api, url).json == {'rootEnabled': False}


def test_member_of_a_cluster_refuses_instance_root(api, taskmanager):
    cluster_id = _active_cluster(api)
    ctx = trove_context.get_admin_context()
    member = db_api.instances_by_cluster(ctx, cluster_id)[0]
    answer = call(api, '/v1.0/p1/instances/%s/root' % member.id, 'POST')
    assert answer.status_int == 400
    assert cluster_id in answer.json['badRequest']['message']


def test_busy_cluster_refuses_root_with_409(api, taskmanager):
    cluster_id = _active_cluster(api)
    ctx = trove_context.get_admin_context()
    db_api.cluster_update(ctx, cluster_id, {'task_id': 6,
                                            'task_name': 'GROWING_CLUSTER'})
    answer = call(api, '%s/%s/root' % (BASE, cluster_id), 'POST')
    assert answer.status_int == 409


def test_members_built_later_get_the_kept_password(api, taskmanager):
    cluster_id = _active_cluster(api)
    ctx = trove_context.get_admin_context()
    derived = cluster_password.cluster_password(cluster_id)
    assert cluster_password.current_password(ctx, cluster_id) == derived
    db_api.root_password_set(ctx, 'cluster', cluster_id, 'k' * 32)
    assert cluster_password.current_password(ctx, cluster_id) == 'k' * 32
    # Kept encrypted, bound to the cluster.
    record = db_api.root_get(ctx, cluster_id)
    assert 'k' * 32 not in record.encrypted_password


def test_the_password_goes_to_every_member(api, taskmanager):
    cluster_id = _active_cluster(api)
    ctx = trove_context.get_admin_context()
    targets = root_flow.targets_of(ctx, 'cluster', cluster_id)
    members = db_api.instances_by_cluster(ctx, cluster_id)
    assert targets == [{'instance_id': m.id, 'role': root_flow.NODE}
                       for m in members]
