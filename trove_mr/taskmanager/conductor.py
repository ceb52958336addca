"""The taskmanager's job conductor: claims the cell's jobs and runs them.

Every taskmanager of a cell runs one, so they share the work
active-active. A claim on the Redis jobboard lasts
``jobboard_expiration_time`` seconds and is renewed every third of that
while the job runs; ZooKeeper claims live as long as the session. When a
taskmanager dies its claims lapse, and another conductor claims the job
and resumes its flow from the last saved task (TaskFlow's SQL
persistence); the tasks are written to run again safely.

While a job runs, the instances it builds (``lease_ids`` in its details)
are leased to this process, so the periodic build recovery never takes a
running build for an abandoned one.

Stopping the conductor (SIGTERM) stops claiming, asks running engines to
suspend at their next save point, and leaves their jobs to another
taskmanager.
"""

import contextlib
import functools
import threading

import taskflow.engines
from oslo_log import log as logging
from taskflow import storage
from taskflow.conductors.backends import impl_nonblocking
from taskflow.listeners import base as listener_base

from trove_mr.common import cfg
from trove_mr.flows import engine as flow_engine
from trove_mr.flows import timing

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

# Seconds between two attempts to reach an unreachable jobboard.
RECONNECT_INTERVAL = 5
# Times a job whose engine cannot be loaded goes back to the board.
MAX_DISPATCH_FAILURES = 5


class JobKeeper(listener_base.Listener):
    """Keeps a running job's claim and its build leases alive."""

    def __init__(self, engine, job, keeper, context, expiry=None):
        super().__init__(engine)
        self.job = job
        self.keeper = keeper
        self.context = context
        self.expiry = expiry
        self.lease_ids = list((job.details or {}).get('lease_ids') or ())
        self._stop = threading.Event()
        self._thread = None

    def _renew_claim(self):
        while not self._stop.wait(self.expiry / 3.0):
            try:
                self.job.extend_expiry(self.expiry)
            except Exception:  # noqa: BLE001 - tried again next period
                LOG.exception('Could not renew the claim on job %s',
                              self.job.uuid)

    def register(self):
        # The leases go to this process whoever held them: the job's
        # claim already says nobody else runs it.
        for instance_id in self.lease_ids:
            self.keeper.adopt(self.context, instance_id)
        if self.expiry and hasattr(self.job, 'extend_expiry'):
            self._thread = threading.Thread(
                target=self._renew_claim, daemon=True,
                name='claim-%s' % self.job.uuid[:8])
            self._thread.start()

    def deregister(self):
        self._stop.set()
        for instance_id in self.lease_ids:
            self.keeper.release(instance_id)


