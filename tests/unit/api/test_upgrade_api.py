"""Upgrade through the API's WSGI app: PATCH /instances/{id} with a
datastore_version and POST /clusters/{id} with an upgrade, as
python-troveclient sends them; real policy and SQLite, fake clouds."""

import pytest

from tests.unit.api.conftest import IMAGES
from tests.unit.api.conftest import OTHER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from tests.unit.api.conftest import snapshot
from trove_mr.common import context as trove_context
from trove_mr.db.main import api as db_api

BASE = '/v1.0/p1/instances'


@pytest.fixture
def target(databases):
    """An active 7.2 version of redis (same image name as 7.0 here)."""
    return db_api.datastore_version_create(
        trove_context.get_admin_context(), 'redis', {
            'name': '7.2', 'manager': 'redis',
            'image_name': 'trove-mr-redis', 'active': True})


@pytest.fixture
def upgrades(taskmanager):
    def upgrade_instance(context, *args, **kwargs):
        taskmanager._record('upgrade_instance', context, *args, **kwargs)
    taskmanager.upgrade_instance = upgrade_instance
    return taskmanager


def _active(api, region_name='RegionTwo'):
    answer = call(api, BASE, 'POST', create_body(region_name=region_name))
    assert answer.status_int == 202, answer.text
    instance_id = answer.json['instance']['id']
    ctx = trove_context.get_admin_context()
    db_api.instance_update(ctx, instance_id, {'task_status': 'NONE'})
    db_api.instance_status_update(ctx, instance_id, 'RUNNING', 2e9, 0.5)
    return '%s/%s' % (BASE, instance_id)


def _upgrade(api, url, version, headers=None):
    return call(api, url, 'PATCH',
                {'instance': {'datastore_version': version}},
                headers=headers)


def test_upgrade_shows_upgrade_and_casts_the_image_decision(
        api, upgrades, target):
    url = _active(api)
    answer = _upgrade(api, url, '7.2')
    assert answer.status_int == 202, answer.text
    assert call(api, url).json['instance']['status'] == 'UPGRADE'
    name, _ctx, args, _kwargs = upgrades.casts[-1]
    assert name == 'upgrade_instance'
    instance_id, payload = args
    assert url.endswith(instance_id)
    assert payload['version_id'] == target.id
    assert payload['version_name'] == '7.2'
    assert payload['placement']['region_name'] == 'RegionTwo'
    assert payload['placement']['image_id'] == 'img-2'
    # Asked again meanwhile: 409, nothing cast.
    assert _upgrade(api, url, '7.2').status_int == 409
    assert [c[0] for c in upgrades.casts].count('upgrade_instance') == 1


def test_refusals_name_the_problem_and_change_nothing(
        api, upgrades, target, databases):
    url = _active(api)
    before = snapshot(databases['region'], databases['api'])
    unknown = _upgrade(api, url, '9.9')
    assert unknown.status_int == 404
    assert '9.9' in unknown.json['itemNotFound']['message']
    same = _upgrade(api, url, '7.0')
    assert same.status_int == 400
    assert 'already' in same.json['badRequest']['message']
    inactive = _upgrade(api, url, '6.2')
    assert inactive.status_int == 400
    assert 'not active' in inactive.json['badRequest']['message']
    assert _upgrade(api, url, '7.2', headers=OTHER).status_int == 404
    empty = _upgrade(api, url, '')
    assert empty.status_int == 400
    assert snapshot(databases['region'], databases['api']) == before
    assert [c[0] for c in upgrades.casts] == ['create_instance']


def test_building_instance_is_a_409(api, upgrades, target):
    answer = call(api, BASE, 'POST', create_body())
    url = '%s/%s' % (BASE, answer.json['instance']['id'])
    refused = _upgrade(api, url, '7.2')
    assert refused.status_int == 409
    assert 'ACTIVE' in refused.json['conflict']['message']


def test_image_that_differs_in_the_instance_region_is_a_400(
        api, upgrades, target, monkeypatch):
    url = _active(api)
    monkeypatch.setitem(IMAGES['RegionTwo'], 'checksum', 'ccc')
    refused = _upgrade(api, url, '7.2')
    assert refused.status_int == 400
    assert 'differs between regions' in \
        refused.json['badRequest']['message']
    assert call(api, url).json['instance']['status'] == 'ACTIVE'


def test_unreachable_taskmanager_gives_the_instance_back(
        api, upgrades, target):
    url = _active(api)
    upgrades.error = RuntimeError('no taskmanager listening')
    answer = _upgrade(api, url, '7.2')
    upgrades.error = None
    assert answer.status_int == 503
    assert call(api, url).json['instance']['status'] == 'ACTIVE'
    assert _upgrade(api, url, '7.2').status_int == 202
