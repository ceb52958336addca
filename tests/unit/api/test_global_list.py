"""Global instance lists over two cells, and the 503 of a cell that is
down, through the API app on two real SQLite cell databases."""

import datetime
import time

import jsonschema
import pytest
from oslo_utils import uuidutils

from tests.unit.api.conftest import CONF
from tests.unit.api.conftest import MEMBER
from tests.unit.api.conftest import call
from tests.unit.api.conftest import stale_taskmanager
from tests.unit.api.conftest import taskmanager_heartbeat
from trove_mr.api.domain import scatter
from trove_mr.api.schemas import instances as schemas
from trove_mr.common import context as trove_context
from trove_mr.common import exceptions
from trove_mr.db import cells
from trove_mr.db import migration
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

BASE = '/v1.0/p1/instances'
T0 = datetime.datetime(2026, 1, 1, 12, 0, 0)


@pytest.fixture
def two_cells(api, databases, tmp_path):
    """RegionTwo's own cell database beside RegionOne's; global scope."""
    url = 'sqlite:///%s' % (tmp_path / 'region-two.sqlite')
    migration.upgrade('region', url)
    ctx = trove_context.get_admin_context()
    two = api_db.region_mapping_create(ctx, 'RegionTwo', 'rabbit://h2//',
                                       url)
    with cells.target_cell(ctx, two) as cctx:
        db_api.datastore_create(cctx, {'name': 'redis'})
        db_api.datastore_version_create(cctx, 'redis', {
            'name': '7.0', 'manager': 'redis',
            'image_name': 'trove-mr-redis', 'active': True,
            'default': True})
        taskmanager_heartbeat(cctx)
    CONF.set_override('instance_list_scope', 'global', group='api')
    yield {'RegionOne': api_db.region_mapping_get(ctx, 'RegionOne'),
           'RegionTwo': two, 'ctx': ctx, 'tmp': tmp_path}
    CONF.clear_override('instance_list_scope', group='api')


def _put(cells_, cell, minute, tenant='p1'):
    """An instance row straight into ``cell``'s database, and its mapping."""
    ctx = cells_['ctx']
    mapping = cells_[cell]
    instance_id = uuidutils.generate_uuid()
    with cells.target_cell(ctx, mapping) as cctx:
        version = db_api.datastore_version_get_default(cctx, 'redis')
        db_api.instance_create(cctx, {
            'id': instance_id, 'name': '%s-%d' % (cell, minute),
            'tenant_id': tenant, 'region_name': cell, 'flavor_id': '7',
            'volume_size': 1, 'datastore_version_id': version.id,
            'created': T0 + datetime.timedelta(minutes=minute)})
    api_db.instance_mapping_create(ctx, instance_id, mapping.uuid, tenant)
    return instance_id


def _pages(app, url):
    seen = []
    while url:
        answer = call(app, url)
        assert answer.status_int == 200, answer.text
        jsonschema.validate(answer.json, schemas.LIST_RESPONSE)
        assert answer.json['unavailable_regions'] == []
        seen += [i['id'] for i in answer.json['instances']]
        nexts = [link['href'] for link in answer.json.get('links', [])
                 if link['rel'] == 'next']
        url = nexts[0].replace('http://api.test:8779', '') if nexts \
            else None
    return seen


def _interleaved(two_cells):
    """Seven instances alternating between the cells, oldest first."""
    return [_put(two_cells, 'RegionOne' if n % 2 else 'RegionTwo', n)
            for n in range(7)]


def test_global_list_pages_over_two_cells_each_instance_once_in_order(
        api, two_cells):
    expected = _interleaved(two_cells)
    _put(two_cells, 'RegionTwo', 3, tenant='p2')  # another project's
    for limit in (1, 2, 3, 7, 50):
        assert _pages(api, BASE + '?limit=%d' % limit) == expected


def test_local_scope_lists_only_this_cell(api, two_cells):
    expected = _interleaved(two_cells)
    CONF.set_override('instance_list_scope', 'local', group='api')
    answer = call(api, BASE)
    assert [i['id'] for i in answer.json['instances']] == expected[1::2]
    assert 'unavailable_regions' not in answer.json


def test_marker_of_a_deleted_instance_still_pages_globally(api, two_cells):
    expected = _interleaved(two_cells)
    ctx = two_cells['ctx']
    with cells.target_cell(ctx, two_cells['RegionTwo']) as cctx:
        db_api.instance_soft_delete(cctx, expected[2])
    api_db.instance_mapping_delete(ctx, expected[2])
    answer = call(api, BASE + '?marker=%s' % expected[2])
    assert [i['id'] for i in answer.json['instances']] == expected[3:]


