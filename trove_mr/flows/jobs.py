"""The jobs of this cell's board as an operator sees them.

``trove-mr-manage job list|show|abandon|trash`` reads and acts through
these functions. A job's view joins what the jobboard knows (its state,
its owner, the details :func:`trove_mr.flows.engine.submit` posted) with
what TaskFlow's persistence knows (the flow detail named by the job's
``flow_uuid`` and the state of each of its atoms).

A view never holds the job's ``sealed`` detail (the encrypted context and
secrets); the store holds plain ids, and the transient values are never
persisted, so nothing here can print a secret.

An *owner* is the name a taskmanager claims with, ``<host>:<boot id>``.
Whether it still lives is judged from the claim itself: a taskmanager
claims Redis jobs with an expiry it renews while it lives, and a
ZooKeeper claim ends with its session; a claim that never expires is
renewed by nobody and is stuck.
"""

import contextlib
import datetime
import json
import re
import socket
import time
import uuid as uuid_lib

import taskflow.engines as tf_engines
from oslo_log import log as logging
from taskflow import exceptions as tf_exc
from taskflow import flow as flow_base
from taskflow import states as tf_states
from taskflow import storage
from taskflow.jobs import backends as job_backends

from trove_mr.common import exceptions
from trove_mr.flows import engine as flow_engine

LOG = logging.getLogger(__name__)

# Seconds the command waits for the jobboard's server.
CONNECT_TIMEOUT = 5.0
IO_TIMEOUT = 15.0
# Seconds a claim taken by trove-mr-manage (to trash an unclaimed job)
# lasts if the command dies before it is done.
MANAGE_CLAIM_EXPIRY = 60
# Atom states of a flow that is busy with that atom.
ACTIVE_STATES = (tf_states.RUNNING, tf_states.REVERTING, tf_states.RETRYING)
# TaskFlow's own pseudo-task that holds the store: not one of ours.
INJECTOR = storage.Storage.injector_name

LIST_COLUMNS = (
    ('uuid', 'uuid'), ('operation', 'operation'),
    ('resource_type', 'resource_type'), ('resource_id', 'resource_id'),
    ('state', 'state'), ('owner', 'owner'), ('task', 'current_task'),
    ('flow_state', 'flow_state'), ('age', 'age'),
)


# -- the board -----------------------------------------------------------

def _where(conf):
    if conf['board'] == 'redis':
        return 'redis at %s:%s db %s' % (conf['host'], conf['port'],
                                         conf['db'])
    return 'zookeeper at %s, %s' % (conf['hosts'], conf['path'])


def _reason(exc):
    """The message of ``exc`` and of its direct cause, on one line."""
    parts = []
    while exc is not None and len(parts) < 2:
        # TaskFlow's exceptions add their causes' text to their own.
        text = exc.args[0] if exc.args and isinstance(exc.args[0], str) \
            else str(exc)
        text = ' '.join(text.split())
        if text and not any(text in part for part in parts):
            parts.append(text)
        exc = exc.__cause__ or exc.__context__
    return ': '.join(parts) or 'unknown error'


def find_owner(board, job):
    """The owner of ``job``'s claim, or None (the Redis board raises for
    an unclaimed job)."""
    try:
        return board.find_owner(job) or None
    except (TypeError, tf_exc.NotFound):
        return None


class BoardUnreachable(exceptions.ServiceUnavailable):
    """This cell's jobboard did not answer."""


