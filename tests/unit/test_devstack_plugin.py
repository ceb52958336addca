"""devstack/plugin.sh, phase by phase, with devstack's functions stubbed.

Each stub prints its call; a test runs one phase and reads what the plugin
asked devstack to do.
"""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))

STUBS = r'''
DEST=/opt/stack DATA_DIR=/opt/stack/data REGION_NAME=RegionOne
SERVICE_PROTOCOL=http SERVICE_HOST=10.0.0.5 SERVICE_PASSWORD=pw
SERVICE_PROJECT_NAME=service KEYSTONE_SERVICE_URI=http://10.0.0.5/identity
STACK_USER=stack TEMPEST_CONFIG=/opt/stack/tempest/etc/tempest.conf
DATABASE_USER=root DATABASE_PASSWORD=dbpw MYSQL_HOST=127.0.0.1
function trueorfalse { local v=${!2:-$1}; [[ $v =~ ^(True|true|1)$ ]] \
    && echo True || echo False; }
function is_service_enabled {
    for s in "$@"; do [[ " $ENABLED " == *" $s "* ]] && return 0; done
    return 1; }
for f in enable_service iniset recreate_database create_service_user \
    get_or_create_service get_or_create_endpoint setup_develop run_process \
    stop_process configure_keystone_authtoken_middleware sudo mysql psql \
    openstack trove-mr-manage; do
    eval "function $f { echo \"$f \$*\"; }"
done
function get_python_exec_prefix { echo /usr/local/bin; }
function get_transport_url { echo rabbit://stackrabbit:pw@10.0.0.5:5672/; }
function database_connection_url {
    echo mysql+pymysql://root:dbpw@127.0.0.1/$1; }
function openssl { echo 00112233445566778899aabbccddeeff; }
'''


def _phase(*phase, env=None, enabled='trove-mr-api mysql tempest'):
    script = STUBS + '\nENABLED="%s"\n' % enabled + (
        'source devstack/settings\nset -- %s\nsource devstack/plugin.sh\n'
        % ' '.join(phase))
    done = subprocess.run(['bash', '-c', script], cwd=ROOT,
                          capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, **(env or {})))
    assert done.returncode == 0, done.stderr
    # settings enables the plugin's services: not a phase's work.
    return [c for c in done.stdout.splitlines()
            if not c.startswith('enable_service')]


def test_post_config_uses_the_service_user_variable_everywhere():
    calls = _phase('stack', 'post-config',
                   env={'TROVE_MR_SERVICE_USER': 'dbaas'})
    assert 'create_service_user dbaas admin' in calls
    assert 'configure_keystone_authtoken_middleware ' \
        '/etc/trove-mr/trove-mr.conf dbaas' in calls
    assert 'iniset /etc/trove-mr/trove-mr.conf service_credentials ' \
        'username dbaas' in calls
    assert not [c for c in calls if c.endswith(' trove')]


def test_extra_builds_databases_registers_redis_and_starts_services():
    calls = _phase('stack', 'extra')
    assert 'recreate_database trove_mr' in calls
    assert 'recreate_database trove_mr_api' in calls
    assert any(c.startswith('trove-mr-manage --config-file '
                            '/etc/trove-mr/trove-mr.conf db sync')
               for c in calls)
    started = [c.split()[1] for c in calls if c.startswith('run_process')]
    assert started == ['trove-mr-api', 'trove-mr-tmgr', 'trove-mr-cond']
    assert not [c for c in calls if 'image create' in c]


def test_extra_uploads_a_given_guest_image_to_every_region():
    calls = _phase('stack', 'extra', env={
        'TROVE_MR_GUEST_IMAGE_FILE': '/tmp/guest.qcow2',
        'TROVE_MR_REGIONS': 'RegionOne RegionTwo'})
    uploads = [c for c in calls if 'image create' in c]
    assert len(uploads) == 2
    for region, call in zip(('RegionOne', 'RegionTwo'), uploads, strict=True):
        assert '--os-region-name %s ' % region in call
        assert '--file /tmp/guest.qcow2' in call
        assert '--tag trove --tag redis' in call


def test_test_config_writes_tempest_options_for_redis():
    calls = _phase('stack', 'test-config')
    tempest = [c.split(' ', 2)[2] for c in calls
               if c.startswith('iniset /opt/stack/tempest/etc/tempest.conf')]
    assert 'service_available trove True' in tempest
    assert 'database enabled_datastores redis' in tempest
    assert 'database default_datastore_versions redis:7.0' in tempest
    assert 'database db_flavor_ref d2' in tempest


def test_test_config_without_tempest_writes_nothing():
    assert _phase('stack', 'test-config', enabled='trove-mr-api') == []


def test_clean_removes_configuration_and_drops_both_databases():
    calls = _phase('clean')
    assert 'sudo rm -rf /etc/trove-mr /opt/stack/data/trove-mr' in calls
    drops = [c for c in calls if c.startswith('mysql') and 'DROP' in c]
    assert [d.split('DROP DATABASE IF EXISTS ')[1] for d in drops] == [
        'trove_mr;', 'trove_mr_api;']


def test_unstack_stops_every_service():
    calls = _phase('unstack')
    assert [c.split()[1] for c in calls if c.startswith('stop_process')] \
        == ['trove-mr-api', 'trove-mr-tmgr', 'trove-mr-cond']
