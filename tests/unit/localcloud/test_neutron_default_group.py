"""The local cloud's default security group, made once per project even
when many requests are its first use at the same time (the builds of a
cluster's members in one region)."""

import threading
import types

from trove_mr_localcloud import neutron_security
from trove_mr_localcloud import store


def _neutron(tmp_path):
    state_store = store.Store(str(tmp_path))
    state_store.data['neutron'] = {'security_groups': {},
                                   'security_group_rules': {}}
    region = types.SimpleNamespace(name='RegionTwo', store=state_store)
    return types.SimpleNamespace(
        region=region, state=state_store.data['neutron'])


def test_racing_first_uses_make_one_default_group(tmp_path, monkeypatch):
    neutron = _neutron(tmp_path)
    groups = neutron_security.SecurityGroups(neutron)
    # Every thread passes the first look before any writes the group.
    barrier = threading.Barrier(6)
    seen = {}

    class Racing(dict):
        def __contains__(self, key):
            present = dict.__contains__(self, key)
            ident = threading.get_ident()
            if not present and ident not in seen:
                seen[ident] = True
                barrier.wait(5)
            return present

    neutron.state['security_groups'] = Racing()
    errors = []

    def first_use():
        try:
            groups.default_group('p1')
        except Exception as exc:  # noqa: BLE001 - collected
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(neutron.state['security_groups']) == 1
    assert len(neutron.state['security_group_rules']) == 4
