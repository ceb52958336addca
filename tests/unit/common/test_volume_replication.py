"""Reading Cinder's replication: capable types, states and their lag."""

import datetime
import types

from trove_mr.common import volume_replication as replication


def _cinder(volume_info, specs=None):
    vtypes = [types.SimpleNamespace(
        id='vt-%s' % name, name=name, _info={'extra_specs': spec},
        get_keys=lambda spec=spec: spec)
        for name, spec in (specs or {}).items()]
    return types.SimpleNamespace(
        volume_types=types.SimpleNamespace(list=lambda: vtypes),
        volumes=types.SimpleNamespace(
            get=lambda vid: types.SimpleNamespace(_info=volume_info)))


def test_a_type_is_capable_by_either_spec_in_its_own_region():
    cinder = _cinder({}, {'gold': {'replication_capable': 'True'},
                          'silver': {'replication_enabled': '<is> True'},
                          '__DEFAULT__': {}})
    assert replication.type_capable(cinder, 'gold')
    assert replication.type_capable(cinder, 'vt-silver')
    assert not replication.type_capable(cinder, None)
    assert not replication.type_capable(cinder, 'bronze')


def test_state_shows_the_lag_behind_the_last_copy():
    now = datetime.datetime(2026, 1, 1, 0, 0, 10,
                            tzinfo=datetime.timezone.utc)
    cinder = _cinder({'replication_status': 'enabled',
                      'replication_last_sync_at':
                          '2026-01-01T00:00:07.500000',
                      'os-vol-host-attr:host': 'h@lvm#primary'})
    state = replication.volume_state(cinder, 'v1', now=now)
    assert state == {'status': 'enabled',
                     'last_sync_at': '2026-01-01T00:00:07.500000',
                     'lag_seconds': 2.5, 'backend': 'h@lvm#primary'}


def test_a_volume_never_copied_has_no_lag():
    state = replication.volume_state(_cinder({}), 'v1')
    assert state['status'] == 'disabled'
    assert state['lag_seconds'] is None
    assert replication.parse_time('not a time') is None
