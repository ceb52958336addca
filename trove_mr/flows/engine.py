"""How every taskmanager operation runs: a flow posted as a job.

Octavia's v2 controller is the model. An operation is a TaskFlow flow made
by a module-level factory; :func:`submit` saves the flow's details in
TaskFlow's SQL persistence (the cell's database) and posts a job on the
cell's jobboard (Redis by default, ZooKeeper by configuration). Every
taskmanager of the cell runs a conductor (``taskmanager/conductor.py``)
that claims jobs and runs them; when a taskmanager dies, its claims lapse
and another one resumes each job from its last saved task.

The job's store holds only plain data (ids, dicts). What cannot be stored
in clear, the request context (the tenant's token) and secrets such as a
Redis password, travels *sealed* in the job's details, encrypted under
``taskmanager_rpc_encr_key``, and is injected into the engine as
transient values, never persisted.

With ``[taskflow] jobboard_backend = none`` the flow runs in the calling
thread with an in-memory engine instead (tests, or a deployment that
accepts losing operations with their taskmanager).
"""

import contextlib
import threading
import time

import sqlalchemy
import taskflow.engines
from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import uuidutils
from taskflow import states
from taskflow import storage
from taskflow.jobs import backends as job_backends
from taskflow.persistence import backends as persistence_backends
from taskflow.persistence import models
from taskflow.persistence.backends import impl_sqlalchemy

from trove_mr.common import cfg
from trove_mr.common import context as trove_context
from trove_mr.common import keys
from trove_mr.common import notifications
from trove_mr.db.main import api as db_api
from trove_mr.flows import notify
from trove_mr.flows import timing

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# The values injected transiently into every engine: the context, and the
# sealed secrets under their own names.
CONTEXT = 'context'
# Threads of one job's engine: the members of a cluster build side by
# side, waiting on remote services, not on CPU.
MAX_WORKERS = 32
_SEALED_AD = b'trove-mr-job'

_persistence = {}
_persistence_lock = threading.Lock()


def jobboard_enabled():
    return CONF.taskflow.jobboard_backend != 'none'


def board_name():
    return CONF.taskflow.jobboard_name or 'trove-mr-%s' % CONF.region_name


def persistence_url():
    return CONF.taskflow.persistence_connection or CONF.database.connection


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets the cell's processes read while one writes; without a sync
    # at every commit a task's state costs no disk flush (a crash of the
    # machine, not of a process, may lose the last few states).
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.close()


class Persistence(impl_sqlalchemy.SQLAlchemyBackend):
    """TaskFlow's SQL persistence, cheaper per task state saved.

    TaskFlow builds its table metadata anew for every connection it is
    asked for, once per saved state: one connection object is kept (its
    methods each take their own transaction from the engine, so threads
    may share it). On SQLite, WAL and no sync per commit.
    """

    def __init__(self, conf, engine=None):
        url = sqlalchemy.engine.make_url(conf['connection'])
        if engine is None and url.drivername.startswith('sqlite') and \
                url.database not in (None, '', ':memory:'):
            # Pooled, unlike TaskFlow's SQLite engine: the last connection
            # to close checkpoints the WAL with a disk flush, and TaskFlow
            # closes one after every state it saves.
            engine = sqlalchemy.create_engine(
                url, poolclass=sqlalchemy.pool.QueuePool,
                connect_args={'check_same_thread': False, 'timeout': 30})
            sqlalchemy.event.listen(engine, 'connect', _sqlite_pragmas)
        super().__init__(conf, engine=engine)
        self._shared = None

    def get_connection(self):
        if self._shared is None:
            self._shared = super().get_connection()
        return self._shared


def get_persistence(url=None):
    """TaskFlow's SQL persistence backend of this cell (cached)."""
    url = url or persistence_url()
    with _persistence_lock:
        backend = _persistence.get(url)
        if backend is None:
            backend = Persistence({'connection': url})
            _persistence[url] = backend
        return backend


def upgrade_persistence(url=None):
    """Create or upgrade TaskFlow's tables (``trove-mr-manage db sync``)."""
    backend = persistence_backends.fetch(
        {'connection': url or persistence_url()})
    try:
        with contextlib.closing(backend.get_connection()) as conn:
            conn.upgrade()
    finally:
        backend.close()


