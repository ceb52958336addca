"""The placement decision is made once in the API and checked again in
the taskmanager by the same function with the same target datastore
version (that of the target region's cell, not the home one)."""

import pytest

from tests.unit.api.conftest import call
from tests.unit.api.conftest import create_body
from trove_mr.common import context as trove_context
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.db import cells
from trove_mr.db import migration
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api
from trove_mr.flows import database as database_tasks


def _second_cell(tmp_path, image_name='trove-mr-redis'):
    """RegionTwo with a cell of its own that knows redis 7.0."""
    url = 'sqlite:///%s' % (tmp_path / 'region-two.sqlite')
    migration.upgrade('region', url)
    ctx = trove_context.get_admin_context()
    api_db.region_mapping_create(ctx, 'RegionTwo', 'rabbit://h2//', url)
    mapping = api_db.region_mapping_get(ctx, 'RegionTwo')
    with cells.target_cell(ctx, mapping) as cctx:
        db_api.datastore_create(cctx, {'name': 'redis'})
        version = db_api.datastore_version_create(cctx, 'redis', {
            'name': '7.0', 'manager': 'redis', 'image_name': image_name,
            'active': True, 'default': True})
    return version.id


def _spy(monkeypatch):
    calls = []
    real = regions.check_placement

    def check_placement(context, version, flavor_ref, target_region,
                        target_version=None):
        calls.append((dict(version), flavor_ref, target_region,
                      dict(target_version) if target_version else None))
        return real(context, version, flavor_ref, target_region,
                    target_version)
    monkeypatch.setattr(regions, 'check_placement', check_placement)
    return calls


def test_api_and_taskmanager_run_one_check_on_one_target_version(
        api, taskmanager, tmp_path, monkeypatch):
    target_version_id = _second_cell(tmp_path)
    calls = _spy(monkeypatch)
    answer = call(api, '/v1.0/p1/instances', 'POST',
                  create_body(region_name='RegionTwo'))
    assert answer.status_int == 202, answer.text
    (name, _ctx, args, _kw), = taskmanager.casts
    payload = args[1]
    assert len(calls) == 1
    api_call = calls[0]
    # The target region's cell's own version, not the home one.
    assert api_call[3]['id'] == target_version_id
    assert payload['request']['target_version']['id'] == target_version_id

    ctx = trove_context.get_admin_context()
    built_from = database_tasks.CheckPlacement().execute(
        ctx, answer.json['instance']['id'], payload)
    assert len(calls) == 2
    assert calls[1] == api_call
    # The taskmanager builds from the ids the API decided.
    assert (built_from['image_id'], built_from['flavor_id']) == (
        payload['image_id'], payload['flavor_id'])


def test_taskmanager_refuses_a_placement_whose_image_changed(
        api, taskmanager, tmp_path, monkeypatch):
    _second_cell(tmp_path)
    answer = call(api, '/v1.0/p1/instances', 'POST',
                  create_body(region_name='RegionTwo'))
    assert answer.status_int == 202, answer.text
    payload = dict(taskmanager.casts[0][2][1])
    payload['image_id'] = 'an-image-replaced-since'
    ctx = trove_context.get_admin_context()
    with pytest.raises(exceptions.BadRequest) as caught:
        database_tasks.CheckPlacement().execute(
            ctx, answer.json['instance']['id'], payload)
    assert 'image' in str(caught.value)
    assert 'RegionTwo' in str(caught.value)
