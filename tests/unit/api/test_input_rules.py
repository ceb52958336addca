"""What the API refuses in well-formed JSON: names with control or bidi
codes, values outside closed sets, volume types the target region does
not have; each a 400 naming the field, with nothing written."""

import pytest

from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from tests.unit.api.conftest import snapshot
from trove_mr.api.schemas import validation
from trove_mr.common import exceptions

INSTANCES = '/v1.0/p1/instances'
CLUSTERS = '/v1.0/p1/clusters'


def _cluster_body(**overrides):
    cluster = {'name': 'c1', 'datastore': {'type': 'redis',
                                           'version': '7.0'},
               'instances': [{'flavorRef': '7', 'volume': {'size': 1}}
                             for _ in range(3)]}
    cluster.update(overrides)
    return {'cluster': cluster}


def _refused(api, databases, taskmanager, path, body, field):
    before = snapshot(*databases.values())
    answer = call(api, path, 'POST', body)
    assert answer.status_int == 400, answer.text
    assert "'%s'" % field in answer.json['badRequest']['message']
    assert snapshot(*databases.values()) == before
    assert taskmanager.casts == []
    return answer.json['badRequest']['message']


@pytest.mark.parametrize('name', [
    'cache\x00', 'a\x07b', 'evil\u202etxt.exe', 'x\u2066y\u2069',
    'tab\tname', 'new\nline', 'zero\u200bwidth', '\u200fcache'])
def test_instance_name_must_be_printable_without_bidi_codes(
        api, databases, taskmanager, name):
    _refused(api, databases, taskmanager, INSTANCES,
             create_body(name=name), 'instance.name')


def test_cluster_and_member_names_are_held_to_the_same_rule(
        api, databases, taskmanager):
    _refused(api, databases, taskmanager, CLUSTERS,
             _cluster_body(name='c\u202e1'), 'cluster.name')
    body = _cluster_body()
    body['cluster']['instances'][1]['name'] = 'm\x00'
    _refused(api, databases, taskmanager, CLUSTERS, body,
             'cluster.instances.1.name')


def test_unicode_names_that_print_are_accepted(api):
    answer = call(api, INSTANCES, 'POST', create_body(name='café 缓存 ü'))
    assert answer.status_int == 202, answer.text
    assert answer.json['instance']['name'] == 'café 缓存 ü'


def test_control_codes_are_refused_in_every_string_and_key():
    with pytest.raises(exceptions.BadRequest, match="'a.0.b'"):
        validation.check_text({'a': [{'b': 'x\x1by'}]})
    with pytest.raises(exceptions.BadRequest, match='field name'):
        validation.check_text({'a\u202e': 1})
    # Free text may hold line breaks; a name may not.
    validation.check_text({'description': 'two\nlines\ttabbed'})
    with pytest.raises(exceptions.BadRequest):
        validation.check_text({'name': 'two\nlines'})


def test_cluster_locality_is_a_closed_set(api, databases, taskmanager):
    message = _refused(api, databases, taskmanager, CLUSTERS,
                       _cluster_body(locality='x'), 'cluster.locality')
    assert "'x' is not one of" in message


def test_backup_list_all_projects_is_a_boolean(api):
    answer = call(api, '/v1.0/p1/backups?all_projects=maybe')
    assert answer.status_int == 400
    assert "'all_projects'" in answer.json['badRequest']['message']


def test_unknown_volume_type_is_a_400_naming_the_region(
        api, databases, taskmanager):
    message = _refused(api, databases, taskmanager, INSTANCES,
                       create_body(region='RegionTwo',
                                   volume={'size': 1, 'type': 'fast'}),
                       'instance.volume.type')
    assert 'RegionTwo' in message and "'fast'" in message


@pytest.mark.parametrize('volume_type', ['fast', 'vt-2'])
def test_volume_type_of_the_region_by_name_or_id_is_accepted(
        api, taskmanager, volume_type):
    answer = call(api, INSTANCES, 'POST', create_body(
        volume={'size': 1, 'type': volume_type}))
    assert answer.status_int == 202, answer.text
    assert taskmanager.casts[0][0] == 'create_instance'


def test_cluster_member_volume_type_is_checked_in_its_region(
        api, databases, taskmanager):
    body = _cluster_body()
    body['cluster']['instances'][2].update(
        {'region': 'RegionTwo', 'volume': {'size': 1, 'type': 'fast'}})
    message = _refused(api, databases, taskmanager, CLUSTERS, body,
                       'instances.volume.type')
    assert 'RegionTwo' in message