def jobboard_conf():
    """The TaskFlow jobboard configuration of ``[taskflow]``."""
    opts = CONF.taskflow
    if opts.jobboard_backend == 'zookeeper':
        return {'board': 'zookeeper',
                'hosts': ','.join(opts.jobboard_zookeeper_hosts),
                'path': '%s/%s' % (opts.jobboard_zookeeper_path.rstrip('/'),
                                   board_name()),
                # kazoo's session timeout: a dead taskmanager's claims
                # (ephemeral nodes) vanish when its session expires.
                'timeout': opts.jobboard_zookeeper_timeout,
                # TaskFlow's version check asks the server "envi", a
                # four-letter word ZooKeeper 3.5 and newer refuse unless
                # whitelisted; the board then fails to connect. Every
                # ZooKeeper since 3.4 (its minimum) serves it.
                'check_compatible': False}
    conf = {'board': 'redis', 'host': opts.jobboard_redis_host,
            'port': opts.jobboard_redis_port, 'db': opts.jobboard_redis_db,
            'namespace': board_name()}
    if opts.jobboard_redis_password:
        conf['password'] = opts.jobboard_redis_password
    return conf


def make_jobboard(persistence=None, name=None):
    """A connected jobboard of this cell (close it when done)."""
    board = job_backends.fetch(name or board_name(), jobboard_conf(),
                               persistence=persistence or get_persistence())
    board.connect()
    return board


_shared_board = {}
_shared_board_lock = threading.Lock()


def shared_jobboard():
    """One connected jobboard per process for posting jobs."""
    key = (board_name(), repr(sorted(jobboard_conf().items())))
    with _shared_board_lock:
        board = _shared_board.get(key)
        if board is None or not board.connected:
            board = make_jobboard()
            _shared_board[key] = board
        return board


def seal(context, secrets=None):
    """The context and secrets of a job, encrypted for its details."""
    plain = jsonutils.dumps({'context': context.to_dict() if context
                             else None, 'secrets': secrets or {}})
    return keys.ring(keys.JOB_STORE).encrypt(plain, _SEALED_AD)


def unseal(sealed):
    """``(context, secrets)`` of a job's sealed details."""
    values = jsonutils.loads(keys.ring(keys.JOB_STORE).decrypt(
        sealed, _SEALED_AD))
    context = values.get('context')
    if context is not None:
        context = trove_context.RequestContext.from_dict(context)
    else:
        context = trove_context.get_admin_context()
    return context, values.get('secrets') or {}


def transient_values(context, secrets):
    values = dict(secrets or {})
    values[CONTEXT] = context
    return values


def _factory_name(factory):
    return '%s.%s' % (factory.__module__, factory.__qualname__)


def submit(context, operation, factory, store, factory_kwargs=None,
           secrets=None, resource_type=None, resource_id=None,
           lease_ids=None, parallel=False):
    """Run operation ``operation``: post its job, or run it here.

    :param factory: a module-level function returning the flow (it is
        called again, by name, by whichever taskmanager runs the job).
    :param store: plain data the flow's tasks read (ids, dicts).
    :param factory_kwargs: plain keyword arguments of ``factory``.
    :param secrets: values the tasks read that must not be stored in
        clear (they travel sealed with the context).
    :param lease_ids: instances whose build lease the runner holds.
    :param parallel: the flow has branches to run side by side (cluster
        members); others run on TaskFlow's serial engine, which costs
        far less per task.
    :returns: the job's uuid, or None when it ran in memory.
    """
    factory_kwargs = dict(factory_kwargs or {})
    if not jobboard_enabled():
        try:
            run_here(context, factory, store, factory_kwargs, secrets,
                     operation, resource_type, resource_id, parallel)
        except Exception:  # noqa: BLE001 - the flow recorded its failure
            LOG.exception('%s of %s %s failed', operation, resource_type,
                          resource_id)
        return None
    persistence = get_persistence()
    book = models.LogBook('%s %s' % (operation, resource_id or ''))
    flow_detail = models.FlowDetail(operation, uuidutils.generate_uuid())
    flow_detail.meta = {'operation': operation}
    # The store is saved with the flow here, not first by whichever
    # taskmanager loads the job: TaskFlow writes it in two steps then,
    # and a taskmanager killed between them leaves a flow no engine loads.
    injected = models.TaskDetail(storage.Storage.injector_name,
                                 uuidutils.generate_uuid())
    injected.results = dict(store)
    injected.state = states.SUCCESS
    flow_detail.add(injected)
    book.add(flow_detail)
    with contextlib.closing(persistence.get_connection()) as conn:
        conn.save_logbook(book)
    taskflow.engines.save_factory_details(
        flow_detail, factory, (), factory_kwargs, backend=persistence)
    details = {'flow_uuid': flow_detail.uuid, 'store': dict(store),
               'sealed': seal(context, secrets), 'operation': operation,
               'resource_type': resource_type, 'resource_id': resource_id,
               'lease_ids': list(lease_ids or ()), 'posted_at': time.time(),
               'engine': engine_kind(parallel),
               'request_id': getattr(context, 'request_id', None)}
    job = shared_jobboard().post('%s %s' % (operation, resource_id or ''),
                                 book=book, details=details)
    LOG.info('Posted job %s: %s of %s %s', job.uuid, operation,
             resource_type, resource_id)
    return job.uuid


