"""``trove-mr-status upgrade check`` on a running two-cell system.

It passes on the system as set up, and fails naming what is wrong: a
region's database one migration behind, a key at its public default, a
datastore version whose image a region lacks.
"""

import json
import os
import subprocess
import sys

import sqlalchemy as sa
from alembic import script as alembic_script

from trove_mr.common import cfg
from trove_mr.db import migration

BIN = os.path.dirname(sys.executable)


def _check(env, region='RegionOne', extra_conf=None):
    args = [os.path.join(BIN, 'trove-mr-status'), '--config-file',
            env.conf_file_of(region)]
    if extra_conf:
        args += ['--config-file', extra_conf]
    done = subprocess.run(args + ['upgrade', 'check', '--json'],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout, done.stderr
    checks = json.loads(done.stdout)['checks']
    # Check name -> its details, for those that did not succeed.
    failed = {c['check']: c['details'] for c in checks if c['result']}
    return done.returncode, failed, [c['check'] for c in checks]


def _previous_revision(head):
    script = alembic_script.ScriptDirectory(
        migration.SCRIPT_DIRS['region'])
    return script.get_revision(head).down_revision


def test_passes_on_the_system_as_set_up(cells_system):
    code, failed, names = _check(cells_system)
    assert (code, failed) == (0, {})
    assert names == ['Database migrations', 'Cells reachable',
                     'Encryption keys', 'Guest images']


def test_a_region_one_migration_behind_fails_naming_it(cells_system):
    head = migration.head('region')
    url = cells_system.db_url_of('RegionTwo')
    engine = sa.create_engine(url)
    table = migration.VERSION_TABLES['region']
    try:
        with engine.begin() as connection:
            connection.execute(sa.text('UPDATE %s SET version_num = :v'
                                       % table),
                               {'v': _previous_revision(head)})
        code, failed, _names = _check(cells_system)
        assert code == 2, failed
        assert list(failed) == ['Database migrations']
        assert failed['Database migrations'].startswith(
            'Region RegionTwo: database at %s, head is %s'
            % (_previous_revision(head), head))
        assert 'RegionOne' not in failed['Database migrations']
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text('UPDATE %s SET version_num = :v'
                                       % table), {'v': head})
        engine.dispose()
    assert _check(cells_system)[0] == 0


def test_a_key_at_its_public_default_fails(cells_system, tmp_path):
    default = next(o.default for group, opts in cfg.list_opts()
                   for o in opts if group == 'DEFAULT'
                   and o.name == 'taskmanager_rpc_encr_key')
    extra = tmp_path / 'default-key.conf'
    extra.write_text('[DEFAULT]\ntaskmanager_rpc_encr_key = %s\n' % default)
    code, failed, _names = _check(cells_system, extra_conf=str(extra))
    assert code == 2, failed
    assert list(failed) == ['Encryption keys']
    assert failed['Encryption keys'] == (
        'DEFAULT.taskmanager_rpc_encr_key is still at its public default; '
        'set a secret of your own')


def test_an_image_missing_in_one_region_fails_naming_it(cells_system):
    cells_system.manage('datastore_version_update', 'redis', '9.9', 'redis',
                        'no-such-image', '--active', region='RegionTwo')
    try:
        code, failed, _names = _check(cells_system)
        assert code == 2, failed
        assert list(failed) == ['Guest images']
        assert failed['Guest images'] == (
            'Region RegionTwo: image no-such-image of datastore version '
            'redis 9.9 does not exist')
    finally:
        cells_system.manage('datastore_version_update', 'redis', '9.9',
                            'redis', 'no-such-image', '--inactive',
                            region='RegionTwo')
    assert _check(cells_system)[0] == 0
