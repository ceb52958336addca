"""The guest manager's root and log calls, with a fake datastore."""

import pytest

from tests.unit.guestagent.test_manager import FakeApp
from tests.unit.guestagent.test_manager import layout  # noqa: F401
from trove_mr.guestagent import manager as guest_manager


class PasswordApp(FakeApp):
    def __init__(self, conf_dir):
        super().__init__()
        self.conf_dir = conf_dir
        self.changes = []

    def change_password(self, password, masterauth=True):
        self.changes.append(('requirepass', password, masterauth))

    def set_masterauth(self, password):
        self.changes.append(('masterauth', password, None))


@pytest.fixture
def ready(layout):  # noqa: F811 - the fixture imported above
    manager = guest_manager.GuestManager('inst-1', layout=layout)
    manager.app = PasswordApp(layout.conf_dir)
    manager.phase = guest_manager.PHASE_READY
    return manager


def test_password_calls_reach_the_datastore(ready):
    assert ready.change_password(None, 'p' * 20) == {'status': 'running'}
    ready.set_masterauth(None, 'm' * 20)
    assert ready.app.changes == [('requirepass', 'p' * 20, True),
                                 ('masterauth', 'm' * 20, None)]


def test_unprepared_guest_refuses_password_and_logs(layout):  # noqa: F811
    manager = guest_manager.GuestManager('inst-1', layout=layout)
    with pytest.raises(guest_manager.GuestError):
        manager.change_password(None, 'p' * 20)
    with pytest.raises(guest_manager.GuestError):
        manager.guest_log_list(None)


@pytest.mark.parametrize('name, actions', [
    ('nope', ['publish']),
    ('redis', ['disable']),
])
def test_log_refusals_are_guest_errors(ready, name, actions):
    with pytest.raises(guest_manager.GuestError):
        ready.guest_log_action(None, name, actions)