def engine_kind(parallel):
    return 'parallel' if parallel else 'serial'


def engine_options(kind):
    return {'max_workers': MAX_WORKERS} if kind == 'parallel' else {}


def run_here(context, factory, store, factory_kwargs=None, secrets=None,
             operation=None, resource_type=None, resource_id=None,
             parallel=False):
    """Run a flow in this thread with an in-memory engine; raises its
    failure after reverting."""
    flow = factory(**dict(factory_kwargs or {}))
    kind = engine_kind(parallel)
    engine = taskflow.engines.load(flow, store=dict(store), engine=kind,
                                   **engine_options(kind))
    engine.storage.inject(transient_values(context, secrets),
                          transient=True)
    listener = notifier(engine, context, operation, resource_type,
                        resource_id)
    with listener or contextlib.nullcontext(), \
            timing.StepTimes(engine, operation):
        engine.run()


def _payload_factory(context, resource_type, resource_id):
    """``() -> payload`` of a resource's current row."""
    def payload():
        if resource_type == 'cluster':
            return notifications.cluster_payload(
                db_api.cluster_get(context, resource_id),
                db_api.instances_by_cluster(context, resource_id),
                user_id=context.user_id)
        if resource_type == 'backup':
            return notifications.backup_payload(
                db_api.backup_get(context, resource_id),
                user_id=context.user_id)
        return notifications.instance_payload(
            db_api.instance_get(context, resource_id),
            user_id=context.user_id)
    return payload


def notifier(engine, context, operation, resource_type, resource_id,
             resumed=False):
    """The start/end/error notifier of an operation's engine, or None
    when notifications are off."""
    if not operation or not resource_id or not notifications.enabled():
        return None
    return notify.OperationNotifier(
        engine, operation, lambda: context,
        _payload_factory(context, resource_type, resource_id),
        resumed=resumed)


def jobs(board=None):
    """Every job of this cell's board: ``[(job, owner or None)]``."""
    board = board or shared_jobboard()
    found = []
    for job in board.iterjobs(ensure_fresh=True):
        try:
            owner = board.find_owner(job)
        except Exception:  # noqa: BLE001 - a job consumed meanwhile
            owner = None
        found.append((job, owner))
    return found


def open_resource_ids(board=None, resource_type=None, operation=None):
    """Ids of the resources that have a job on the board (claimed or
    not), and of the instances a job builds."""
    ids = set()
    for job, _owner in jobs(board):
        details = job.details or {}
        if resource_type not in (None, details.get('resource_type')):
            continue
        if operation not in (None, details.get('operation')):
            continue
        if details.get('resource_id'):
            ids.add(details['resource_id'])
        ids.update(details.get('lease_ids') or ())
    return ids


def building_ids(board=None):
    """Ids of the instances a job on the board (claimed or not) builds:
    the ``lease_ids`` of instance, replica and cluster builds."""
    ids = set()
    for job, _owner in jobs(board):
        ids.update((job.details or {}).get('lease_ids') or ())
    return ids
