"""Tasks and helpers that touch Nova in an instance's placement region."""

from novaclient import exceptions as nova_exc
from oslo_log import log as logging
from taskflow import task

from trove_mr.common import cfg
from trove_mr.common import clients
from trove_mr.db.main import api as db_api
from trove_mr.flows import broker
from trove_mr.flows import common
from trove_mr.flows import guest_config

CONF = cfg.CONF
LOG = logging.getLogger(__name__)


def find_servers(nova, instance_id, server_id=None):
    """The instance's servers: by recorded id and by name."""
    found = {}
    if server_id:
        try:
            server = nova.servers.get(server_id)
            found[server.id] = server
        except nova_exc.NotFound:
            pass
    name = common.resource_name(instance_id)
    for server in nova.servers.list(search_opts={'name': '^%s$' % name}):
        if server.name == name:
            found.setdefault(server.id, server)
    return list(found.values())


def remove_servers(context, region_name, instance_id, server_id=None,
                   timeout=120):
    """Delete every server of an instance in a region and wait them gone.

    Idempotent; returns the ids deleted. Waiting matters: the volume can
    only be deleted once the server let it go.
    """
    nova = clients.create_nova_client(context, region_name)
    deleted = []
    for server in find_servers(nova, instance_id, server_id):
        try:
            nova.servers.delete(server.id)
        except nova_exc.NotFound:
            continue
        deleted.append(server.id)

        def gone(server_id=server.id):
            try:
                nova.servers.get(server_id)
            except nova_exc.NotFound:
                return True
            return False
        common.poll(gone, timeout, 'server %s to be deleted' % server.id)
        LOG.info('Deleted server %s of instance %s in %s', server.id,
                 instance_id, region_name)
    return deleted


def server_addresses(server):
    """[{'address', 'type', 'network'}] of a Nova server view."""
    found = []
    for network, entries in (getattr(server, 'addresses', None) or
                             {}).items():
        for entry in entries:
            found.append({'address': entry.get('addr'),
                          'type': entry.get('OS-EXT-IPS:type', 'fixed'),
                          'network': network})
    return found


def _nics():
    # The management network comes first: the guest reaches the bus over
    # it. Without one, Nova picks the project's network.
    if CONF.management_networks:
        return [{'net-id': CONF.management_networks[0]}]
    return 'auto'


class CreateServer(task.Task):
    """Boot the instance's server with its volume and guest config."""

    default_provides = 'server_id'

    def execute(self, context, instance_id, placement, volume_id,
                ports=None):
        instance = db_api.instance_get(context, instance_id)
        region = placement['region_name']
        nova = clients.create_nova_client(context, region)
        # Run again after a taskmanager died: the server booted before
        # (recorded or not) is the one, never a second.
        existing = find_servers(nova, instance_id, instance.server_id)
        if existing:
            server = existing[0]
            if instance.server_id != server.id:
                db_api.instance_update(context, instance_id,
                                       {'server_id': server.id})
            return server.id
        # The key is read from the database: it never enters the store.
        rpc_key = db_api.instance_rpc_key_get(context, instance_id)
        bdm = None
        if volume_id:
            bdm = [{'uuid': volume_id, 'source_type': 'volume',
                    'destination_type': 'volume', 'boot_index': -1,
                    'delete_on_termination': False}]
        kwargs = {}
        if CONF.nova_keypair:
            kwargs['key_name'] = CONF.nova_keypair
        if CONF.management_security_groups:
            kwargs['security_groups'] = CONF.management_security_groups
        server = nova.servers.create(
            common.resource_name(instance_id), placement['image_id'],
            placement['flavor_id'],
            nics=[{'port-id': p} for p in ports] if ports else _nics(),
            config_drive=True,
            userdata=guest_config.user_data(
                instance, rpc_key, region,
                broker.guest_transport_url(instance_id, rpc_key)),
            meta=common.resource_metadata(instance_id),
            block_device_mapping_v2=bdm, **kwargs)
        db_api.instance_update(context, instance_id,
                               {'server_id': server.id})
        return server.id

    def revert(self, result, context, instance_id, placement, **kwargs):
        server_id = result if isinstance(result, str) else None
        remove_servers(context, placement['region_name'], instance_id,
                       server_id)


class WaitServerActive(task.Task):
    """Check once that the server is ACTIVE; record its addresses."""

    default_provides = 'addresses'

    def execute(self, context, instance_id, placement, server_id,
                deadline_at, timeout):
        nova = clients.create_nova_client(context, placement['region_name'])
        server = nova.servers.get(server_id)
        if server.status == 'ERROR':
            fault = (getattr(server, 'fault', None) or {}).get(
                'message', 'no fault given')
            raise common.StepFailed(
                'Server %s failed in region %s: %s'
                % (server_id, placement['region_name'], fault))
        if server.status != 'ACTIVE':
            common.not_ready(common.Deadline.until(deadline_at, timeout),
                             'server %s to become ACTIVE' % server_id)
        addresses = server_addresses(server)
        db_api.instance_update(context, instance_id,
                               {'addresses': addresses})
        return addresses

    def revert(self, *args, **kwargs):
        """Nothing to undo: CreateServer's revert removes the server."""