@contextlib.contextmanager
def open_board():
    """This cell's jobboard, connected, with its persistence; errors of
    the board's server become :class:`BoardUnreachable`."""
    conf = flow_engine.jobboard_conf()
    name = flow_engine.board_name()
    if conf['board'] == 'redis':
        conf.update(socket_connect_timeout=CONNECT_TIMEOUT,
                    socket_timeout=IO_TIMEOUT)
    where = 'jobboard %s (%s)' % (name, _where(conf))
    try:
        if conf['board'] == 'redis':
            # The Redis client retries a refused connection for seconds:
            # a command answers at once.
            socket.create_connection((conf['host'], conf['port']),
                                     timeout=CONNECT_TIMEOUT).close()
        board = job_backends.fetch(name, conf,
                                   persistence=flow_engine.get_persistence())
        if conf['board'] == 'zookeeper':
            board.connect(timeout=CONNECT_TIMEOUT)
        else:
            board.connect()
    except Exception as exc:  # noqa: BLE001 - any failure to reach it
        raise BoardUnreachable('cannot reach the %s: %s'
                               % (where, _reason(exc))) from None
    try:
        yield board
    except tf_exc.JobFailure as exc:
        # What the board raises when its server stops answering.
        raise BoardUnreachable('lost the %s: %s'
                               % (where, _reason(exc))) from None
    finally:
        with contextlib.suppress(Exception):
            board.close()


# -- reading jobs ----------------------------------------------------------

def _epoch(when):
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return when.timestamp()
    return when


def _iso(epoch):
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(
        epoch, datetime.timezone.utc).isoformat(timespec='seconds')


def posted_at(job):
    """When the job was posted (epoch seconds), or None."""
    value = (job.details or {}).get('posted_at')
    if isinstance(value, (int, float)):
        return float(value)
    return _epoch(getattr(job, 'created_on', None))


def claim_of(job, owner):
    """What the claim says about its owner.

    ``{'owner', 'expires_in', 'alive', 'note'}``: ``alive`` is True when
    something keeps the claim (a renewed Redis expiry, a ZooKeeper
    session), False when it never expires (stuck), None when unclaimed.
    """
    if not owner:
        return {'owner': None, 'expires_in': None, 'alive': None,
                'note': 'not claimed'}
    if not hasattr(job, 'expires_in'):
        return {'owner': owner, 'expires_in': None, 'alive': True,
                'note': 'held by the owner\'s ZooKeeper session'}
    expires_in = job.expires_in()
    if isinstance(expires_in, float):
        return {'owner': owner, 'expires_in': round(expires_in, 1),
                'alive': True,
                'note': 'expires in %.1fs unless its owner renews it'
                        % expires_in}
    if int(expires_in) == -1:
        return {'owner': owner, 'expires_in': None, 'alive': False,
                'note': 'never expires: nothing renews it'}
    return {'owner': None, 'expires_in': None, 'alive': None,
            'note': 'not claimed'}


def _failure(failure):
    """``{'type', 'message'}`` of a TaskFlow failure, never its
    traceback."""
    if failure is None:
        return None
    names = failure.to_dict(include_args=False).get('exc_type_names') or ()
    return {'type': names[0] if names else 'Exception',
            'message': failure.exception_str}


def flow_order(flow_detail):
    """``{atom name: position}`` in the flow the job's factory builds
    (subflows depth first, a retry controller before what it retries);
    empty when the factory cannot be called here."""
    factory = (flow_detail.meta or {}).get('factory') or {}
    key = json.dumps(factory, sort_keys=True, default=str)
    if key in _orders:
        return _orders[key]
    order = {}

    def walk(flow):
        if getattr(flow, 'retry', None) is not None:
            order.setdefault(flow.retry.name, len(order))
        for node, _meta in flow.iter_nodes():
            if isinstance(node, flow_base.Flow):
                walk(node)
            else:
                order.setdefault(node.name, len(order))

    try:
        walk(tf_engines.flow_from_detail(flow_detail))
    except Exception:  # noqa: BLE001 - the persistence's order instead
        LOG.debug('Cannot rebuild the flow of %s', flow_detail.uuid,
                  exc_info=True)
        order = {}
    _orders[key] = order
    return order


_orders = {}


def atoms_of(flow_detail, order=None):
    """The atoms of a flow detail as dicts, in flow order (``order``, see
    :func:`flow_order`; atoms it does not name last, as stored)."""
    order = order or {}
    atoms = []
    for index, detail in enumerate(flow_detail):
        if detail.name == INJECTOR:
            continue
        atoms.append({
            'name': detail.name,
            'type': 'retry' if type(detail).__name__ == 'RetryDetail'
            else 'task',
            'state': detail.state, 'intention': detail.intention,
            'failure': _failure(detail.failure),
            'revert_failure': _failure(detail.revert_failure),
            '_order': (order.get(detail.name, len(order)), index)})
    atoms.sort(key=lambda a: a['_order'])
    for atom in atoms:
        del atom['_order']
    return atoms


