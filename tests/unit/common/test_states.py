import pytest

from trove_mr.common import exceptions
from trove_mr.common import states


@pytest.mark.parametrize('task,service,shown', [
    (states.TASK_BUILDING, None, states.BUILD),
    (states.TASK_BUILDING, states.SERVICE_RUNNING, states.BUILD),
    (states.TASK_NONE, states.SERVICE_RUNNING, states.ACTIVE),
    (states.TASK_NONE, states.SERVICE_SHUTDOWN, states.SHUTDOWN),
    (states.TASK_NONE, states.SERVICE_FAILED, states.ERROR),
    (states.TASK_NONE, states.SERVICE_LOST, states.SHUTDOWN),
    (states.TASK_REBOOTING, states.SERVICE_RUNNING, states.REBOOT),
    (states.TASK_ERROR, states.SERVICE_RUNNING, states.ERROR),
    (states.TASK_DELETING, states.SERVICE_RUNNING, states.SHUTDOWN),
])
def test_display_status_combines_task_and_guest_status(task, service,
                                                        shown):
    assert states.display_status(task, service) == shown


def test_restart_of_an_idle_instance_is_allowed():
    assert states.next_task(states.TASK_NONE, 'restart') == \
        states.TASK_REBOOTING


def test_restart_while_building_is_a_conflict_naming_the_task():
    with pytest.raises(exceptions.Conflict) as err:
        states.next_task(states.TASK_BUILDING, 'restart')
    assert 'BUILDING' in err.value.message
    assert err.value.code == 409


def test_delete_is_allowed_from_build_idle_error_and_deleting():
    for task in (states.TASK_BUILDING, states.TASK_NONE, states.TASK_ERROR,
                 states.TASK_DELETING):
        assert states.next_task(task, 'delete') == states.TASK_DELETING


def test_only_a_failure_leaves_deleting_and_a_delete_may_be_asked_again():
    assert states.allowed_events(states.TASK_DELETING) == ['delete', 'fail']


def test_cluster_building_task_is_shown_as_the_seed_names_it():
    assert states.cluster_task_view('BUILDING_INITIAL') == {
        'id': 2, 'name': 'BUILDING',
        'description': 'Building the initial cluster.'}
    assert states.cluster_task_view('NONE')['id'] == 1
