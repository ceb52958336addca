"""Limits and quotas end to end: python-troveclient as a tenant and as
an admin, and the openstack CLI, against the running system."""

import json
import os
import subprocess
import sys
import time

import pytest
from troveclient import exceptions as trove_exc

from tests.functional.api import helpers

# The system's configured default (DevEnv: max_instances_per_tenant).
DEFAULT_INSTANCES = 30


def _absolute(trove):
    limits = trove.limits.list()
    absolute = [limit for limit in limits if limit.verb == 'ABSOLUTE']
    assert len(absolute) == 1
    return absolute[0]._info


def _quotas(admin, project_id):
    return {q.resource: q._info for q in admin.quota.show(project_id)}


def _openstack(system, cloud, *args, output='json'):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=system.write_client_files())
    cli = os.path.join(os.path.dirname(sys.executable), 'openstack')
    done = subprocess.run(
        [cli, '--os-cloud', cloud, '--os-region-name', 'RegionOne',
         'database'] + list(args) + ['-f', output],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if output == 'json' else done.stdout


def _wait_active(trove, instance_id, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = trove.instances.get(instance_id)
        if shown.status == 'ACTIVE':
            return shown
        assert shown.status != 'ERROR', shown._info
        time.sleep(0.5)
    raise AssertionError('instance %s never became ACTIVE' % instance_id)


def _delete(trove, instance_id):
    trove.instances.delete(instance_id)
    # Generous: a delete asked during the build waits for the build.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            trove.instances.get(instance_id)
        except trove_exc.NotFound:
            return
        time.sleep(0.5)
    raise AssertionError('instance %s was not deleted' % instance_id)


@pytest.fixture(scope='module')
def alt_instance(system):
    """An ACTIVE instance of alt_demo, counted in its usage."""
    alt = system.trove('alt_demo')
    created = alt.instances.create('quota-alt', '7', volume={'size': 2})
    try:
        yield _wait_active(alt, created.id)
    finally:
        _delete(alt, created.id)


def test_limits_count_what_a_create_uses(system):
    demo = system.trove('demo')
    before = _absolute(demo)
    assert before['max_instances'] == DEFAULT_INSTANCES
    created = demo.instances.create('limits-demo', '7', volume={'size': 2})
    try:
        after = _absolute(demo)
        assert after['used_instances'] == before['used_instances'] + 1
        assert after['used_volumes'] == before['used_volumes'] + 2
    finally:
        _delete(demo, created.id)
    assert _absolute(demo)['used_instances'] == before['used_instances']


def test_quota_update_lowers_the_limit_and_a_create_past_it_is_413(
        system, alt_instance):
    admin, alt = system.trove('admin'), system.trove('alt_demo')
    project = system.session('alt_demo').get_project_id()
    used = _quotas(admin, project)['instances']['in_use']
    assert used >= 1
    try:
        assert admin.quota.update(project, {'instances': used}) == {
            'instances': used}
        shown = _quotas(admin, project)
        assert shown['instances']['limit'] == used
        assert _absolute(alt)['max_instances'] == used
        servers = len(helpers.service_nova(system, 'RegionOne')
                      .servers.list())
        listed = [i.id for i in alt.instances.list()]
        with pytest.raises(trove_exc.RequestEntityTooLarge) as raised:
            alt.instances.create('over-quota', '7', volume={'size': 1})
        assert 'instances' in str(raised.value)
        # Nothing was left behind: no row, no server, no usage.
        assert [i.id for i in alt.instances.list()] == listed
        assert len(helpers.service_nova(system, 'RegionOne')
                   .servers.list()) == servers
        assert _quotas(admin, project)['instances']['in_use'] == used
    finally:
        admin.quota.update(project, {'instances': DEFAULT_INSTANCES})
    assert _quotas(admin, project)['instances']['limit'] == \
        DEFAULT_INSTANCES


def test_quota_calls_are_forbidden_to_tenants(system):
    demo = system.trove('demo')
    project = system.session('demo').get_project_id()
    with pytest.raises(trove_exc.Forbidden):
        demo.quota.show(project)
    with pytest.raises(trove_exc.Forbidden):
        demo.quota.update(project, {'instances': 1000})


def test_cli_limit_list_quota_show_update_and_all_projects_list(
        system, alt_instance):
    # The CLI prints the absolute limits as a table of its own before
    # the (empty) list of rate limits.
    printed = _openstack(system, 'alt_demo', 'limit', 'list',
                         output='value')
    assert 'max_instances' in printed and 'used_instances' in printed
    assert 'ABSOLUTE' in printed
    project = system.session('alt_demo').get_project_id()
    shown = {row['Resource']: row
             for row in _openstack(system, 'admin', 'quota', 'show',
                                   project)}
    assert shown['instances']['In Use'] >= 1
    assert shown['volumes']['In Use'] >= 2
    updated = _openstack(system, 'admin', 'quota', 'update', project,
                         'backups', '7')
    assert updated == {'backups': 7}
    assert _quotas(system.trove('admin'), project)['backups']['limit'] == 7
    _openstack(system, 'admin', 'quota', 'update', project, 'backups',
               '50')
    listed = {row['ID']: row for row in _openstack(
        system, 'admin', 'instance', 'list', '--all-projects')}
    assert listed[alt_instance.id]['Tenant ID'] == project
    assert listed[alt_instance.id]['Server ID']
    assert listed[alt_instance.id]['Operating Status'] == 'HEALTHY'
