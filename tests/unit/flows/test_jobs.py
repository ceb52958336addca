"""What trove-mr-manage job shows: views of jobs and their formatting."""

import contextlib

from taskflow import retry
from taskflow import states
from taskflow import task
from taskflow.patterns import linear_flow
from taskflow.patterns import unordered_flow
from taskflow.persistence import backends as persistence_backends
from taskflow.persistence import models
from taskflow.types import failure as tf_failure

from trove_mr.flows import jobs


def _failure(exc):
    try:
        raise exc
    except Exception:  # noqa: BLE001 - captured as TaskFlow does
        return tf_failure.Failure()


def _atom(name, state, kind='task', failure=None):
    return {'name': name, 'type': kind, 'state': state,
            'intention': 'EXECUTE', 'failure': failure,
            'revert_failure': None}


# -- formatting -------------------------------------------------------------

def test_format_age_is_hours_minutes_seconds():
    assert jobs.format_age(None) == '-'
    assert jobs.format_age(0) == '0:00:00'
    assert jobs.format_age(59.9) == '0:00:59'
    assert jobs.format_age(3661) == '1:01:01'
    assert jobs.format_age(90000) == '25:00:00'
    assert jobs.format_age(-3) == '0:00:00'


def test_format_task_names_the_state_and_the_other_busy_atoms():
    assert jobs.format_task(None) == '-'
    assert jobs.format_task({'name': 'build', 'state': 'RUNNING',
                             'others': 0}) == 'build (RUNNING)'
    assert jobs.format_task({'name': 'member-1', 'state': 'RUNNING',
                             'others': 2}) == 'member-1 (RUNNING) +2'


def test_short_names_drop_the_module_path():
    assert jobs.short_name('trove_mr.flows.compute.CreateServer') == \
        'CreateServer'
    assert jobs.short_name(
        'member0-trove_mr.flows.compute.WaitServerActive-retry') == \
        'member0-WaitServerActive-retry'
    assert jobs.short_name('restart') == 'restart'
    assert jobs.format_task({'name': 'trove_mr.flows.guest.PrepareGuest',
                             'state': 'RUNNING', 'others': 0},
                            short=True) == 'PrepareGuest (RUNNING)'


def test_format_failure_is_one_line_without_traceback():
    assert jobs.format_failure(None) == '-'
    assert jobs.format_failure({'type': 'RuntimeError',
                                'message': 'no valid\n  host'}) == \
        'RuntimeError: no valid host'
    assert jobs.format_failure({'type': 'KeyError', 'message': ''},
                               {'type': 'OSError', 'message': 'gone'}) == \
        'KeyError; revert: OSError: gone'


def test_format_table_aligns_columns_without_trailing_blanks():
    lines = jobs.format_table(
        (('a', 'uuid'), ('b', 'owner'), ('c', 'age')),
        [{'a': 'x', 'b': None, 'c': '0:00:01'},
         {'a': 'longer-id', 'b': 'host:boot', 'c': ''}])
    assert lines == ['uuid       owner      age',
                     'x          -          0:00:01',
                     'longer-id  host:boot  -']


def test_list_row_marks_an_unreadable_flow():
    view = {'uuid': 'u', 'operation': 'op', 'resource_type': 'instance',
            'resource_id': 'i', 'state': 'UNCLAIMED', 'owner': None,
            'age': 75, 'flow': {'error': 'cannot read', 'state': None,
                                'current_task': None}}
    row = jobs.list_row(view)
    assert (row['task'], row['flow_state'], row['age']) == ('?', '?',
                                                            '0:01:15')


# -- atoms and the current task ----------------------------------------------

class Noop(task.Task):
    def execute(self):
        return None


def factory(members=2):
    """prepare, then an unordered flow of members under a retry, then
    finish."""
    flow = linear_flow.Flow('op')
    members_flow = unordered_flow.Flow('members',
                                       retry=retry.Times(2, name='again'))
    members_flow.add(*[Noop(name='member-%d' % i) for i in range(members)])
    flow.add(Noop(name='prepare'), members_flow, Noop(name='finish'))
    return flow


def _detail(factory_name, **kwargs):
    detail = models.FlowDetail('op', 'fd-%s' % factory_name)
    detail.meta = {'factory': {'name': factory_name, 'args': [],
                               'kwargs': kwargs}}
    return detail


def test_flow_order_rebuilds_the_flow_from_its_factory():
    order = jobs.flow_order(_detail(__name__ + '.factory', members=3))
    assert sorted(order, key=order.get) == [
        'prepare', 'again', 'member-0', 'member-1', 'member-2', 'finish']
    assert jobs.flow_order(_detail('no.such.module.get_flow')) == {}


def test_atoms_of_follow_the_flow_and_skip_the_injector():
    detail = models.FlowDetail('op', 'fd-1')
    for name, state in (('pending', states.PENDING),
                        (jobs.INJECTOR, states.SUCCESS),
                        ('second', states.RUNNING),
                        ('first', states.SUCCESS)):
        atom = models.TaskDetail(name, 'ad-' + name)
        atom.state = state
        detail.add(atom)
    poll = models.RetryDetail('poll', 'ad-poll')
    poll.state = states.SUCCESS
    detail.add(poll)
    detail.find('ad-second').failure = _failure(ValueError('bad value'))
    atoms = jobs.atoms_of(detail, {'poll': 0, 'first': 1, 'second': 2})
    assert [(a['name'], a['type']) for a in atoms] == [
        ('poll', 'retry'), ('first', 'task'), ('second', 'task'),
        ('pending', 'task')]
    assert atoms[2]['failure'] == {'type': 'ValueError',
                                   'message': 'bad value'}
    # Without an order: as stored.
    assert [a['name'] for a in jobs.atoms_of(detail)] == [
        'pending', 'second', 'first', 'poll']


