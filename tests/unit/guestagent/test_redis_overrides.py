"""The guest's overrides file and CONFIG SET, with a fake Redis client."""

import json
import os
import types

import pytest

from trove_mr.guestagent.datastore.redis import config
from trove_mr.guestagent.datastore.redis import overrides


class FakeRedis:
    IMMUTABLE = {'databases'}

    def __init__(self, live):
        self.live = dict(live)
        self.sets = []

    def config_get(self, name):
        return {name: self.live[name]} if name in self.live else {}

    def config_set(self, name, value):
        assert name not in self.IMMUTABLE
        self.sets.append((name, value))
        self.live[name] = value


def _app(tmp_path, client):
    return types.SimpleNamespace(conf_dir=str(tmp_path),
                                 client=lambda: client)


def test_apply_sets_dynamic_keeps_static_pending_and_detach_restores(
        tmp_path):
    client = FakeRedis({'timeout': '0', 'hz': '10', 'databases': '16'})
    app = _app(tmp_path, client)
    overrides.ensure_file(app)
    wanted = {'values': {'timeout': '300', 'databases': '32'},
              'restart_required': ['databases']}
    answer = overrides.apply(app, wanted)
    assert answer == {'restart_pending': ['databases'],
                      'applied': ['timeout']}
    assert client.live['timeout'] == '300'
    with open(overrides.overrides_path(app)) as f:
        text = f.read()
    assert 'databases "32"\n' in text and 'timeout "300"\n' in text
    # Run again (a resumed job): same answer, the defaults kept.
    assert overrides.apply(app, wanted)['restart_pending'] == ['databases']
    with open(os.path.join(str(tmp_path), overrides.STATE_NAME)) as f:
        assert json.load(f)['originals'] == {'timeout': '0',
                                             'databases': '16'}
    # After a restart Redis runs with the file's values.
    client.live['databases'] = '32'
    assert overrides.apply(app, wanted)['restart_pending'] == []
    # Detach: the defaults come back (the static one after a restart).
    answer = overrides.apply(app, {'values': {},
                                   'restart_required': ['databases']})
    assert client.live['timeout'] == '0'
    assert answer['restart_pending'] == ['databases']
    with open(overrides.overrides_path(app)) as f:
        assert 'timeout' not in f.read()


def test_redis_conf_includes_the_overrides_file_last(tmp_path):
    text = config.render_config(
        '127.0.0.1', str(tmp_path / 'data'), 'p' * 20,
        pidfile=str(tmp_path / 'r.pid'), logfile=str(tmp_path / 'r.log'),
        overrides_file=str(tmp_path / 'overrides.conf'))
    assert text.rstrip().splitlines()[-1] == 'include %s' % (
        tmp_path / 'overrides.conf')
    assert '\ninclude ' not in config.render_config(
        '127.0.0.1', str(tmp_path / 'data'), 'p' * 20,
        pidfile=str(tmp_path / 'r.pid'), logfile=str(tmp_path / 'r.log'))


def test_the_guest_refuses_settings_it_owns_whatever_it_is_sent(tmp_path):
    client = FakeRedis({'requirepass': 'x', 'timeout': '0'})
    app = _app(tmp_path, client)
    for values in ({'requirepass': 'new-password-123'},
                   {'timeout': '1"\ninclude /etc/passwd'}):
        with pytest.raises(ValueError):
            overrides.apply(app, {'values': values, 'restart_required': []})
    assert client.sets == []
    assert not os.path.exists(overrides.overrides_path(app))