class _Conductor(impl_nonblocking.NonBlockingConductor):
    """TaskFlow's conductor, with sealed contexts and kept claims."""

    def __init__(self, name, board, keeper, expiry=None, **kwargs):
        super().__init__(name, board, **kwargs)
        self.keeper = keeper
        self.expiry = expiry
        self._dispatch_failures = {}

    def _engine_from_job(self, job):
        self._repair(job)
        flow_detail = self._flow_detail_from_job(job)
        store = dict((flow_detail.meta or {}).get('store') or {})
        store.update((job.details or {}).get('store') or {})
        # The engine the job asks for: parallel for flows with branches
        # (cluster members), serial (much cheaper per task) for the rest.
        kind = (job.details or {}).get('engine') or 'parallel'
        engine = taskflow.engines.load_from_detail(
            flow_detail, store=store, engine=kind,
            backend=self._persistence, **flow_engine.engine_options(kind))
        context, secrets = flow_engine.unseal(job.details['sealed'])
        engine.storage.inject(flow_engine.transient_values(context, secrets),
                              transient=True)
        engine.trove_context = context
        return engine

    def _repair(self, job):
        """Give an injector saved without results (TaskFlow writes it in
        two steps; a taskmanager killed between them) empty ones."""
        flow_detail = self._flow_detail_from_job(job)
        injector = next((ad for ad in flow_detail
                         if ad.name == storage.Storage.injector_name), None)
        if injector is not None and injector.results is None:
            injector.results = {}
            with contextlib.closing(self._persistence.get_connection()) \
                    as conn:
                conn.update_atom_details(injector)

    def _on_job_done(self, job, fut):
        # TaskFlow trashes a job whose engine could not even be loaded; a
        # database that was briefly unreachable must not lose an
        # operation: the job goes back to the board, and only after
        # MAX_DISPATCH_FAILURES tries is it trashed (and logged).
        try:
            fut.result()
        except Exception:  # noqa: BLE001 - judged below
            failures = self._dispatch_failures.get(job.uuid, 0) + 1
            self._dispatch_failures[job.uuid] = failures
            if failures < MAX_DISPATCH_FAILURES:
                LOG.warning('Job %s could not be run (%d/%d); it goes back '
                            'to the board', job.uuid, failures,
                            MAX_DISPATCH_FAILURES, exc_info=True)
                try:
                    self._try_finish_job(job, False)
                finally:
                    self._dispatched.discard(fut)
                return
            LOG.error('Job %s could not be run %d times; trashed: %s',
                      job.uuid, failures, job.details.get('operation'))
        super()._on_job_done(job, fut)

    def _try_finish_job(self, job, consume, trash=False):
        book = job.book if (consume or trash) else None
        super()._try_finish_job(job, consume, trash)
        if book is None:
            return
        # A job that left the board for good needs its flow details no
        # more: without this TaskFlow's tables grow with every job.
        try:
            with contextlib.closing(self._persistence.get_connection()) \
                    as conn:
                conn.destroy_logbook(book.uuid)
        except Exception:  # noqa: BLE001 - only space is lost
            LOG.warning('Could not remove the flow details of job %s',
                        job.uuid, exc_info=True)

    def _listeners_from_job(self, job, engine):
        listeners = super()._listeners_from_job(job, engine)
        listeners.append(JobKeeper(engine, job, self.keeper,
                                   engine.trove_context, self.expiry))
        details = job.details or {}
        notifier = flow_engine.notifier(
            engine, engine.trove_context, details.get('operation'),
            details.get('resource_type'), details.get('resource_id'))
        if notifier is not None:
            listeners.append(notifier)
        listeners.append(timing.StepTimes(
            engine, '%s %s' % (details.get('operation'), job.uuid)))
        return listeners


class JobConductor:
    """Runs this taskmanager's conductor in a thread of its own."""

    def __init__(self, keeper, name=None):
        self.keeper = keeper
        self.name = name or keeper.owner
        self._conductor = None
        self._board = None
        self._thread = None
        self._stopping = threading.Event()

    def start(self):
        """Start claiming jobs, in a thread of its own."""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='job-conductor')
        self._thread.start()

    def _connect(self):
        opts = CONF.taskflow
        persistence = flow_engine.get_persistence()
        board = flow_engine.make_jobboard(persistence,
                                          name=flow_engine.board_name())
        expiry = None
        if opts.jobboard_backend == 'redis':
            expiry = opts.jobboard_expiration_time
            # Claims end on their own unless renewed (JobKeeper), so a
            # dead taskmanager's jobs come back to the board.
            board.claim = functools.partial(board.claim, expiry=expiry)
        self._board = board
        self._conductor = _Conductor(
            self.name, board, self.keeper, expiry=expiry,
            persistence=persistence,
            wait_timeout=opts.conductor_wait_timeout,
            max_simultaneous_jobs=opts.max_simultaneous_jobs)
        LOG.info('Job conductor %s claims jobs of board %s (%s)', self.name,
                 flow_engine.board_name(), opts.jobboard_backend)

    def _run(self):
        # A jobboard that cannot be reached yet is tried again: the
        # taskmanager starts with its broker and database, not after.
        while not self._stopping.is_set():
            try:
                if self._conductor is None:
                    self._connect()
                self._conductor.run()
                return
            except Exception:  # noqa: BLE001 - tried again shortly
                LOG.exception('Job conductor %s cannot reach its jobboard; '
                              'trying again', self.name)
                self._conductor = None
                self._stopping.wait(RECONNECT_INTERVAL)

    def stop(self, timeout=None):
        """Stop claiming; give running jobs ``timeout`` seconds to reach a
        save point (suspended jobs go back to the board)."""
        if self._thread is None:
            return True
        self._stopping.set()
        if self._conductor is None:
            return True
        timeout = CONF.taskflow.shutdown_timeout if timeout is None \
            else timeout
        self._conductor.stop()
        done = self._conductor.wait(timeout=timeout)
        if self._thread is not None:
            self._thread.join(timeout=1)
        try:
            self._board.close()
        except Exception:  # noqa: BLE001 - closing on the way out
            LOG.debug('Closing the jobboard failed', exc_info=True)
        if not done:
            LOG.warning('Jobs still running after %ss; they are left to '
                        'another taskmanager.', timeout)
        return done

