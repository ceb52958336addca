"""Clusters through the openstack CLI, and a member that fails to build.
"""

import json
import os
import subprocess
import sys

from tests.functional.api import helpers as api_helpers
from tests.functional.cluster import helpers


def _openstack(system, *args):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    done = subprocess.run(
        [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
         'database', 'cluster'] + list(args) + ['-f', 'json'],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _delete_and_wait(session, url):
    answer = api_helpers.request(session, 'DELETE', url)
    assert answer.status_code == 202, answer.text
    helpers.wait_gone(session, url)


def test_openstack_cli_creates_a_cluster_with_members_in_region_two(
        system):
    member = 'flavor=m1.redis,volume=1,region=RegionTwo'
    created = _openstack(system, 'create', 'cli-cluster', 'redis', '7.0',
                         '--instance', member, '--instance', member)
    session = system.session('demo')
    url = helpers.clusters_url(system, session, '/' + created['id'])
    try:
        view = helpers.wait_ready(session, url)
        assert [m['region'] for m in view['instances']] == ['RegionTwo'] * 2
        assert helpers.cluster_info(
            view['ip'][0], _password(system, created['id']))[
                'cluster_slots_assigned'] == 16384
        shown = _openstack(system, 'show', created['id'])
        assert shown['task_name'] == 'NONE'
    finally:
        _delete_and_wait(session, url)


def _password(system, cluster_id):
    # The CLI does not print the create answer's password; the system's
    # own configuration derives the same one.
    from trove_mr.cluster.redis import password
    from trove_mr.common import cfg
    key = system.config()['DEFAULT']['cluster_password_encr_key']
    cfg.CONF.set_override('cluster_password_encr_key', key)
    try:
        return password.derived_cluster_password(cluster_id)
    finally:
        cfg.CONF.clear_override('cluster_password_encr_key')


def test_member_failing_to_build_leaves_cluster_failed_and_deletable(
        system):
    session = system.session('demo')
    system.cloud.set_fault('RegionTwo', fail_next_servers=1)
    answer = api_helpers.request(
        session, 'POST', helpers.clusters_url(system, session),
        {'cluster': {'name': 'doomed', 'instances': [
            {'flavorRef': '7', 'volume': {'size': 1}},
            {'flavorRef': '7', 'volume': {'size': 1},
             'region': 'RegionTwo'}]}})
    assert answer.status_code == 202, answer.text
    created = answer.json()['cluster']
    url = helpers.clusters_url(system, session, '/' + created['id'])
    try:
        view = helpers.wait_task(session, url, 'FAILED')
        by_region = {m['region']: m for m in view['instances']}
        assert by_region['RegionTwo']['status'] == 'ERROR'
        grow = api_helpers.request(session, 'POST', url + '/action', {
            'grow': [{'flavorRef': '7', 'volume': {'size': 1}}]})
        assert grow.status_code == 409
        assert 'FAILED' in grow.json()['conflict']['message']
    finally:
        system.cloud.clear_faults()
        _delete_and_wait(session, url)
    assert api_helpers.named(
        api_helpers.service_nova(system, 'RegionOne').servers.list(),
        by_region['RegionOne']['id']) == []
