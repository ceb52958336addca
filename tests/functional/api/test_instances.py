"""Instances end to end through the running system: python-troveclient
and raw HTTP against trove-mr-api, real guests and redis-server."""

import concurrent.futures
import uuid

import jsonschema
import pytest
import redis

from tests.functional.api import helpers
from trove_mr.api.schemas import instances as schemas


def _redis_answers(view, password):
    client = redis.Redis(host=view['ip'][0], port=6379, password=password,
                         socket_timeout=5)
    try:
        key = 'k-%s' % uuid.uuid4().hex
        client.set(key, 'v')
        return client.get(key) == b'v'
    finally:
        client.close()


def _delete_and_check_cloud(system, session, instance_url, view):
    region = view['region']
    answer = helpers.request(session, 'DELETE', instance_url)
    assert answer.status_code == 202
    helpers.wait_gone(session, instance_url)
    servers = helpers.service_nova(system, region).servers.list()
    volumes = helpers.service_cinder(system, region).volumes.list()
    assert helpers.named(servers, view['id']) == []
    assert helpers.named(volumes, view['id']) == []


def test_troveclient_creates_in_region_one_and_it_answers_redis(system):
    trove = system.trove('demo')
    created = trove.instances.create('tc-one', '7', volume={'size': 1})
    assert created.region == 'RegionOne'
    password = created.password
    session = system.session('demo')
    instance_url = helpers.url(system, session, '/instances/' + created.id)
    view = helpers.wait_status(session, instance_url, 'ACTIVE')
    shown = trove.instances.get(created.id)
    assert shown.status == 'ACTIVE' and shown.region == 'RegionOne'
    assert shown.ip == view['ip']
    assert _redis_answers(view, password)
    listed = {i.id: i for i in trove.instances.list()}
    assert listed[created.id].region == 'RegionOne'
    assert len(helpers.named(
        helpers.service_nova(system, 'RegionOne').servers.list(),
        created.id)) == 1
    _delete_and_check_cloud(system, session, instance_url, view)


def test_raw_http_creates_in_region_two_and_delete_cleans_region_two(
        system):
    session = system.session('demo')
    answer = helpers.request(
        session, 'POST', helpers.url(system, session, '/instances'),
        {'instance': {'name': 'http-two', 'flavorRef': '7',
                      'volume': {'size': 1}, 'region': 'RegionTwo'}})
    assert answer.status_code == 202, answer.text
    jsonschema.validate(answer.json(), schemas.SHOW_RESPONSE)
    created = answer.json()['instance']
    assert created['region'] == 'RegionTwo'
    instance_url = helpers.url(system, session,
                               '/instances/' + created['id'])
    view = helpers.wait_status(session, instance_url, 'ACTIVE')
    jsonschema.validate({'instance': view}, schemas.SHOW_RESPONSE)
    assert view['region'] == 'RegionTwo'
    servers = helpers.service_nova(system, 'RegionTwo').servers.list()
    assert len(helpers.named(servers, created['id'])) == 1
    assert helpers.named(
        helpers.service_nova(system, 'RegionOne').servers.list(),
        created['id']) == []
    assert _redis_answers(view, created['password'])
    _delete_and_check_cloud(system, session, instance_url, view)


def test_another_tenant_gets_404_for_an_instance_and_a_project(system):
    demo = system.session('demo')
    answer = helpers.request(
        demo, 'POST', helpers.url(system, demo, '/instances'),
        {'instance': {'name': 'mine', 'flavorRef': '7',
                      'volume': {'size': 1}}})
    assert answer.status_code == 202
    instance_id = answer.json()['instance']['id']
    alt = system.session('alt_demo')
    try:
        for path in ('/instances/%s' % instance_id,):
            assert helpers.request(
                alt, 'GET', helpers.url(system, alt, path)).status_code == 404
            assert helpers.request(
                alt, 'DELETE',
                helpers.url(system, alt, path)).status_code == 404
        demo_url = helpers.url(system, demo, '/instances')
        assert helpers.request(alt, 'GET', demo_url).status_code == 404
        alt_list = system.trove('alt_demo').instances.list()
        assert instance_id not in [i.id for i in alt_list]
    finally:
        helpers.request(demo, 'DELETE', helpers.url(
            system, demo, '/instances/%s' % instance_id))