def test_current_task_is_a_busy_task_then_a_failure_then_the_last_success():
    running = [_atom('again', states.RUNNING, kind='retry'),
               _atom('member-0', states.RUNNING),
               _atom('member-1', states.RUNNING)]
    assert jobs.current_task(running) == {
        'name': 'member-0', 'state': 'RUNNING', 'others': 2}
    failed = [_atom('reserve', states.REVERTED),
              _atom('build', states.REVERTED,
                    failure={'type': 'E', 'message': 'm'}),
              _atom('finish', states.PENDING)]
    assert jobs.current_task(failed)['name'] == 'build'
    forward = [_atom('reserve', states.SUCCESS),
               _atom('build', states.SUCCESS),
               _atom('finish', states.PENDING)]
    assert jobs.current_task(forward) == {
        'name': 'build', 'state': 'SUCCESS', 'others': 0}
    reverted = [_atom('reserve', states.REVERTED),
                _atom('build', states.REVERTED)]
    assert jobs.current_task(reverted)['name'] == 'build'
    assert jobs.current_task([_atom('a', states.PENDING)]) is None
    assert jobs.current_task([]) is None


# -- claims and views ---------------------------------------------------------

class FakeJob:
    def __init__(self, uuid='job-1', details=None, expires=None,
                 state=states.UNCLAIMED, book_uuid=None):
        self.uuid = uuid
        self.name = 'op res'
        self.details = details or {}
        self.state = state
        self.book_uuid = book_uuid
        if expires is not None:
            self.expires_in = lambda: expires


class FakeBoard:
    def __init__(self, owner=None):
        self.owner = owner

    def find_owner(self, job):
        if self.owner is None:
            raise TypeError("<class 'NoneType'> can't be decoded")
        return self.owner


def test_claim_of_tells_a_kept_claim_from_a_stuck_one():
    assert jobs.claim_of(FakeJob(expires=12.34), 'h:b')['alive'] is True
    assert jobs.claim_of(FakeJob(expires=12.34), 'h:b')['expires_in'] == 12.3
    stuck = jobs.claim_of(FakeJob(expires=-1), 'h:b')
    assert (stuck['alive'], stuck['note']) == (
        False, 'never expires: nothing renews it')
    assert jobs.claim_of(FakeJob(), 'h:b')['alive'] is True  # ZooKeeper
    assert jobs.claim_of(FakeJob(expires=-2), 'h:b')['owner'] is None
    assert jobs.claim_of(FakeJob(), None)['alive'] is None


def test_find_owner_of_an_unclaimed_redis_job_is_none():
    assert jobs.find_owner(FakeBoard(), FakeJob()) is None
    assert jobs.find_owner(FakeBoard('h:b'), FakeJob()) == 'h:b'


def test_describe_drops_the_sealed_blob_and_reads_the_flow():
    backend = persistence_backends.fetch({'connection': 'memory://'})
    book = models.LogBook('op res')
    detail = models.FlowDetail('op', 'fd-1')
    detail.state = states.RUNNING
    detail.meta = {'factory': {'name': 'pkg.mod.get_flow'}}
    task = models.TaskDetail('build', 'ad-build')
    task.state = states.RUNNING
    detail.add(task)
    book.add(detail)
    with contextlib.closing(backend.get_connection()) as conn:
        conn.save_logbook(book)
    job = FakeJob(details={'sealed': 'v1:SECRET', 'flow_uuid': 'fd-1',
                           'operation': 'op', 'resource_type': 'instance',
                           'resource_id': 'i-1', 'posted_at': 1000.0,
                           'store': {'instance_id': 'i-1'}},
                  expires=-1, state=states.CLAIMED)
    view = jobs.describe(FakeBoard('h:b'), job, now=1065.0,
                         persistence=backend)
    assert 'sealed' not in view['details']
    assert (view['owner'], view['age'], view['claim']['alive']) == (
        'h:b', 65.0, False)
    assert view['flow']['factory'] == 'pkg.mod.get_flow'
    assert view['flow']['current_task']['name'] == 'build'
    text = '\n'.join(jobs.show_lines(view)) + jobs.dumps(
        jobs.for_json(view))
    assert 'SECRET' not in text and 'sealed' not in text
    assert 'details.store          {"instance_id": "i-1"}' in text
    assert jobs.list_lines([view])[1].split() == [
        'job-1', 'op', 'instance', 'i-1', 'CLAIMED', 'h:b', 'build',
        '(RUNNING)', 'RUNNING', '0:01:05']

    missing = jobs.describe(FakeBoard(), FakeJob(details={
        'flow_uuid': 'nope'}), persistence=backend)
    assert missing['flow']['error'].startswith('cannot read the flow')
    assert jobs.list_row(missing)['task'] == '?'


def test_reason_joins_an_error_and_its_cause_on_one_line():
    try:
        try:
            raise ConnectionRefusedError(111, 'Connection refused')
        except OSError as exc:
            raise RuntimeError('Failed to connect to redis\n  more') from exc
    except RuntimeError as exc:
        assert jobs._reason(exc) == ('Failed to connect to redis more: '
                                     '[Errno 111] Connection refused')
