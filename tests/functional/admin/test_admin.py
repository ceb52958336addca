"""The admin (/mgmt) API, operating_status and access end to end:
python-troveclient as an admin and as two tenants against the running
system, real guests and redis-server."""

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from troveclient import exceptions as trove_exc

from tests.functional.api import helpers

TIMEOUT = 180


def _wait(trove, instance_id, wanted, field='status', timeout=TIMEOUT,
          refuse=('ERROR',)):
    deadline = time.monotonic() + timeout
    shown = None
    while time.monotonic() < deadline:
        shown = trove.instances.get(instance_id)
        value = getattr(shown, field, None)
        if value == wanted:
            return shown
        assert shown.status not in refuse, shown._info
        time.sleep(0.5)
    raise AssertionError('%s stayed %s, wanted %s' % (
        field, shown and getattr(shown, field, None), wanted))


def _redis(shown, password):
    return redis.Redis(host=shown.ip[0], port=6379, password=password,
                       socket_timeout=5, decode_responses=True)


def _put(shown, password, key):
    """Write ``key`` = 'kept' to the instance's Redis."""
    client = _redis(shown, password)
    try:
        client.set(key, 'kept')
    finally:
        client.close()


def _kept(shown, password, key):
    """Whether ``key`` still reads 'kept' from the instance's Redis."""
    client = _redis(shown, password)
    try:
        return client.get(key) == 'kept'
    finally:
        client.close()


def _delete(trove, instance_id):
    try:
        trove.instances.delete(instance_id)
    except trove_exc.NotFound:
        return
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            trove.instances.get(instance_id)
        except trove_exc.NotFound:
            return
        time.sleep(0.5)