def test_troveclient_lists_flavors_per_region_and_datastores(system):
    trove = system.trove('demo')
    names = {f.name for f in trove.flavors.list()}
    assert {'m1.tiny', 'm1.redis'} <= names
    assert trove.flavors.get('7').name == 'm1.redis'
    session = system.session('demo')
    answer = helpers.request(session, 'GET', helpers.url(
        system, session, '/flavors?region=RegionTwo'))
    assert {f['region'] for f in answer.json()['flavors']} == {'RegionTwo'}
    (redis_ds,) = [d for d in trove.datastores.list() if d.name == 'redis']
    versions = trove.datastore_versions.list('redis')
    # 7.2 is the upgrade target every DevEnv registers beside 7.0.
    assert [v.name for v in versions] == ['7.0', '7.2']
    assert redis_ds.default_version == versions[0].id


@pytest.fixture
def region_db(system):
    """This process's DB API pointed at the system's databases."""
    from trove_mr.common import cfg
    from trove_mr.db import engines
    conf = cfg.CONF
    conf.set_override('connection', system.db_url('trove_mr.sqlite'),
                      group='database')
    conf.set_override('connection', system.db_url('trove_mr_api.sqlite'),
                      group='api_database')
    yield
    engines.dispose_all()
    conf.clear_override('connection', group='database')
    conf.clear_override('connection', group='api_database')


def test_pagination_over_25_instances_returns_each_once(system, region_db):
    from trove_mr.common import context as trove_context
    from trove_mr.db.main import api as db_api
    ctx = trove_context.get_admin_context()
    tenant = 'pages-%s' % uuid.uuid4().hex[:8]
    version = db_api.datastore_version_get_default(ctx, 'redis')
    ids = [db_api.instance_create(ctx, {
        'name': 'p%02d' % n, 'tenant_id': tenant, 'region_name': 'RegionOne',
        'flavor_id': '7', 'volume_size': 1,
        'datastore_version_id': version.id}).id for n in range(25)]
    admin = system.session('admin')
    try:
        seen, pages = [], 0
        next_url = '%s/v1.0/%s/instances?limit=10' % (system.api_url,
                                                      tenant)
        while next_url:
            answer = helpers.request(admin, 'GET', next_url)
            assert answer.status_code == 200, answer.text
            jsonschema.validate(answer.json(), schemas.LIST_RESPONSE)
            seen += [i['id'] for i in answer.json()['instances']]
            pages += 1
            nexts = [link['href'] for link in answer.json().get('links', [])
                     if link['rel'] == 'next']
            next_url = nexts[0] if nexts else None
        assert pages == 3
        assert seen == ids
    finally:
        for instance_id in ids:
            db_api.instance_soft_delete(ctx, instance_id)


def test_20_concurrent_creates_against_a_quota_of_5_create_5(
        system, region_db):
    from trove_mr.common import context as trove_context
    from trove_mr.db.api import api as api_db
    ctx = trove_context.get_admin_context()
    tenant = 'quota-%s' % uuid.uuid4().hex[:8]
    api_db.quota_set(ctx, tenant, 'instances', 5)
    admin = system.session('admin')
    base = '%s/v1.0/%s/instances' % (system.api_url, tenant)
    body = {'instance': {'name': 'q', 'flavorRef': '1',
                         'volume': {'size': 1}}}

    def create(_):
        return helpers.request(admin, 'POST', base, body)

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(create, range(20)))
    created = [a.json()['instance']['id'] for a in answers
               if a.status_code == 202]
    try:
        codes = sorted(a.status_code for a in answers)
        assert codes == [202] * 5 + [413] * 15, codes
        refused = [a.json() for a in answers if a.status_code == 413]
        assert 'at most 5 instances' in refused[0]['overLimit']['message']
        listed = helpers.request(admin, 'GET', base).json()['instances']
        assert sorted(i['id'] for i in listed) == sorted(created)
    finally:
        for instance_id in created:
            helpers.request(admin, 'DELETE', '%s/%s' % (base, instance_id))
        api_db.quota_set(ctx, tenant, 'instances', None)


def test_openstack_cli_creates_in_region_two_and_lists_it(system):
    import json
    import os
    import subprocess
    import sys
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')

    def openstack(*args):
        return json.loads(subprocess.run(
            [cli, '--os-cloud', 'demo', '--os-region-name', 'RegionOne',
             'database', 'instance'] + list(args) + ['-f', 'json'],
            env=env, check=True, capture_output=True, text=True,
            timeout=120).stdout)

    created = openstack('create', 'cli-two', '--flavor', 'm1.redis',
                        '--size', '1', '--region', 'RegionTwo')
    session = system.session('demo')
    instance_url = helpers.url(system, session,
                               '/instances/' + created['id'])
    try:
        assert created['region'] == 'RegionTwo'
        helpers.wait_status(session, instance_url, 'ACTIVE')
        listed = {i['ID']: i for i in openstack('list')}
        assert listed[created['id']]['Status'] == 'ACTIVE'
    finally:
        helpers.request(session, 'DELETE', instance_url)
