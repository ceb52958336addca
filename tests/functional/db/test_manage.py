"""The real trove-mr-manage command, against SQLite databases."""

import os
import subprocess
import sys

import sqlalchemy as sa
from sqlalchemy import pool

from trove_mr.db import migration

TRANSPORT = 'rabbit://trove:rabbitpass@127.0.0.1:5672/'


def _command():
    script = os.path.join(os.path.dirname(sys.executable), 'trove-mr-manage')
    if os.path.exists(script):
        return [script]
    return [sys.executable, '-m', 'trove_mr.cmd.manage']


def _config(tmp_path):
    conf = tmp_path / 'trove-mr.conf'
    conf.write_text('[database]\nconnection = sqlite:///%s\n'
                    '[api_database]\nconnection = sqlite:///%s\n'
                    % (tmp_path / 'region.sqlite', tmp_path / 'api.sqlite'))
    return conf


def _manage(conf, *args):
    return subprocess.run(_command() + ['--config-file', str(conf)] +
                          list(args), capture_output=True, text=True,
                          timeout=60, check=False)


def _raw_mappings(tmp_path):
    engine = sa.create_engine('sqlite:///%s' % (tmp_path / 'api.sqlite'),
                              poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return [' '.join(str(v) for v in row) for row in conn.execute(
                sa.text('SELECT * FROM region_mappings'))]
    finally:
        engine.dispose()


def test_db_sync_twice_then_version_reports_both_heads(tmp_path):
    conf = _config(tmp_path)
    first = _manage(conf, 'db', 'sync')
    second = _manage(conf, 'db', 'sync')
    version = _manage(conf, 'db', 'version')
    assert (first.returncode, second.returncode, version.returncode) == (
        0, 0, 0), first.stderr + second.stderr + version.stderr
    for line in migration.LINES:
        assert '%s: %s' % (line, migration.head(line)) in version.stdout


def test_region_mapping_lifecycle_keeps_urls_secret(tmp_path):
    conf = _config(tmp_path)
    assert _manage(conf, 'db', 'sync').returncode == 0
    cell_db = 'sqlite:///%s' % (tmp_path / 'cell-two.sqlite')
    created = _manage(conf, 'region_mapping', 'create', '--name',
                      'RegionTwo', '--transport-url', TRANSPORT,
                      '--database-connection', cell_db)
    assert created.returncode == 0, created.stderr
    assert 'rabbitpass' not in created.stdout
    assert 'rabbit://trove:****@127.0.0.1:5672/' in created.stdout

    [raw] = _raw_mappings(tmp_path)
    assert 'rabbitpass' not in raw and TRANSPORT not in raw
    assert cell_db not in raw

    listed = _manage(conf, 'region_mapping', 'list')
    assert 'RegionTwo' in listed.stdout and 'rabbitpass' not in listed.stdout
    shown = _manage(conf, 'region_mapping', 'show', 'RegionTwo')
    assert cell_db in shown.stdout and 'rabbitpass' not in shown.stdout

    deleted = _manage(conf, 'region_mapping', 'delete', 'RegionTwo')
    assert deleted.returncode == 0, deleted.stderr
    gone = _manage(conf, 'region_mapping', 'show', 'RegionTwo')
    assert gone.returncode == 1
    assert 'could not be found' in gone.stderr


def test_rotate_key_with_a_wrong_old_key_fails_clearly(tmp_path):
    conf = _config(tmp_path)
    assert _manage(conf, 'db', 'sync').returncode == 0
    assert _manage(conf, 'region_mapping', 'create', '--name', 'R2',
                   '--transport-url', TRANSPORT, '--database-connection',
                   'sqlite://').returncode == 0
    wrong = _manage(conf, 'region_mapping', 'rotate_key', '--old-key', 'x')
    assert wrong.returncode == 1
    assert 'cannot decrypt' in wrong.stderr


def test_datastore_version_update_creates_the_default_version(tmp_path):
    conf = _config(tmp_path)
    assert _manage(conf, 'db', 'sync').returncode == 0
    assert _manage(conf, 'datastore_update', 'redis').returncode == 0
    made = _manage(conf, 'datastore_version_update', 'redis', '7.0',
                   'redis', 'redis-7', '--image-tags', 'trove,redis',
                   '--active', '--default')
    assert made.returncode == 0, made.stderr
    assert 'default: True' in made.stdout
    missing = _manage(conf, 'datastore_version_update', 'mysql', '8.0',
                      'mysql', 'mysql-8')
    assert missing.returncode == 1
    assert 'Datastore mysql could not be found' in missing.stderr


def _parameter_names(tmp_path):
    engine = sa.create_engine('sqlite:///%s' % (tmp_path / 'region.sqlite'),
                              poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return sorted(row[0] for row in conn.execute(sa.text(
                'SELECT name FROM datastore_configuration_parameters')))
    finally:
        engine.dispose()


def test_load_config_parameters_from_the_shipped_file_and_a_given_one(
        tmp_path):
    conf = _config(tmp_path)
    assert _manage(conf, 'db', 'sync').returncode == 0
    assert _manage(conf, 'datastore_update', 'redis').returncode == 0
    assert _manage(conf, 'datastore_version_update', 'redis', '7.0',
                   'redis', 'redis-7', '--active').returncode == 0
    loaded = _manage(conf, 'db_load_datastore_config_parameters', 'redis',
                     '7.0')
    assert loaded.returncode == 0, loaded.stderr
    assert 'databases' in _parameter_names(tmp_path)
    rules = tmp_path / 'rules.json'
    rules.write_text('{"configuration-parameters": [{"name": "hz", '
                     '"type": "integer", "min": 1, "max": 100, '
                     '"restart_required": false}]}')
    again = _manage(conf, 'db_load_datastore_config_parameters', 'redis',
                    '7.0', str(rules))
    assert again.returncode == 0, again.stderr
    assert _parameter_names(tmp_path) == ['hz']
    rules.write_text('{"configuration-parameters": [{"name": "requirepass",'
                     ' "type": "string"}]}')
    refused = _manage(conf, 'db_load_datastore_config_parameters', 'redis',
                      '7.0', str(rules))
    assert refused.returncode == 1
    assert 'requirepass' in refused.stderr
    assert _parameter_names(tmp_path) == ['hz']
