"""trove-mr-manage job list|show|abandon|trash on a real Redis jobboard.

Three jobs are posted with ``engine.submit``: one nobody ran, one claimed
by a taskmanager that died in its second task (a claim without expiry,
which nothing renews), one whose flow failed and was reverted, claimed
with an expiring claim as a live taskmanager holds it.
"""

import contextlib
import json
import re

import taskflow.engines
from taskflow import states

from tests.fixtures import devenv
from tests.functional.jobs import flows
from tests.functional.jobs import helpers
from trove_mr.common import context as trove_context
from trove_mr.flows import engine as flow_engine

SECRET = 'hunter2-never-printed'
DEAD_OWNER = 'tm-host-1:0123abcd4567'
LIVE_OWNER = 'tm-host-2:89ef0123abcd'
HEADER = ['uuid', 'operation', 'resource_type', 'resource_id', 'state',
          'owner', 'current_task', 'flow_state', 'age']
AGE = re.compile(r'^\d+:\d\d:\d\d$')


def _submit(operation, instance_id, **kwargs):
    return flow_engine.submit(
        trove_context.get_admin_context('RegionOne'), operation,
        flows.get_flow, {'instance_id': instance_id},
        resource_type='instance', resource_id=instance_id, **kwargs)


def _flow_detail(job):
    with contextlib.closing(
            flow_engine.get_persistence().get_connection()) as conn:
        return conn.get_flow_details(job.details['flow_uuid'])


def _post_jobs(cell):
    """``{'new': uuid, 'stuck': uuid, 'failed': uuid}``."""
    jobs = {'new': _submit('trove.instance.create', 'inst-new',
                           secrets={'password': SECRET},
                           lease_ids=['inst-new']),
            'stuck': _submit('trove.instance.restart', 'inst-stuck'),
            'failed': _submit('trove.instance.create', 'inst-failed',
                              factory_kwargs={'fail': True})}
    board = cell.board
    # A taskmanager claimed it, saved its first task and died in the
    # second one (TaskFlow rebuilds the flow from its factory's name).
    stuck = cell.job(jobs['stuck'])
    board.claim(stuck, DEAD_OWNER)
    engine = taskflow.engines.load_from_detail(
        _flow_detail(stuck), store=stuck.details['store'],
        backend=flow_engine.get_persistence())
    engine.compile()
    engine.prepare()
    engine.storage.set_flow_state(states.RUNNING)
    engine.storage.save('reserve', 'inst-stuck', states.SUCCESS)
    engine.storage.set_atom_state('build', states.RUNNING)
    # A live taskmanager runs this one: its flow failed and reverted.
    failed = cell.job(jobs['failed'])
    engine = taskflow.engines.load_from_detail(
        _flow_detail(failed), store=failed.details['store'],
        backend=flow_engine.get_persistence())
    with contextlib.suppress(RuntimeError):
        engine.run()
    board.claim(failed, LIVE_OWNER, expiry=120)
    return jobs


def _rows(stdout):
    """The header's cells and ``{uuid: {column: cell}}``, checking that
    every cell starts where its header does."""
    lines = stdout.splitlines()
    header = lines[0].split()
    starts = [lines[0].index(name) for name in header]
    rows = {}
    for line in lines[1:]:
        for start in starts[1:]:
            assert line[start - 2:start] == '  ' and line[start] != ' ', \
                'misaligned: %r' % line
        cells = [line[a:b].strip() for a, b in
                 zip(starts, starts[1:] + [len(line)], strict=True)]
        rows[cells[0]] = dict(zip(header, cells, strict=True))
    return header, rows


def _assert_nothing_secret(cell, jobs, text):
    assert SECRET not in text
    assert 'sealed' not in text
    for job_uuid in jobs.values():
        job = cell.job(job_uuid)
        if job is not None:
            assert job.details['sealed'] not in text


def test_list_shows_owner_current_task_and_age(cell):
    jobs = _post_jobs(cell)
    listed = cell.manage('job', 'list')
    assert listed.returncode == 0, listed.stderr
    header, rows = _rows(listed.stdout)
    assert header == HEADER
    assert set(rows) == set(jobs.values())
    new, stuck, failed = (rows[jobs[k]] for k in ('new', 'stuck', 'failed'))
    assert (new['operation'], new['resource_type'], new['resource_id'],
            new['state'], new['owner'], new['current_task'],
            new['flow_state']) == ('trove.instance.create', 'instance',
                                   'inst-new', 'UNCLAIMED', '-', '-', '-')
    assert (stuck['state'], stuck['owner'], stuck['current_task'],
            stuck['flow_state']) == ('CLAIMED', DEAD_OWNER,
                                     'build (RUNNING)', 'RUNNING')
    assert (failed['state'], failed['owner'], failed['current_task'],
            failed['flow_state']) == ('CLAIMED', LIVE_OWNER,
                                      'build (REVERTED)', 'REVERTED')
    for row in rows.values():
        assert AGE.match(row['age']), row
    # Oldest first.
    assert list(rows) == [jobs['new'], jobs['stuck'], jobs['failed']]
    _assert_nothing_secret(cell, jobs, listed.stdout + listed.stderr)

    only = cell.manage('job', 'list', '--operation', 'trove.instance.restart')
    assert list(_rows(only.stdout)[1]) == [jobs['stuck']]
    building = cell.manage('job', 'list', '--resource', 'inst-new')
    assert list(_rows(building.stdout)[1]) == [jobs['new']]