def test_unknown_marker_is_a_bad_request_in_global_scope(api, two_cells):
    _interleaved(two_cells)
    answer = call(api, BASE + '?marker=%s' % uuidutils.generate_uuid())
    assert answer.status_int == 400
    assert 'marker' in answer.json['badRequest']['message']


def _break_cell_database(two_cells):
    """Point RegionTwo's mapping at a database that cannot be opened."""
    broken = two_cells['tmp'] / 'gone'
    broken.mkdir()
    api_db.region_mapping_update(
        two_cells['ctx'], 'RegionTwo',
        database_connection='sqlite:///%s' % broken)


def test_global_list_skips_a_cell_that_is_down_and_names_it(api, two_cells):
    expected = _interleaved(two_cells)
    _break_cell_database(two_cells)
    answer = call(api, BASE)
    assert answer.status_int == 200
    jsonschema.validate(answer.json, schemas.LIST_RESPONSE)
    assert answer.json['unavailable_regions'] == ['RegionTwo']
    assert [i['id'] for i in answer.json['instances']] == expected[1::2]


def test_show_and_delete_in_a_cell_that_is_down_answer_503(api, two_cells,
                                                           taskmanager):
    in_two = _put(two_cells, 'RegionTwo', 1)
    in_one = _put(two_cells, 'RegionOne', 2)
    _break_cell_database(two_cells)
    for method in ('GET', 'DELETE'):
        answer = call(api, '%s/%s' % (BASE, in_two), method, headers=MEMBER)
        assert answer.status_int == 503
        assert 'RegionTwo' in answer.json['serviceUnavailable']['message']
    assert taskmanager.casts == []
    assert call(api, '%s/%s' % (BASE, in_one)).status_int == 200


def test_an_action_needs_a_live_taskmanager_of_the_owning_cell(
        api, taskmanager, two_cells):
    in_two = _put(two_cells, 'RegionTwo', 1)
    in_one = _put(two_cells, 'RegionOne', 2)
    with cells.target_cell(two_cells['ctx'], two_cells['RegionTwo']) \
            as cctx:
        stale_taskmanager(cctx)

    refused = call(api, '%s/%s' % (BASE, in_two), 'DELETE',
                   headers=MEMBER)
    assert refused.status_int == 503
    assert refused.json['serviceUnavailable']['message'] == (
        'No taskmanager of region RegionTwo is alive; nothing was changed. '
        'Try again later.')
    with cells.target_cell(two_cells['ctx'], two_cells['RegionTwo']) \
            as cctx:
        assert db_api.instance_get(cctx, in_two).task_status == 'NONE'
    assert call(api, '%s/%s' % (BASE, in_one),
                'DELETE').status_int == 202

    # RegionTwo's taskmanager back, RegionOne's gone: the other way round.
    with cells.target_cell(two_cells['ctx'], two_cells['RegionTwo']) \
            as cctx:
        taskmanager_heartbeat(cctx)
    stale_taskmanager(two_cells['ctx'])
    assert call(api, '%s/%s' % (BASE, in_two),
                'DELETE').status_int == 202
    assert [c[0] for c in taskmanager.casts] == ['delete_instance'] * 2


def test_gather_names_a_cell_slower_than_the_timeout(two_cells):
    def answer(cctx, mapping):
        if mapping.name == 'RegionTwo':
            time.sleep(2)
        return mapping.name

    started = time.monotonic()
    results, unavailable = scatter.gather(two_cells['ctx'], answer,
                                          timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert results == {'RegionOne': 'RegionOne'}
    assert unavailable == ['RegionTwo']


def test_gather_runs_each_call_on_its_own_cell(two_cells):
    results, unavailable = scatter.gather(
        two_cells['ctx'], lambda cctx, mapping: cctx.cell_name)
    assert results == {'RegionOne': 'RegionOne', 'RegionTwo': 'RegionTwo'}
    assert unavailable == []


def test_gather_raises_errors_of_the_request_itself(two_cells):
    def refuse(cctx, mapping):
        raise exceptions.BadRequest('bad marker')

    with pytest.raises(exceptions.BadRequest):
        scatter.gather(two_cells['ctx'], refuse)