def _openstack(system, cloud, *args, json_output=True):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    extra = ['-f', 'json'] if json_output else []
    done = subprocess.run(
        [cli, '--os-cloud', cloud, '--os-region-name', 'RegionOne',
         'database'] + list(args) + extra,
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if json_output else done.stdout


@pytest.fixture(scope='module')
def instances(system):
    """demo's instance in RegionOne (public from one CIDR), alt_demo's
    in RegionTwo and one of the admin's own project, all ACTIVE; deleted
    after the module."""
    demo, alt = system.trove('demo'), system.trove('alt_demo')
    admin = system.trove('admin')
    mine = demo.instances.create(
        'admin-demo', '7', volume={'size': 1}, region_name='RegionOne',
        access={'is_public': True, 'allowed_cidrs': ['10.20.0.0/16']})
    theirs = alt.instances.create('admin-alt', '7', volume={'size': 1},
                                  region_name='RegionTwo')
    own = admin.instances.create('admin-own', '7', volume={'size': 1})
    try:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            shown = list(pool.map(
                lambda pair: _wait(pair[0], pair[1].id, 'ACTIVE'),
                [(demo, mine), (alt, theirs), (admin, own)]))
        yield {'demo': (mine, shown[0]), 'alt': (theirs, shown[1]),
               'admin': (own, shown[2])}
    finally:
        _delete(demo, mine.id)
        _delete(alt, theirs.id)
        _delete(admin, own.id)


def test_mgmt_list_shows_both_projects_and_regions_with_hosts(
        system, instances):
    admin = system.trove('admin')
    listed = {i.id: i for i in admin.mgmt_instances.list(limit=100)}
    mine, theirs = instances['demo'][0], instances['alt'][0]
    assert {mine.id, theirs.id} <= set(listed)
    demo_project = system.session('demo').get_project_id()
    alt_project = system.session('alt_demo').get_project_id()
    assert listed[mine.id].tenant_id == demo_project
    assert listed[theirs.id].tenant_id == alt_project
    assert listed[mine.id].region == 'RegionOne'
    assert listed[theirs.id].region == 'RegionTwo'
    assert listed[mine.id].host == 'localcloud-regionone'
    assert listed[theirs.id].host == 'localcloud-regiontwo'
    nova_two = helpers.service_nova(system, 'RegionTwo')
    server = helpers.named(nova_two.servers.list(), theirs.id)[0]
    assert listed[theirs.id].server_id == server.id


def test_mgmt_calls_are_forbidden_to_tenants(system, instances):
    demo = system.trove('demo')
    with pytest.raises(trove_exc.Forbidden):
        demo.mgmt_instances.list()
    with pytest.raises(trove_exc.Forbidden):
        demo.mgmt_instances.show(instances['demo'][0].id)
    with pytest.raises(trove_exc.Forbidden):
        demo.mgmt_instances.reboot(instances['demo'][0].id)
    with pytest.raises(trove_exc.Forbidden):
        demo.instances.reset_status(instances['demo'][0].id)


def test_mgmt_show_names_server_and_volume(system, instances):
    theirs = instances['alt'][0]
    shown = system.trove('admin').mgmt_instances.show(theirs.id)
    nova = helpers.service_nova(system, 'RegionTwo')
    cinder = helpers.service_cinder(system, 'RegionTwo')
    server = helpers.named(nova.servers.list(), theirs.id)[0]
    volume = helpers.named(cinder.volumes.list(), theirs.id)[0]
    assert shown.server_id == server.id
    assert shown.server['status'] == 'ACTIVE'
    assert shown.host == 'localcloud-regiontwo'
    assert shown.volume['id'] == volume.id == shown.volume_id
    assert shown.region == 'RegionTwo'


def test_access_is_stored_shown_updated_and_a_bad_cidr_is_400(
        system, instances):
    demo = system.trove('demo')
    mine = instances['demo'][0]
    assert demo.instances.get(mine.id).access == {
        'is_public': True, 'allowed_cidrs': ['10.20.0.0/16']}
    demo.instances.update(mine.id, is_public=False)
    assert demo.instances.get(mine.id).access == {
        'is_public': False, 'allowed_cidrs': ['10.20.0.0/16']}
    with pytest.raises(trove_exc.BadRequest) as raised:
        demo.instances.update(mine.id, allowed_cidrs=['10.20.0.0/40'])
    assert '10.20.0.0/40' in str(raised.value)
    assert demo.instances.get(mine.id).access['allowed_cidrs'] == [
        '10.20.0.0/16']


def _run_id(shown, password):
    client = _redis(shown, password)
    try:
        return client.info('server')['run_id']
    except redis.RedisError:
        return None
    finally:
        client.close()


def test_killed_redis_comes_back_alone_then_reboot_restarts_redis(
        system, instances):
    """HEALTHY while Redis answers; a killed redis-server is started
    again by the guest agent without any user action, the instance
    ACTIVE and HEALTHY again and the restart shown to admins only; an
    admin reboot then brings a new redis-server (new run_id) too."""
    demo, admin = system.trove('demo'), system.trove('admin')
    mine, created = instances['demo'][0], instances['demo'][1]
    shown = _wait(demo, mine.id, 'HEALTHY', field='operating_status')
    client = _redis(shown, mine.password)
    client.set('kept', 'yes')
    client.save()
    info = client.info('server')
    run_id, pid = info['run_id'], info['process_id']
    client.close()
    assert 'datastore_restarts' not in \
        admin.mgmt_instances.show(mine.id)._info
    # The redis-server's own pid, as it reports it: never a name lookup.
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while _run_id(shown, mine.password) in (None, run_id):
        assert time.monotonic() < deadline, 'redis-server not back'
        time.sleep(0.2)
    deadline = time.monotonic() + 60
    while True:
        restarts = admin.mgmt_instances.show(mine.id)._info.get(
            'datastore_restarts')
        if restarts:
            break
        assert time.monotonic() < deadline, 'restart not shown to admins'
        time.sleep(0.5)
    assert restarts['count'] == 1
    assert restarts['last_restart_reason'] == 'killed by SIGKILL'
    assert restarts['last_restart_at']
    shown = _wait(demo, mine.id, 'ACTIVE', refuse=())
    shown = _wait(demo, mine.id, 'HEALTHY', field='operating_status')
    assert 'datastore_restarts' not in demo.instances.get(mine.id)._info
    run_id = _run_id(shown, mine.password)
    admin.mgmt_instances.reboot(mine.id)
    assert demo.instances.get(mine.id).status in ('REBOOT', 'ACTIVE')
    shown = _wait(demo, mine.id, 'ACTIVE', refuse=())
    shown = _wait(demo, mine.id, 'HEALTHY', field='operating_status')
    client = _redis(shown, mine.password)
    try:
        assert client.info('server')['run_id'] != run_id
        assert client.get('kept') == 'yes'
    finally:
        client.close()
    assert created.id == mine.id


def test_reset_status_and_reset_task_status(system, instances):
    """An admin resets another project's instance through the admin's
    own URL: ERROR until its guest reports again, nothing deleted."""
    alt, admin = system.trove('alt_demo'), system.trove('admin')
    theirs = instances['alt'][0]
    admin.instances.reset_status(theirs.id)
    assert alt.instances.get(theirs.id).status == 'ERROR'
    # Still there, and its guest's next heartbeat shows it running.
    _wait(alt, theirs.id, 'ACTIVE', refuse=())
    admin.mgmt_instances.reset_task_status(theirs.id)
    assert alt.instances.get(theirs.id).status == 'ACTIVE'
    with pytest.raises(trove_exc.NotFound):
        admin.mgmt_instances.show('no-such-instance')


def test_cli_update_access_reset_status_and_force_delete(
        system, instances):
    mine = instances['demo'][0]
    _openstack(system, 'demo', 'instance', 'update', mine.id,
               '--is-public', '--allowed-cidr', '10.30.0.0/16',
               json_output=False)
    shown = _openstack(system, 'demo', 'instance', 'show', mine.id)
    assert shown['public'] is True
    assert shown['allowed_cidrs'] == ['10.30.0.0/16']
    assert shown['operating_status'] in ('HEALTHY', 'UNHEALTHY', 'BUILD')
    # An admin resets another project's instance by id, as in Trove.
    theirs = instances['alt'][0]
    _openstack(system, 'admin', 'instance', 'reset', 'status', theirs.id,
               json_output=False)
    alt = system.trove('alt_demo')
    assert alt.instances.get(theirs.id).status in ('ERROR', 'ACTIVE')
    _wait(alt, theirs.id, 'ACTIVE', refuse=())
    own = instances['admin'][0]
    admin = system.trove('admin')
    _openstack(system, 'admin', 'instance', 'force', 'delete', own.id,
               json_output=False)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            admin.instances.get(own.id)
        except trove_exc.NotFound:
            break
        time.sleep(0.5)
    else:
        raise AssertionError('force delete left instance %s' % own.id)


def test_admin_rebuilds_a_server_from_an_image_keeping_its_data(
        system, instances):
    """``openstack database instance rebuild`` (mgmt ``rebuild``): the
    same server is rebuilt from the image named, a new guest and
    redis-server start on the kept volume; bad images and tenants are
    refused, nothing changed."""
    from glanceclient import client as glance_client

    from tests.fixtures import devenv
    demo, admin = system.trove('demo'), system.trove('admin')
    mine = instances['demo'][0]
    shown = _wait(demo, mine.id, 'ACTIVE', refuse=())
    client = _redis(shown, mine.password)
    try:
        client.set('before-rebuild', 'kept')
        client.save()
    finally:
        client.close()
    run_id = _run_id(shown, mine.password)
    server_before = admin.mgmt_instances.show(mine.id)._info['server']['id']
    glance = glance_client.Client('2', session=system.session('admin'),
                                  region_name='RegionOne')
    (image,) = list(glance.images.list(
        filters={'name': devenv.IMAGE_NAME}))

    url = helpers.url(system, system.session('admin'),
                      '/mgmt/instances/%s/action' % mine.id)
    bad = helpers.request(system.session('admin'), 'POST', url,
                          {'rebuild': {'image_id': 'no-such-image'}})
    assert bad.status_code == 400, bad.text
    assert 'rebuild.image_id' in bad.json()['badRequest']['message']
    with pytest.raises(trove_exc.Forbidden):
        demo.mgmt_instances.rebuild(mine.id, image['id'])
    assert demo.instances.get(mine.id).status == 'ACTIVE'

    _openstack(system, 'admin', 'instance', 'rebuild', mine.id,
               image['id'], json_output=False)
    assert demo.instances.get(mine.id).status in ('REBUILD', 'ACTIVE')
    shown = _wait(demo, mine.id, 'ACTIVE', refuse=('ERROR',))
    shown = _wait(demo, mine.id, 'HEALTHY', field='operating_status')
    assert admin.mgmt_instances.show(mine.id)._info['server']['id'] == \
        server_before
    assert _run_id(shown, mine.password) != run_id
    assert _kept(shown, mine.password, 'before-rebuild')


def test_admin_stops_redis_which_stays_stopped_until_a_restart(
        system, instances):
    """python-troveclient's ``mgmt_instances.stop``: the instance shows
    SHUTDOWN and Redis no longer answers; an admin reboot of the server
    leaves it stopped (the task still ends); the tenant's restart brings
    it back with its data. Tenants get 403."""
    demo, admin = system.trove('demo'), system.trove('admin')
    theirs = instances['alt'][0]
    alt = system.trove('alt_demo')
    shown = _wait(alt, theirs.id, 'ACTIVE', refuse=())
    _put(shown, theirs.password, 'before-stop')
    with pytest.raises(trove_exc.Forbidden):
        alt.mgmt_instances.stop(theirs.id)
    with pytest.raises(trove_exc.Forbidden):
        demo.mgmt_instances.stop(theirs.id)
    assert alt.instances.get(theirs.id).status == 'ACTIVE'

    admin.mgmt_instances.stop(theirs.id)
    shown = _wait(alt, theirs.id, 'SHUTDOWN', field='operating_status')
    assert shown.status == 'SHUTDOWN'
    assert admin.mgmt_instances.show(theirs.id)._info['task_description']
    with pytest.raises(redis.ConnectionError):
        _redis(shown, theirs.password).ping()

    admin.mgmt_instances.reboot(theirs.id)
    _wait(alt, theirs.id, 'REBOOT', refuse=())
    deadline = time.monotonic() + TIMEOUT
    while alt.instances.get(theirs.id).status == 'REBOOT':
        assert time.monotonic() < deadline, 'reboot of a stopped instance'
        time.sleep(0.5)
    shown = alt.instances.get(theirs.id)
    assert (shown.status, shown.operating_status) == ('SHUTDOWN',
                                                      'SHUTDOWN')
    with pytest.raises(redis.ConnectionError):
        _redis(shown, theirs.password).ping()

    alt.instances.restart(theirs.id)
    shown = _wait(alt, theirs.id, 'ACTIVE', refuse=('ERROR',))
    shown = _wait(alt, theirs.id, 'HEALTHY', field='operating_status')
    assert _kept(shown, theirs.password, 'before-stop')


def test_admin_migrates_a_server_to_another_host_keeping_its_data(
        system, instances):
    """python-troveclient's ``mgmt_instances.migrate``: the same server
    moves to the region's other compute host (Nova picks it, or the one
    named), Redis stopped and started again around the move, the data
    kept; a host the region does not have, or the one it runs on, is a
    400 that changes nothing; tenants get 403."""
    admin, alt = system.trove('admin'), system.trove('alt_demo')
    theirs = instances['alt'][0]
    shown = _wait(alt, theirs.id, 'ACTIVE', refuse=())
    _put(shown, theirs.password, 'before-migrate')
    before = admin.mgmt_instances.show(theirs.id)._info
    address = shown.ip
    with pytest.raises(trove_exc.Forbidden):
        alt.mgmt_instances.migrate(theirs.id)

    admin.mgmt_instances.migrate(theirs.id)
    assert alt.instances.get(theirs.id).status in ('MIGRATE', 'ACTIVE')
    shown = _wait(alt, theirs.id, 'ACTIVE', refuse=('ERROR',))
    shown = _wait(alt, theirs.id, 'HEALTHY', field='operating_status')
    after = admin.mgmt_instances.show(theirs.id)._info
    assert after['server']['id'] == before['server']['id']
    assert after['host'] != before['host']
    assert after['host'].startswith('localcloud-regiontwo')
    assert shown.ip == address
    assert _kept(shown, theirs.password, 'before-migrate')

    for host in ('no-such-host', after['host']):
        with pytest.raises(trove_exc.BadRequest, match='migrate.host'):
            admin.mgmt_instances.migrate(theirs.id, host=host)
    unchanged = admin.mgmt_instances.show(theirs.id)._info
    assert (unchanged['status'], unchanged['host']) == ('ACTIVE',
                                                        after['host'])
    admin.mgmt_instances.migrate(theirs.id, host=before['host'])
    _wait(alt, theirs.id, 'ACTIVE', refuse=('ERROR',))
    _wait(alt, theirs.id, 'HEALTHY', field='operating_status')
    assert admin.mgmt_instances.show(theirs.id)._info['host'] == \
        before['host']