def current_task(atoms):
    """What the flow of ``atoms`` (in flow order) is at: the atom it is
    busy with (running, reverting or retrying; a task before a retry
    controller), else the last one that failed, else the last one that
    reached SUCCESS, else the last one that ran. ``{'name', 'state',
    'others'}``, None when no atom ran yet; ``others`` counts the other
    busy atoms (members of a cluster build run side by side)."""
    active = [a for a in atoms if a['state'] in ACTIVE_STATES]
    if active:
        tasks = [a for a in active if a['type'] == 'task']
        first = (tasks or active)[0]
        return {'name': first['name'], 'state': first['state'],
                'others': len(active) - 1}
    ran = [a for a in atoms if a['state'] not in (None, tf_states.PENDING)]
    failed = [a for a in ran if a['failure'] or a['revert_failure']]
    done = [a for a in ran if a['state'] == tf_states.SUCCESS]
    last = (failed or done or ran or [None])[-1]
    if last is None:
        return None
    return {'name': last['name'], 'state': last['state'], 'others': 0}


def flow_of(job, persistence=None):
    """The job's flow from TaskFlow's persistence: ``{'uuid', 'state',
    'factory', 'atoms', 'current_task'}``, with ``error`` instead when it
    cannot be read."""
    persistence = persistence or flow_engine.get_persistence()
    flow_uuid = (job.details or {}).get('flow_uuid')
    flow = {'uuid': flow_uuid, 'state': None, 'factory': None,
            'atoms': [], 'current_task': None}
    try:
        with contextlib.closing(persistence.get_connection()) as conn:
            if flow_uuid:
                detail = conn.get_flow_details(flow_uuid)
            else:
                book = conn.get_logbook(job.book_uuid)
                detail = next(iter(book))
                flow['uuid'] = detail.uuid
    except Exception as exc:  # noqa: BLE001 - shown instead of the flow
        flow['error'] = 'cannot read the flow details: %s' % _reason(exc)
        return flow
    flow['state'] = detail.state
    flow['factory'] = ((detail.meta or {}).get('factory') or {}).get('name')
    flow['atoms'] = atoms_of(detail, flow_order(detail))
    flow['current_task'] = current_task(flow['atoms'])
    return flow


def describe(board, job, owner=None, now=None, persistence=None):
    """Everything shown of one job: a plain, JSON-ready dict."""
    now = time.time() if now is None else now
    details = {key: value for key, value in (job.details or {}).items()
               if key != 'sealed'}
    try:
        state = job.state
    except tf_exc.TaskFlowException:
        state = 'UNKNOWN'
    if owner is None and state == tf_states.CLAIMED:
        owner = find_owner(board, job)
    posted = posted_at(job)
    return {
        'uuid': job.uuid, 'name': job.name, 'state': state, 'owner': owner,
        'claim': claim_of(job, owner),
        'operation': details.get('operation'),
        'resource_type': details.get('resource_type'),
        'resource_id': details.get('resource_id'),
        'posted_at': _iso(posted),
        'age': None if posted is None else max(0.0, round(now - posted, 1)),
        'details': details,
        'flow': flow_of(job, persistence),
    }


def _matches(job, operation, resource):
    details = job.details or {}
    if operation and details.get('operation') != operation:
        return False
    if resource and resource != details.get('resource_id') and \
            resource not in (details.get('lease_ids') or ()):
        return False
    return True


def list_jobs(board, operation=None, resource=None, now=None):
    """Views of the board's jobs, oldest first; ``resource`` matches the
    job's resource or one of the instances it builds."""
    now = time.time() if now is None else now
    found = [(job, owner) for job, owner in flow_engine.jobs(board)
             if _matches(job, operation, resource)]
    found.sort(key=lambda pair: (posted_at(pair[0]) is None,
                                 posted_at(pair[0]) or 0))
    return [describe(board, job, owner, now) for job, owner in found]


