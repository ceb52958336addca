"""What the distributions ship: trove-mr's wheel holds the product only,
the local cloud is a distribution of its own that needs nothing of it."""

import ast
import configparser
import email.parser
import importlib.metadata
import os
import re
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
LOCALCLOUD = os.path.join(ROOT, 'localcloud')
LOCALCLOUD_PACKAGE = os.path.join(LOCALCLOUD, 'trove_mr_localcloud')


def build_wheel(source, work_dir):
    """The wheel pip builds from ``source``, as a ZipFile.

    pbr reads the version and the data files from the git checkout, so the
    build runs in place; setuptools' egg-info and build folders go to
    ``work_dir`` and pbr writes no AUTHORS or ChangeLog, leaving the
    checkout as it was.
    """
    work_dir = str(work_dir)
    extra_cfg = os.path.join(work_dir, 'setup-extra.cfg')
    with open(extra_cfg, 'w') as f:
        f.write('[egg_info]\negg_base = %s\n[build]\nbuild_base = %s\n'
                % (work_dir, os.path.join(work_dir, 'build')))
    env = dict(os.environ, DIST_EXTRA_CONFIG=extra_cfg,
               SKIP_GENERATE_AUTHORS='1', SKIP_WRITE_GIT_CHANGELOG='1')
    wheel_dir = os.path.join(work_dir, 'wheels')
    subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
         '--no-build-isolation', '--no-index', '-w', wheel_dir, source],
        check=True, env=env, cwd=work_dir, timeout=300,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    [name] = os.listdir(wheel_dir)
    return zipfile.ZipFile(os.path.join(wheel_dir, name))


def dist_info(wheel, name):
    """Text of a file of the wheel's .dist-info folder."""
    [path] = [n for n in wheel.namelist()
              if re.fullmatch(r'[^/]+\.dist-info/' + re.escape(name), n)]
    return wheel.read(path).decode()


def console_scripts(wheel):
    entry_points = configparser.ConfigParser(delimiters=('=',),
                                             interpolation=None)
    entry_points.read_string(dist_info(wheel, 'entry_points.txt'))
    if not entry_points.has_section('console_scripts'):
        return {}
    return dict(entry_points['console_scripts'])


def modules(wheel):
    return [n for n in wheel.namelist() if n.endswith('.py')]


@pytest.fixture(scope='module')
def product_wheel(tmp_path_factory):
    return build_wheel(ROOT, tmp_path_factory.mktemp('trove-mr-wheel'))


@pytest.fixture(scope='module')
def localcloud_wheel(tmp_path_factory):
    return build_wheel(LOCALCLOUD,
                       tmp_path_factory.mktemp('localcloud-wheel'))


def test_product_wheel_holds_trove_mr_modules(product_wheel):
    names = modules(product_wheel)
    assert 'trove_mr/__init__.py' in names
    assert 'trove_mr/cmd/guestagent.py' in names
    assert {n.split('/')[0] for n in names} == {'trove_mr'}


def test_product_wheel_ships_no_local_cloud_nor_harness(product_wheel):
    shipped = product_wheel.namelist()
    assert [n for n in shipped if 'localcloud' in n] == []
    assert [n for n in shipped if re.search(r'devenv|fixture', n)] == []
    assert [n for n in shipped if n.startswith('tests/')] == []


def test_product_wheel_declares_no_local_cloud_command(product_wheel):
    scripts = console_scripts(product_wheel)
    assert 'trove-mr-guestagent' in scripts
    assert 'trove-mr-localcloud' not in scripts
    assert 'localcloud' not in dist_info(product_wheel, 'entry_points.txt')


def test_localcloud_wheel_holds_the_emulator_and_its_command(
        localcloud_wheel):
    names = modules(localcloud_wheel)
    assert 'trove_mr_localcloud/cloud.py' in names
    assert {n.split('/')[0] for n in names} == {'trove_mr_localcloud'}
    assert [n for n in names if re.search(r'devenv|fixture', n)] == []
    assert console_scripts(localcloud_wheel) == {
        'trove-mr-localcloud': 'trove_mr_localcloud.cmd:main'}


def _imported_top_names(package_dir):
    """{top-level module name: [source files importing it]}."""
    found = {}
    for name in sorted(os.listdir(package_dir)):
        if not name.endswith('.py'):
            continue
        path = os.path.join(package_dir, name)
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [alias.name.split('.')[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                tops = [node.module.split('.')[0]]
            else:
                continue
            for top in tops:
                found.setdefault(top, []).append(name)
    return found


def test_localcloud_imports_nothing_from_trove_mr():
    imported = _imported_top_names(LOCALCLOUD_PACKAGE)
    assert 'trove_mr_localcloud' in imported
    assert imported.get('trove_mr', []) == []


def test_localcloud_declares_every_library_it_imports(localcloud_wheel):
    metadata = email.parser.Parser().parsestr(
        dist_info(localcloud_wheel, 'METADATA'))
    declared = {re.split(r'[^A-Za-z0-9._-]', req, maxsplit=1)[0]
                .lower().replace('_', '-').replace('.', '-')
                for req in metadata.get_all('Requires-Dist') or ()}
    providers = importlib.metadata.packages_distributions()
    for top in _imported_top_names(LOCALCLOUD_PACKAGE):
        if top in sys.stdlib_module_names or top == 'trove_mr_localcloud':
            continue
        dists = {d.lower().replace('_', '-').replace('.', '-')
                 for d in providers.get(top, ())}
        assert dists & declared, (top, dists, declared)


# -- the dashboard (dashboard/), a distribution of its own too ------------

DASHBOARD = os.path.join(ROOT, 'dashboard')
DASHBOARD_PACKAGE = os.path.join(DASHBOARD, 'trove_mr_dashboard')


@pytest.fixture(scope='module')
def dashboard_wheel(tmp_path_factory):
    return build_wheel(DASHBOARD, tmp_path_factory.mktemp('dashboard-wheel'))


def test_product_wheel_ships_no_dashboard(product_wheel):
    assert [n for n in product_wheel.namelist()
            if 'dashboard' in n or 'horizon' in n] == []


def test_dashboard_wheel_holds_the_plugin_templates_and_enabled_file(
        dashboard_wheel):
    names = dashboard_wheel.namelist()
    assert 'trove_mr_dashboard/enabled/_1990_trove_mr.py' in names
    assert 'trove_mr_dashboard/templates/trove_mr/index.html' in names
    assert 'trove_mr_dashboard/templates/trove_mr/clusters/create.html' \
        in names
    assert {n.split('/')[0] for n in modules(dashboard_wheel)} == {
        'trove_mr_dashboard'}


def test_dashboard_imports_nothing_from_trove_mr_nor_the_local_cloud():
    imported = {}
    for folder, _dirs, _files in os.walk(DASHBOARD_PACKAGE):
        for top, files in _imported_top_names(folder).items():
            imported.setdefault(top, []).extend(files)
    assert 'trove_mr_dashboard' in imported
    assert imported.get('trove_mr', []) == []
    assert imported.get('trove_mr_localcloud', []) == []
