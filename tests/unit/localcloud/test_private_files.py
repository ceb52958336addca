"""What ./run.sh writes that holds a secret is its owner's only, and
``./run.sh stop`` deletes the vhost of every cell."""

import json
import os
import stat
import types

import pytest

from tests.fixtures import devenv
from tests.fixtures import devenv_cli
from trove_mr_localcloud import seed
from trove_mr_localcloud import store


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_cloud_state_with_its_token_key_is_0600(tmp_path, open_umask):
    state = store.Store(str(tmp_path))
    state.data['token_key'] = 'k'
    state.save()
    assert _mode(tmp_path / store.STATE_FILE) == 0o600


def test_clouds_yaml_and_openrc_files_are_0600(tmp_path, open_umask):
    cloud = types.SimpleNamespace(
        state_dir=str(tmp_path), auth_url='http://127.0.0.1:5000/v3',
        password='secret', regions=('RegionOne', 'RegionTwo'),
        admin=types.SimpleNamespace(info=lambda: {'k': 'v'}))
    seed.write_client_files(cloud)
    written = sorted(os.listdir(tmp_path))
    assert 'clouds.yaml' in written and 'openrc-admin' in written
    assert {name: _mode(tmp_path / name) for name in written} == {
        name: 0o600 for name in written}


def test_stop_deletes_the_vhost_of_every_cell(tmp_path, monkeypatch):
    (tmp_path / 'devenv.json').write_text(json.dumps({
        'regions': ['RegionOne', 'RegionTwo'], 'vhost': 'trove-mr-abc',
        'api_port': 1, 'cloud_port': 2, 'cells': True,
        'api_ports': {'RegionTwo': 3}}))
    deleted = []

    def rabbitmqctl(*args):
        if args[0] == 'delete_vhost':
            deleted.append(args[1])
    monkeypatch.setattr(devenv, 'rabbitmqctl', rabbitmqctl)
    monkeypatch.setattr(devenv_cli, '_kill_leftover_guests',
                        lambda state_dir: None)
    devenv_cli.down(str(tmp_path))
    assert deleted == ['trove-mr-abc', 'trove-mr-abc-RegionTwo']
