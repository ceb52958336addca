"""Global lists of clusters and backups over two real SQLite cells."""

import datetime

import jsonschema
from oslo_utils import uuidutils

from tests.unit.api.conftest import call
from tests.unit.api.test_global_list import two_cells  # noqa: F401
from trove_mr.api.schemas import clusters as cluster_schemas
from trove_mr.db import cells
from trove_mr.db.main import api as db_api

T0 = datetime.datetime(2026, 1, 1, 12, 0, 0)


def _cluster(cells_, cell, minute, tenant='p1'):
    with cells.target_cell(cells_['ctx'], cells_[cell]) as cctx:
        version = db_api.datastore_version_get_default(cctx, 'redis')
        cluster = db_api.cluster_create(cctx, {
            'id': uuidutils.generate_uuid(), 'name': '%s-%d' % (cell, minute),
            'tenant_id': tenant, 'region_name': cell,
            'datastore_version_id': version.id,
            'created': T0 + datetime.timedelta(minutes=minute)})
        db_api.instance_create(cctx, {
            'name': 'member', 'tenant_id': tenant, 'region_name': cell,
            'flavor_id': '7', 'volume_size': 1, 'cluster_id': cluster.id,
            'datastore_version_id': version.id, 'type': 'master'})
    return cluster.id


def _backup(cells_, cell, minute, tenant='p1'):
    with cells.target_cell(cells_['ctx'], cells_[cell]) as cctx:
        version = db_api.datastore_version_get_default(cctx, 'redis')
        return db_api.backup_create(cctx, {
            'name': '%s-%d' % (cell, minute), 'tenant_id': tenant,
            'instance_id': uuidutils.generate_uuid(), 'region_name': cell,
            'datastore_version_id': version.id, 'state': 'COMPLETED',
            'created': T0 + datetime.timedelta(minutes=minute)}).id


def _walk(app, url, key):
    seen, pages = [], []
    while url:
        answer = call(app, url)
        assert answer.status_int == 200, answer.text
        assert answer.json['unavailable_regions'] == []
        pages.append(answer.json)
        seen += [item['id'] for item in answer.json[key]]
        nexts = [link['href'] for link in answer.json.get('links', [])
                 if link['rel'] == 'next']
        url = nexts[0].replace('http://api.test:8779', '') if nexts \
            else None
    return seen, pages


def test_global_cluster_list_merges_both_cells_with_their_members(
        api, two_cells):  # noqa: F811
    made = [_cluster(two_cells, 'RegionOne' if n % 2 else 'RegionTwo', n)
            for n in range(5)]
    _cluster(two_cells, 'RegionOne', 9, tenant='p2')  # someone else's
    seen, pages = _walk(api, '/v1.0/p1/clusters?limit=2', 'clusters')
    assert seen == made
    for page in pages:
        jsonschema.validate(page, cluster_schemas.LIST_RESPONSE)
        for cluster in page['clusters']:
            assert len(cluster['instances']) == 1


def test_global_backup_list_merges_both_cells_in_order(
        api, two_cells):  # noqa: F811
    made = [_backup(two_cells, 'RegionTwo' if n % 2 else 'RegionOne', n)
            for n in range(5)]
    seen, pages = _walk(api, '/v1.0/p1/backups?limit=3', 'backups')
    assert seen == made
    assert all(b['datastore']['type'] == 'redis'
               for page in pages for b in page['backups'])
