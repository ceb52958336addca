"""A cluster's record mirrored into its standby region's cell.

The cluster's rows live in its owning cell's database; when that cell is
down (its database or bus gone with its region), the standby region's
cell must be able to take the cluster over on its own. So every
taskmanager, every ``[redis] standby_watch_interval`` seconds, writes a
copy of each of its cell's clusters with a standby region into that
region's cell (``cluster_mirrors``): the cluster's columns (with the
sealed password), its members' (ids, regions, addresses, roles, the lag
last reported), the shards' ``[master, standby]`` pairs, and the address
of each member's Redis node. Writes are idempotent; several taskmanagers
writing the same mirror is harmless.

The same pass fences a cell that comes back after its standby region took
a cluster over: a cluster of this cell mapped (API database) to the cell
of its standby region is retired here (its rows soft-deleted, nothing
else touched), so this cell neither answers for it nor fails it over.
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import timeutils

from trove_mr.cluster.redis import standby as shards
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.db import cells
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

VERSION = 1
_CLUSTER_COLUMNS = ('id', 'name', 'tenant_id', 'region_name',
                    'encrypted_password', 'configuration_id',
                    'standby_region', 'primary_region', 'auto_failover')
_MEMBER_COLUMNS = ('id', 'name', 'tenant_id', 'region_name', 'flavor_id',
                   'volume_size', 'volume_type', 'volume_id', 'server_id',
                   'type', 'related_to', 'addresses', 'access',
                   'configuration_id')
_STATUS_COLUMNS = ('status', 'volume_used', 'cluster_slots',
                   'repl_lag_bytes', 'repl_lag_seconds')
_TIMES = ('created', 'heartbeat_at')


def _time(value):
    return value.isoformat() if value is not None else None


def _parse_time(text):
    if not text:
        return None
    return timeutils.normalize_time(timeutils.parse_isotime(text))


def node_address(member):
    """``[ip, port]`` of a member's Redis node, from its row's addresses
    (the management port's first), or None."""
    try:
        found = jsonutils.loads(member.addresses or '[]')
    except ValueError:
        return None
    found = [a for a in found if isinstance(a, dict) and a.get('address')]
    found.sort(key=lambda a: not a.get('management'))
    if not found:
        return None
    return [found[0]['address'], CONF.redis.redis_port]


def record_of(cluster, members):
    """The mirror of a cluster: plain data (JSON-able)."""
    version = cluster.datastore_version
    record = {'version': VERSION,
              'cluster': {c: getattr(cluster, c) for c in _CLUSTER_COLUMNS},
              'datastore': version.datastore.name,
              'datastore_version': version.name,
              'manager': version.manager,
              'members': []}
    record['cluster']['created'] = _time(cluster.created)
    for member in members:
        values = {c: getattr(member, c) for c in _MEMBER_COLUMNS}
        values['created'] = _time(member.created)
        status = member.status
        values['status'] = None if status is None else dict(
            {c: getattr(status, c) for c in _STATUS_COLUMNS},
            heartbeat_at=_time(status.heartbeat_at))
        record['members'].append(values)
    try:
        pairs = shards.pairs_of(cluster, members)
    except exceptions.Conflict:
        pairs = None  # a standby is still being added
    record['pairs'] = pairs
    record['nodes'] = {m.id: node_address(m) for m in members}
    return record


def adoption_values(record, datastore_version_id, task_values):
    """``(cluster columns, [(member columns, status columns)])`` of the
    rows the standby cell makes from a mirror."""
    cluster = dict(record['cluster'],
                   datastore_version_id=datastore_version_id,
                   created=_parse_time(record['cluster'].get('created')))
    cluster.update(task_values)
    members = []
    for member in record['members']:
        values = {c: member.get(c) for c in _MEMBER_COLUMNS}
        values.update(created=_parse_time(member.get('created')),
                      datastore_version_id=datastore_version_id,
                      cluster_id=cluster['id'], task_status='NONE')
        status = member.get('status')
        if status is not None:
            status = dict({c: status.get(c) for c in _STATUS_COLUMNS},
                          heartbeat_at=_parse_time(status.get('heartbeat_at')))
        members.append((values, status))
    return cluster, members


def _same_cell(mapping):
    return mapping.database_connection == CONF.database.connection


def taken_over(context, cluster):
    """Whether the cell of ``cluster``'s standby region took it over
    (the API database maps it there)."""
    try:
        owner = api_db.cluster_mapping_refresh(context, cluster.id)
    except exceptions.NotFound:
        return False
    return owner.name == cluster.standby_region and not _same_cell(owner)


def forget_mirror(context, cluster_id, region):
    """Drop the mirror of a cluster in the cell of ``region`` (that
    region is no longer its standby); best effort: a copy left behind is
    dropped by that cell once the cluster is gone, and a takeover from
    it is refused (it names another standby region)."""
    try:
        cell = api_db.region_mapping_get(context, region)
        with cells.target_cell(context, cell) as rctx:
            db_api.cluster_mirror_delete(rctx, cluster_id)
    except exceptions.RegionMappingNotFound:
        return
    except Exception as exc:  # noqa: BLE001 - see above
        LOG.warning('Cluster %s: its mirror in %s is left: %s', cluster_id,
                    region, type(exc).__name__)


def drop_orphan_mirrors(context):
    """Drop the mirrors held here of clusters that are gone (their
    mapping deleted); the ids dropped."""
    dropped = []
    for cluster_id in db_api.cluster_mirror_ids(context):
        try:
            api_db.cluster_mapping_refresh(context, cluster_id)
        except exceptions.NotFound:
            db_api.cluster_mirror_delete(context, cluster_id)
            dropped.append(cluster_id)
    return dropped


def mirror_standby_clusters(context):
    """Write the mirror of every cluster of this cell with a standby
    region into that region's cell; retire those taken over meanwhile.

    :returns: ``(mirrored ids, retired ids)``.
    """
    mirrored, retired = [], []
    for cluster in db_api.clusters_with_standby(context):
        try:
            if taken_over(context, cluster):
                LOG.warning('Cluster %s was taken over by its standby '
                            'region %s; its rows here are retired',
                            cluster.id, cluster.standby_region)
                db_api.cluster_retire(context, cluster.id)
                retired.append(cluster.id)
                continue
            standby_cell = api_db.region_mapping_get(context,
                                                     cluster.standby_region)
            if _same_cell(standby_cell):
                continue  # one cell serves both regions: nothing to copy
            members = db_api.instances_by_cluster(context, cluster.id)
            record = jsonutils.dumps(record_of(cluster, members))
            with cells.target_cell(context, standby_cell) as sctx:
                db_api.cluster_mirror_put(sctx, cluster.id,
                                          cluster.tenant_id,
                                          CONF.region_name, record)
            mirrored.append(cluster.id)
        except exceptions.RegionMappingNotFound:
            continue  # the standby region has no cell of its own
        except Exception as exc:  # noqa: BLE001 - the next pass tries again
            LOG.warning('Cluster %s: no mirror written to %s: %s',
                        cluster.id, cluster.standby_region,
                        type(exc).__name__)
    return mirrored, retired
