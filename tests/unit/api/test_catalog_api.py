"""Flavors per region and datastores through the API's WSGI app."""

import jsonschema

from tests.unit.api.conftest import call
from trove_mr.api.schemas import catalog as schemas


def test_flavors_list_the_apis_region_by_default(api):
    answer = call(api, '/v1.0/p1/flavors')
    assert answer.status_int == 200
    flavors = answer.json['flavors']
    for flavor in flavors:
        jsonschema.validate(flavor, schemas.FLAVOR_VIEW)
    assert [(f['id'], f['region']) for f in flavors] == [
        ('7', 'RegionOne'), ('2', 'RegionOne')]


def test_flavors_of_another_region_with_region_query(api):
    answer = call(api, '/v1.0/p1/flavors?region=RegionTwo')
    assert [f['id'] for f in answer.json['flavors']] == ['17', '12']
    assert answer.json['flavors'][1]['ram'] == 4096


def test_flavor_list_is_cached_per_region(api, cloud):
    for _ in range(3):
        call(api, '/v1.0/p1/flavors?region=RegionTwo')
    assert cloud['RegionTwo'].calls == 1


def test_flavor_of_unknown_region_is_a_400(api):
    answer = call(api, '/v1.0/p1/flavors?region=Mars')
    assert answer.status_int == 400
    assert 'Mars' in answer.json['badRequest']['message']


def test_flavor_by_id_and_by_name(api):
    assert call(api, '/v1.0/p1/flavors/7').json['flavor']['name'] == \
        'm1.redis'
    assert call(api, '/v1.0/p1/flavors/m1.small').json['flavor']['id'] == \
        '2'
    assert call(api, '/v1.0/p1/flavors/nope').status_int == 404


def test_datastores_show_only_active_versions(api):
    answer = call(api, '/v1.0/p1/datastores')
    assert answer.status_int == 200
    (redis,) = answer.json['datastores']
    jsonschema.validate(redis, schemas.DATASTORE_VIEW)
    assert redis['name'] == 'redis'
    assert [v['name'] for v in redis['versions']] == ['7.0']
    assert redis['default_version'] == redis['versions'][0]['id']


def test_datastore_versions_by_name_and_by_uuid(api):
    versions = call(api, '/v1.0/p1/datastores/redis/versions').json
    (version,) = versions['versions']
    jsonschema.validate(version, schemas.VERSION_VIEW)
    by_name = call(api, '/v1.0/p1/datastores/redis/versions/7.0').json
    assert by_name['version']['id'] == version['id']
    by_uuid = call(api, '/v1.0/p1/datastores/versions/%s' % version['id'])
    assert by_uuid.json['version']['name'] == '7.0'
    assert call(api, '/v1.0/p1/datastores/mongodb').status_int == 404
