"""The local cloud's catalog publishes one trove-mr API per region."""

from trove_mr_localcloud import catalog
from trove_mr_localcloud import cloud
from trove_mr_localcloud import cmd as localcloud_cmd


def _database_endpoints(local, project_id='p1'):
    entries = {e['type']: e for e in catalog.build(local, project_id)}
    return {ep['region']: ep['url']
            for ep in entries['database']['endpoints']
            if ep['interface'] == 'public'}


def test_region_equals_url_values_give_each_region_its_own_api(tmp_path):
    urls = localcloud_cmd.database_urls([
        'RegionOne=http://127.0.0.1:1/v1.0/%(tenant_id)s',
        'RegionTwo=http://127.0.0.1:2/v1.0/%(tenant_id)s'])
    local = cloud.LocalCloud(str(tmp_path), port=0, database_url=urls)
    assert _database_endpoints(local) == {
        'RegionOne': 'http://127.0.0.1:1/v1.0/p1',
        'RegionTwo': 'http://127.0.0.1:2/v1.0/p1'}


def test_plain_url_serves_every_region_and_region_entries_override():
    assert localcloud_cmd.database_urls(['http://h:8779/x']) == \
        'http://h:8779/x'
    assert localcloud_cmd.database_urls(
        ['http://h:8779/x', 'RegionTwo=http://h:9/x']) == {
            None: 'http://h:8779/x', 'RegionTwo': 'http://h:9/x'}
    assert localcloud_cmd.database_urls(None) is None