def find_job(board, job_uuid):
    """The board's job ``job_uuid``; NotFound when it is not on it (never
    posted, or done and consumed)."""
    for job in board.iterjobs(ensure_fresh=True):
        if job.uuid == job_uuid:
            return job
    raise exceptions.NotFound('Job %s is not on jobboard %s (it was never '
                              'posted, or it ended and left the board)'
                              % (job_uuid, flow_engine.board_name()))


# -- acting on jobs --------------------------------------------------------

def _refuse_live_owner(job, claim, verb):
    raise exceptions.Conflict(
        'Job %s is claimed by %s, whose claim %s: that taskmanager looks '
        'alive. A dead taskmanager\'s claim lapses by itself within '
        '[taskflow] jobboard_expiration_time seconds; --force %s it '
        'anyway (the taskmanager may still be running it).'
        % (job.uuid, claim['owner'], claim['note'], verb))


def abandon(board, job_uuid, force=False):
    """Release the claim on job ``job_uuid`` so that another taskmanager
    resumes it. Returns ``(job, claim)``, ``claim['owner']`` None when
    the job was not claimed (nothing done)."""
    job = find_job(board, job_uuid)
    claim = claim_of(job, find_owner(board, job))
    if claim['owner'] is None:
        return job, claim
    if claim['alive'] and not force:
        _refuse_live_owner(job, claim, 'abandons')
    try:
        board.abandon(job, claim['owner'])
    except tf_exc.NotFound:
        # The claim lapsed (or the job ended) meanwhile.
        find_job(board, job_uuid)
        return job, claim_of(job, None)
    except tf_exc.JobFailure as exc:
        raise exceptions.Conflict('Job %s changed hands meanwhile: %s'
                                  % (job_uuid, _reason(exc))) from None
    LOG.info('Abandoned job %s of %s', job_uuid, claim['owner'])
    return job, claim


def manage_owner():
    """The name trove-mr-manage claims a job with."""
    return 'trove-mr-manage:%s:%s' % (socket.gethostname(),
                                      uuid_lib.uuid4().hex[:12])


def trash(board, job_uuid, force=False):
    """Take job ``job_uuid`` off the board for good (TaskFlow moves it to
    the board's trash): it never runs again, and nothing it did is
    reverted. Returns ``(job, claim)`` of the claim it had."""
    job = find_job(board, job_uuid)
    claim = claim_of(job, find_owner(board, job))
    who = claim['owner']
    if who is None:
        who = manage_owner()
        try:
            if hasattr(job, 'extend_expiry'):
                board.claim(job, who, expiry=MANAGE_CLAIM_EXPIRY)
            else:
                board.claim(job, who)
        except tf_exc.UnclaimableJob as exc:
            raise exceptions.Conflict(
                'Job %s was claimed meanwhile: %s' % (job_uuid, _reason(exc))
            ) from None
    elif claim['alive'] and not force:
        _refuse_live_owner(job, claim, 'trashes')
    try:
        board.trash(job, who)
    except tf_exc.TaskFlowException as exc:
        if claim['owner'] is None:
            with contextlib.suppress(Exception):
                board.abandon(job, who)
        raise exceptions.Conflict('Job %s could not be trashed: %s'
                                  % (job_uuid, _reason(exc))) from None
    LOG.info('Trashed job %s', job_uuid)
    return job, claim


# -- presentation ------------------------------------------------------------