def test_list_as_json_for_scripts(cell):
    jobs = _post_jobs(cell)
    listed = cell.manage('job', 'list', '--format', 'json')
    assert listed.returncode == 0, listed.stderr
    views = {v['uuid']: v for v in json.loads(listed.stdout)}
    stuck = views[jobs['stuck']]
    assert stuck['owner'] == DEAD_OWNER
    assert stuck['claim']['alive'] is False
    assert stuck['flow']['current_task'] == {
        'name': 'build', 'state': 'RUNNING', 'others': 0}
    assert views[jobs['failed']]['claim']['alive'] is True
    assert 0 <= views[jobs['new']]['age'] < 120
    assert views[jobs['new']]['details']['lease_ids'] == ['inst-new']
    assert 'atoms' not in stuck['flow']
    _assert_nothing_secret(cell, jobs, listed.stdout)


def test_show_gives_every_detail_and_atom_never_the_sealed_blob(cell):
    jobs = _post_jobs(cell)
    shown = cell.manage('job', 'show', jobs['failed'])
    assert shown.returncode == 0, shown.stderr
    fields = dict(line.split(None, 1) for line in
                  shown.stdout.split('\n\n')[0].splitlines())
    assert fields['uuid'] == jobs['failed']
    assert fields['state'] == 'CLAIMED'
    assert fields['owner'].startswith(LIVE_OWNER + ' (claim expires in')
    assert fields['details.operation'] == 'trove.instance.create'
    assert fields['details.store'] == '{"instance_id": "inst-failed"}'
    assert fields['flow_factory'] == 'tests.functional.jobs.flows.get_flow'
    assert fields['flow_state'] == 'REVERTED'
    assert fields['current_task'] == 'build (REVERTED)'
    for name in ('flow_uuid', 'posted_at', 'request_id', 'resource_id',
                 'resource_type', 'lease_ids'):
        assert 'details.%s' % name in fields
    atoms = shown.stdout.split('atoms:\n')[1]
    assert re.search(r'build\s+task\s+REVERTED\s+REVERT\s+'
                     r'RuntimeError: no valid host for inst-failed', atoms)
    assert re.search(r'reserve\s+task\s+REVERTED', atoms)
    assert 'Traceback' not in shown.stdout and '_TaskFlow_' not in atoms

    new = cell.manage('job', 'show', jobs['new'])
    assert 'atoms: none yet' in new.stdout
    as_json = json.loads(cell.manage('job', 'show', jobs['stuck'],
                                     '--format', 'json').stdout)
    assert [(a['name'], a['state']) for a in as_json['flow']['atoms']] == [
        ('reserve', 'SUCCESS'), ('build', 'RUNNING'), ('finish', 'PENDING')]
    _assert_nothing_secret(cell, jobs, shown.stdout + new.stdout +
                           json.dumps(as_json))


def test_abandon_releases_a_stuck_claim_only(cell):
    jobs = _post_jobs(cell)
    released = cell.manage('job', 'abandon', jobs['stuck'])
    assert released.returncode == 0, released.stderr
    assert 'Abandoned job %s' % jobs['stuck'] in released.stdout
    assert DEAD_OWNER in released.stdout
    assert cell.job(jobs['stuck']).state == states.UNCLAIMED

    again = cell.manage('job', 'abandon', jobs['stuck'])
    assert again.returncode == 0 and 'not claimed' in again.stdout

    # A claim its owner keeps alive is not taken without --force.
    refused = cell.manage('job', 'abandon', jobs['failed'])
    assert refused.returncode == 1
    assert LIVE_OWNER in refused.stderr and '--force' in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert cell.job(jobs['failed']).state == states.CLAIMED
    forced = cell.manage('job', 'abandon', jobs['failed'], '--force')
    assert forced.returncode == 0, forced.stderr
    assert cell.job(jobs['failed']).state == states.UNCLAIMED

    unknown = cell.manage('job', 'abandon',
                          '00000000-0000-0000-0000-000000000000')
    assert unknown.returncode == 1
    assert 'is not on jobboard' in unknown.stderr
    missing = cell.manage('job', 'show',
                          '00000000-0000-0000-0000-000000000000')
    assert missing.returncode == 1 and 'Traceback' not in missing.stderr


def test_trash_takes_a_job_off_the_board(cell):
    jobs = _post_jobs(cell)
    trashed = cell.manage('job', 'trash', jobs['new'])
    assert trashed.returncode == 0, trashed.stderr
    assert 'Trashed job %s' % jobs['new'] in trashed.stdout
    assert cell.job(jobs['new']) is None
    assert cell.manage('job', 'show', jobs['new']).returncode == 1

    refused = cell.manage('job', 'trash', jobs['failed'])
    assert refused.returncode == 1 and '--force' in refused.stderr
    stuck = cell.manage('job', 'trash', jobs['stuck'])
    assert stuck.returncode == 0, stuck.stderr
    assert 'taken from %s' % DEAD_OWNER in stuck.stdout
    assert set(_rows(cell.manage('job', 'list').stdout)[1]) == {
        jobs['failed']}


def test_an_unreachable_jobboard_is_one_line(tmp_path):
    conf = helpers.write_config(tmp_path, devenv.free_port(), 'nowhere')
    for args in (('job', 'list'), ('job', 'abandon', 'x')):
        failed = helpers.manage(conf, *args)
        assert failed.returncode == 1, failed
        assert failed.stdout == ''
        [line] = failed.stderr.strip().splitlines()
        assert line.startswith('error: cannot reach the jobboard nowhere '
                               '(redis at 127.0.0.1:')


def test_without_a_jobboard_there_is_no_job_to_show(tmp_path):
    conf = helpers.write_config(tmp_path, devenv.free_port(), 'none')
    conf.write_text(conf.read_text().replace(
        'jobboard_backend = redis', 'jobboard_backend = none'))
    listed = helpers.manage(conf, 'job', 'list')
    assert listed.returncode == 1
    assert 'jobboard_backend is none' in listed.stderr
