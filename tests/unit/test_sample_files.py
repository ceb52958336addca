"""The generated configuration and policy samples stay complete."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
BIN = os.path.dirname(sys.executable)

# Every option running-in-production.rst, redis-clustering.rst and
# doc/notifications.rst name.
REQUIRED = {
    'DEFAULT': [
        'enable_secure_rpc_messaging', 'taskmanager_rpc_encr_key',
        'instance_rpc_encr_key', 'inst_rpc_key_encr_key',
        'management_networks', 'management_security_groups',
        'cinder_volume_type', 'nova_keypair', 'default_datastore',
        'max_accepted_volume_size', 'max_instances_per_tenant',
        'max_backups_per_tenant', 'transport_url', 'control_exchange',
        'reboot_time_out', 'usage_timeout', 'restore_usage_timeout',
        'agent_call_high_timeout'],
    'service_credentials': [
        'auth_url', 'region_name', 'project_name', 'username', 'password',
        'project_domain_name', 'user_domain_name'],
    'database': ['connection'],
    'api_database': ['connection'],
    'redis': ['cluster_support', 'api_strategy', 'taskmanager_strategy',
              'guestagent_strategy'],
    'keystone_authtoken': ['www_authenticate_uri', 'auth_type'],
    'oslo_messaging_notifications': ['driver', 'transport_url', 'topics',
                                     'retry'],
}


def _sections(text):
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith('[') and line.endswith(']'):
            current = sections.setdefault(line[1:-1], set())
        elif current is not None and line.startswith('#') and ' = ' in \
                line + ' ':
            current.add(line[1:].split('=')[0].strip())
    return sections


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp('sample') / 'trove-mr.conf.sample'
    subprocess.run(
        [os.path.join(BIN, 'oslo-config-generator'), '--config-file',
         os.path.join(ROOT, 'etc/oslo-config-generator/trove-mr.conf'),
         '--output-file', str(out)], check=True, cwd=ROOT,
        capture_output=True)
    return out.read_text()


def test_generator_writes_every_required_option(generated):
    sections = _sections(generated)
    for section, options in REQUIRED.items():
        missing = set(options) - sections.get(section, set())
        assert not missing, 'missing in [%s]: %s' % (section, missing)


def test_committed_sample_matches_the_code(generated):
    with open(os.path.join(ROOT, 'etc/trove-mr.conf.sample')) as f:
        committed = f.read()
    assert _sections(committed) == _sections(generated), (
        'etc/trove-mr.conf.sample is stale: regenerate it (README)')


def test_policy_sample_lists_every_rule(tmp_path):
    out = tmp_path / 'policy.yaml'
    subprocess.run(
        [os.path.join(BIN, 'oslopolicy-sample-generator'), '--namespace',
         'trove_mr', '--output-file', str(out)], check=True,
        capture_output=True)
    text = out.read_text()
    from trove_mr.common import policies
    for rule in policies.list_rules():
        assert '"%s"' % rule.name in text
