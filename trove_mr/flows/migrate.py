"""Move an instance's server to another compute host (the admin
``migrate`` action, upstream Trove's mgmt ``migrate``).

The API moved the instance to task MIGRATING. As a flavor resize does,
with the same flavor: Redis is stopped (saving its data), Nova cold
migrates the server (to the host named, else one its scheduler picks),
the migration is confirmed once the server waits in VERIFY_RESIZE, the
guest comes back and Redis starts again (a replica follows its master
again); then task NONE. The server keeps its id, addresses and volume.

A failure reverts what can be reverted (Nova's revertResize, Redis
started again) and leaves the instance ACTIVE with the fault when its
guest runs again, else ERROR. Every task finds what an earlier run did,
so a job resumed by another taskmanager finishes the migration.
"""

from oslo_log import log as logging
from taskflow import task
from taskflow.patterns import linear_flow

from trove_mr.common import clients
from trove_mr.common import states
from trove_mr.flows import common
from trove_mr.flows import engine
from trove_mr.flows import guest
from trove_mr.flows import resize

LOG = logging.getLogger(__name__)

OPERATION = 'trove.instance.migrate'
# Nova takes a target host in a cold migration from this microversion.
MIGRATE_HOST_VERSION = '2.56'
HOST_ATTR = 'OS-EXT-SRV-ATTR:host'


def _host(server):
    return getattr(server, HOST_ATTR, None)


def _under_way(server, old_host):
    """Whether a run before this one asked Nova already: the server is
    migrating, or on another host than the one it left."""
    return server.status in ('RESIZE', 'VERIFY_RESIZE') or (
        old_host is not None and _host(server) != old_host)


def server_host(context, instance):
    """The compute host ``instance``'s server runs on (None if Nova does
    not say)."""
    server = resize._nova(context, instance.region_name).servers.get(
        instance.server_id)
    return _host(server)


class CheckHost(task.Task):
    """Before anything stops: the server is still on the host it was on
    when the job was posted, and not on the host asked for."""

    def execute(self, context, region_name, server_id, host, old_host):
        server = resize._nova(context, region_name).servers.get(server_id)
        if _under_way(server, old_host):
            return
        if host is not None and _host(server) == host:
            raise common.StepFailed('Server %s is on host %s already.'
                                    % (server_id, host))

    def revert(self, *args, **kwargs):
        """Nothing to undo: checking changed nothing."""


class MigrateServer(resize.ResizeServer):
    """Ask Nova to migrate the server (once)."""

    def execute(self, context, region_name, server_id, host, old_host):
        nova = clients.create_nova_client_at(context, region_name,
                                             MIGRATE_HOST_VERSION)
        server = nova.servers.get(server_id)
        if _under_way(server, old_host):
            LOG.info('Server %s is migrating or migrated already',
                     server_id)
            return
        try:
            nova.servers.migrate(server_id, host=host)
        except Exception as exc:
            raise common.StepFailed(
                'Nova refused to migrate server %s in region %s: %s'
                % (server_id, region_name, exc)) from exc
        LOG.info('Migrating server %s from host %s to %s in %s', server_id,
                 old_host, host or 'a host Nova picks', region_name)


class WaitServerMigrated(task.Task):
    """Check once that Nova finished the migration (VERIFY_RESIZE)."""

    def execute(self, context, region_name, server_id, old_host,
                deadline_at, timeout):
        server = resize._nova(context, region_name).servers.get(server_id)
        if server.status == 'VERIFY_RESIZE' or (
                server.status == 'ACTIVE' and old_host is not None and
                _host(server) != old_host):
            return
        if server.status == 'ERROR':
            raise common.StepFailed(
                'Server %s failed its migration in region %s: %s'
                % (server_id, region_name, resize._fault(server)))
        if server.status == 'ACTIVE':
            raise common.StepFailed(
                'Nova did not migrate server %s in region %s: %s'
                % (server_id, region_name, resize._fault(server)))
        common.not_ready(common.Deadline.until(deadline_at, timeout),
                         'server %s to be migrated' % server_id)

    def revert(self, *args, **kwargs):
        """Nothing to undo: MigrateServer's revert reverts it."""


class MarkMigrated(task.Task):
    """Last task: the migration is over (task NONE)."""

    def execute(self, context, instance_id):
        resize.finish(context, instance_id, 'done',
                      task_status=states.TASK_MIGRATING)

    def revert(self, *args, **kwargs):
        """Nothing to undo: RestoreOnRevert sets the final state."""


def get_flow():
    """The flow of a migration."""
    flow = linear_flow.Flow(OPERATION)
    flow.add(resize.RestoreOnRevert(task_status=states.TASK_MIGRATING,
                                    failed='Migration failed'),
             CheckHost(), resize.StopDatastore(), MigrateServer(),
             common.wait(WaitServerMigrated()),
             resize.ConfirmResize(), common.wait(resize.WaitServerActive()),
             common.wait(guest.WaitGuestListening(),
                         guest.STATUS_POLL_INTERVAL),
             resize.StartDatastore(),
             common.wait(guest.WaitGuestRunning(),
                         guest.STATUS_POLL_INTERVAL),
             resize.FollowMasterAgain(), MarkMigrated())
    return flow


def store(instance, flavor, host=None, old_host=None):
    """The plain store of the migration of ``instance`` (a row) on its
    ``flavor`` (``{'id', 'name'}``) from compute host ``old_host`` (where
    it runs as the job is posted) to ``host`` (None: Nova picks)."""
    values = resize.flavor_store(instance, flavor)
    values.update(host=host, old_host=old_host)
    return values


def submit(context, instance, flavor, host=None, old_host=None):
    """Post the migration of a MIGRATING instance as a job."""
    return engine.submit(context, OPERATION, get_flow,
                         store(instance, flavor, host, old_host),
                         resource_type='instance', resource_id=instance.id)
