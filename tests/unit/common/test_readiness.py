"""The readiness push's pieces: waiters, wake targets, the retry's sleep."""

import threading
import time

from taskflow.types import failure

from trove_mr.common import cfg
from trove_mr.common import readiness
from trove_mr.flows import common

CONF = cfg.CONF


def test_a_wake_before_the_sleep_is_not_lost():
    waiters = readiness.Waiters()
    waiters.expect('a')
    # The report arrives between the wait's read and its sleep.
    assert waiters.wake('a') is True
    started = time.monotonic()
    assert waiters.sleep('a', 5) is True
    assert time.monotonic() - started < 1
    # Taken by that sleep: the next one sleeps its time.
    assert waiters.sleep('a', 0.05) is False


def test_a_wake_ends_a_sleep_in_progress_and_only_its_own():
    waiters = readiness.Waiters()
    waiters.expect('a')
    waiters.expect('b')
    woken = []
    sleeper = threading.Thread(
        target=lambda: woken.append(waiters.sleep('a', 10)))
    started = time.monotonic()
    sleeper.start()
    time.sleep(0.1)
    waiters.wake('b')
    assert sleeper.is_alive()
    waiters.wake('a')
    sleeper.join(5)
    assert woken == [True] and time.monotonic() - started < 5


def test_a_wake_for_nothing_waiting_here_is_dropped():
    waiters = readiness.Waiters()
    assert waiters.wake('nobody') is False
    waiters.expect('gone')
    waiters.forget('gone')
    assert waiters.wake('gone') is False
    assert waiters.waiting() == []


def test_wake_targets_guests_send_back_are_checked():
    assert readiness.valid_target('vm.1234.0a1b2c3d')
    for bad in (None, '', 'a b', 'x' * 256, 'new\nline', 42):
        assert not readiness.valid_target(bad), bad


def test_waits_read_slowly_only_where_a_push_can_come(monkeypatch):
    monkeypatch.setattr(readiness, '_address', None)
    assert readiness.poll_interval(0.3) == 0.3
    monkeypatch.setattr(readiness, '_address', 'vm.1.abc')
    CONF.set_override('guest_ready_fallback_interval', 2.5)
    try:
        assert readiness.poll_interval(0.3) == 2.5
    finally:
        CONF.clear_override('guest_ready_fallback_interval')


def test_the_endpoint_wakes_the_wait_of_its_instance():
    waiters = readiness.Waiters()
    waiters.expect('inst')
    readiness.WakeEndpoint(waiters).instance_ready({}, 'inst')
    assert waiters.sleep('inst', 0) is True


def _not_ready(key):
    try:
        raise common.NotReady('still', wake_key=key)
    except common.NotReady:
        return failure.Failure()


class _History:
    def __init__(self, failures):
        self._failures = failures

    def __len__(self):
        return 1

    def outcomes_iter(self, index=None):
        return [('wait', f) for f in self._failures]


def test_the_retry_sleeps_on_the_wake_of_its_instance(monkeypatch):
    slept = []
    monkeypatch.setattr(readiness.WAITERS, 'sleep',
                        lambda key, seconds: slept.append((key, seconds)))
    monkeypatch.setattr(common.time, 'sleep',
                        lambda seconds: slept.append(('plain', seconds)))
    retry = common.PollRetry(interval=0.3, name='r')

    assert retry.on_failure(_History([_not_ready('inst-1')])) == 'RETRY'
    assert retry.on_failure(_History([_not_ready(None)])) == 'RETRY'
    assert slept == [('inst-1', 0.05), ('plain', 0.05)]
    # Another failure than NotReady reverts, without sleeping.
    try:
        raise ValueError('broken')
    except ValueError:
        broken = failure.Failure()
    assert retry.on_failure(_History([broken])) == 'REVERT_ALL'
    assert len(slept) == 2


def test_not_ready_names_its_wake_key_and_times_out_plainly():
    deadline = common.Deadline(60)
    try:
        common.not_ready(deadline, 'x', wake_key='k')
    except common.NotReady as exc:
        assert exc.wake_key == 'k'
    expired = common.Deadline(0)
    try:
        common.not_ready(expired, 'x', wake_key='k')
    except common.BuildTimeout:
        pass
    else:
        raise AssertionError('an expired wait did not time out')