def format_age(seconds):
    """``H:MM:SS`` of a number of seconds (hours unbounded); ``-`` for
    None."""
    if seconds is None:
        return '-'
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return '%d:%02d:%02d' % (hours, rest // 60, rest % 60)


_MODULE_PATH = re.compile(r'\b(?:[a-z_][a-z0-9_]*\.)+(?=[A-Za-z_])')


def short_name(name):
    """An atom's name without the module path TaskFlow's default names
    carry: ``member0-trove_mr.flows.compute.WaitServerActive`` is
    ``member0-WaitServerActive``."""
    return _MODULE_PATH.sub('', name)


def format_task(task, short=False):
    """``name (STATE)`` of a current task (its short name if ``short``),
    ``+N`` for the other busy atoms; ``-`` for None."""
    if not task:
        return '-'
    name = short_name(task['name']) if short else task['name']
    text = '%s (%s)' % (name, task['state'])
    if task.get('others'):
        text += ' +%d' % task['others']
    return text


def format_failure(failure, revert_failure=None):
    """``Type: message`` of a failure (and of the failure of its
    revert), on one line."""
    texts = []
    for prefix, value in (('', failure), ('revert: ', revert_failure)):
        if value:
            message = ' '.join(str(value.get('message') or '').split())
            texts.append(prefix + ('%s: %s' % (value['type'], message)
                                   if message else value['type']))
    return '; '.join(texts) or '-'


def format_table(columns, rows):
    """Lines of a table: ``columns`` are ``(key, header)``, ``rows`` dicts
    of strings; each column as wide as its widest cell, two spaces apart,
    no trailing blanks."""
    cells = [[header for _key, header in columns]]
    cells += [['-' if row.get(key) in (None, '') else str(row[key])
               for key, _header in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells)
              for i in range(len(columns))]
    return ['  '.join(cell.ljust(width) for cell, width
                      in zip(line, widths, strict=True)).rstrip()
            for line in cells]


def list_row(view):
    """The cells of one job in ``job list``."""
    flow = view['flow']
    return {'uuid': view['uuid'], 'operation': view['operation'],
            'resource_type': view['resource_type'],
            'resource_id': view['resource_id'], 'state': view['state'],
            'owner': view['owner'],
            'task': '?' if flow.get('error')
            else format_task(flow['current_task'], short=True),
            'flow_state': '?' if flow.get('error') else flow['state'],
            'age': format_age(view['age'])}


def list_lines(views):
    """``job list`` as lines of text."""
    return format_table(LIST_COLUMNS, [list_row(v) for v in views])


def for_json(view, atoms=True):
    """A view ready for ``json.dumps``; without the atoms for a list."""
    view = dict(view, flow=dict(view['flow']))
    if not atoms:
        view['flow'].pop('atoms', None)
    return view


def dumps(value):
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def _value(value):
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return '-' if value in (None, '') else str(value)


def show_lines(view):
    """``job show`` as lines of text: the job, its details, its flow and
    every atom."""
    flow = view['flow']
    owner = view['owner'] or '-'
    if view['owner']:
        owner = '%s (claim %s)' % (view['owner'], view['claim']['note'])
    fields = [('uuid', view['uuid']), ('name', view['name']),
              ('state', view['state']), ('owner', owner),
              ('age', '%s (posted %s)' % (format_age(view['age']),
                                          view['posted_at'] or '-'))]
    fields += [('details.%s' % key, value)
               for key, value in sorted(view['details'].items())]
    fields += [('flow_uuid', flow['uuid']), ('flow_factory', flow['factory']),
               ('flow_state', flow.get('error') or flow['state']),
               ('current_task', format_task(flow['current_task']))]
    width = max(len(key) for key, _value_ in fields)
    lines = ['%s  %s' % (key.ljust(width), _value(value))
             for key, value in fields]
    lines.append('')
    if not flow['atoms']:
        lines.append('atoms: none yet (no taskmanager ran this job)'
                     if not flow.get('error') else 'atoms: unknown')
        return lines
    lines.append('atoms:')
    rows = [{'name': a['name'], 'type': a['type'], 'state': a['state'],
             'intention': a['intention'],
             'failure': format_failure(a['failure'], a['revert_failure'])}
            for a in flow['atoms']]
    lines += ['  ' + line for line in format_table(
        (('name', 'name'), ('type', 'type'), ('state', 'state'),
         ('intention', 'intention'), ('failure', 'failure')), rows)]
    return lines
