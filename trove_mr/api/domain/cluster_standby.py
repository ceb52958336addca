"""A cluster's standby region: create with one, add one, switch over,
fail over, rebuild the members a failover lost.

Every master gets a replica in the standby region, built through the
same cross-region checks as any member (a standby replica is a member of
type slave whose ``related_to`` is its master). A switchover swaps the
roles of the two regions with no write lost; a failover promotes the
standby region when the primary region is lost; the members it lost
can then be replaced by replicas in a region of the tenant's choice
(``cluster/redis/flows/standby_rebuild.py``). Each is a job of the
cluster's owning cell, under the cluster's task (its lock).
"""

import datetime

from oslo_log import log as logging
from oslo_serialization import jsonutils

from trove_mr.api.domain import clusters as cluster_domain
from trove_mr.api.domain import services
from trove_mr.cluster import strategy
from trove_mr.cluster.redis import standby as shards
from trove_mr.common import cfg
from trove_mr.common import exceptions
from trove_mr.common import regions
from trove_mr.common import states
from trove_mr.db import cells
from trove_mr.db import rows
from trove_mr.db.api import api as api_db
from trove_mr.db.main import api as db_api

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

MASTER = 'master'
SLAVE = 'slave'
FAILOVER_FROM = shards.FAILOVER_FROM


def _role(spec):
    role = spec.get('instance_type') or spec.get('type') or MASTER
    return role[0] if isinstance(role, list) else role


def _spec_region(spec):
    return spec.get('region') or spec.get('region_name') or \
        CONF.region_name


def check_region(region, primary_regions, field):
    """``region`` if the cloud knows it and no master is there; 400
    naming ``field`` otherwise."""
    try:
        regions.validate_region(region)
    except exceptions.BadRequest as exc:
        raise exceptions.BadRequest(
            "Invalid input for field '%s': %s" % (field, exc)) from None
    if region in primary_regions:
        raise exceptions.BadRequest(
            "Invalid input for field '%s': '%s' holds the cluster's "
            'masters; a standby region must be another region.'
            % (field, region))
    return region


def primary_region_of(regions_of_masters):
    """The masters' region when they share one, else None."""
    found = set(regions_of_masters)
    return found.pop() if len(found) == 1 else None


def with_standbys(body):
    """A create body with a standby replica of each master appended.

    Members without a name get theirs here (as the strategy would) so
    that each standby can name its master.
    """
    region = body['standby_region']
    specs = [dict(spec) for spec in body['instances']]
    masters = [s for s in specs if _role(s) == MASTER]
    check_region(region, {_spec_region(s) for s in masters},
                 'cluster.standby_region')
    names = {s['name'] for s in specs if s.get('name')}
    index = 1
    for spec in specs:
        if spec.get('name'):
            continue
        while '%s-member-%d' % (body['name'], index) in names:
            index += 1
        spec['name'] = '%s-member-%d' % (body['name'], index)
        names.add(spec['name'])
        index += 1
    for number, master in enumerate(masters, 1):
        name = '%s-standby-%d' % (body['name'], number)
        while name in names:
            name += '-x'
        names.add(name)
        standby = {'name': name, 'type': SLAVE,
                   'related_to': master['name'],
                   'flavorRef': master.get('flavorRef'),
                   'region': region}
        if master.get('volume'):
            standby['volume'] = dict(master['volume'])
        specs.append(standby)
    return dict(body, instances=specs)


def create_values(body):
    """Cluster columns of a create with a standby region."""
    masters = [s for s in body['instances'] if _role(s) == MASTER]
    return {'standby_region': body['standby_region'],
            'auto_failover': bool(body.get('auto_failover')),
            'primary_region': primary_region_of(
                _spec_region(s) for s in masters)}


def check_create(body):
    """400 for ``auto_failover`` without a standby region."""
    if body.get('auto_failover') and not body.get('standby_region'):
        raise exceptions.BadRequest(
            "Invalid input for field 'cluster.auto_failover': an "
            'automatic failover needs a standby_region.')


def set_failover_policy(context, tenant_id, cluster_id, automatic):
    """Turn the automatic failover of a cluster on or off (no job)."""
    with cluster_domain._in_cell(context, cluster_id) as cctx:
        cluster, _members = _load(cctx, tenant_id, cluster_id)
        _require_standby(cluster, 'failover_policy')
        db_api.cluster_update(cctx, cluster_id,
                              {'auto_failover': bool(automatic)})


def _load(cctx, tenant_id, cluster_id):
    cluster = db_api.cluster_get(cctx, cluster_id, tenant_id=tenant_id)
    strategy.check_support(cluster.datastore_version.manager)
    return cluster, db_api.instances_by_cluster(cctx, cluster_id)


def _masters(members):
    return [m for m in members if (m.type or MASTER) == MASTER]


def pairs_of(cluster, members):
    """``[[master id, standby id], ...]``; 409 when a master has none."""
    return shards.pairs_of(cluster, members)


def add_standby(context, tenant_id, cluster_id, region, taskmanager_api):
    """Give a running cluster a standby region: a replica of each master
    built there (a grow); 202 with the cluster and its new members."""
    with cluster_domain._in_cell(context, cluster_id) as cctx:
        cluster, members = _load(cctx, tenant_id, cluster_id)
        if cluster.standby_region:
            raise exceptions.BadRequest(
                "Invalid input for field 'add_standby.region': cluster %s "
                'already has the standby region %s.'
                % (cluster_id, cluster.standby_region))
        masters = _masters(members)
        check_region(region, {m.region_name for m in masters},
                     'add_standby.region')
        specs = [{'type': SLAVE, 'related_to': m.id,
                  'flavorRef': m.flavor_id, 'region': region,
                  'volume': {'size': m.volume_size,
                             'type': m.volume_type}} for m in masters]
    cluster, new_members = cluster_domain.grow(
        context, tenant_id, cluster_id, specs, taskmanager_api)
    with cluster_domain._in_cell(context, cluster_id) as cctx:
        cluster = db_api.cluster_update(cctx, cluster_id, {
            'standby_region': region,
            'primary_region': primary_region_of(
                m.region_name for m in masters)})
    return cluster, new_members


def lost_member_ids(cluster, members):
    """Members the last failover lost that are still LOST (not back as
    replicas since), in the record's order."""
    record = jsonutils.loads(getattr(cluster, 'failover_state', None)
                             or '{}') or {}
    if record.get('kind') != 'failover':
        return []
    by_id = {m.id: m for m in members}
    return [i for i in record.get('lost_members') or []
            if i in by_id and getattr(by_id[i].status, 'status', None)
            == states.SERVICE_LOST]


def _silent(members):
    """Ids of members whose guest did not report lately (or that are
    busy): nothing can be asked of them."""
    since = rows.now() - datetime.timedelta(
        seconds=CONF.agent_heartbeat_expiry)
    silent = []
    for member in members:
        status = member.status
        heartbeat = getattr(status, 'heartbeat_at', None)
        if member.task_status != states.TASK_NONE or heartbeat is None \
                or heartbeat < since or \
                status.status == states.SERVICE_LOST:
            silent.append(member.id)
    return sorted(silent)


def rebuild_lost(context, tenant_id, cluster_id, region, taskmanager_api):
    """Remove the members a failover lost and build a replica of each
    master in ``region`` (one job, task GROWING_CLUSTER); 202 with the
    cluster and its new members.

    409 when no member is lost, or when a surviving member's guest does
    not report to the cluster's cell (after a takeover by the standby
    region's cell the surviving guests still talk to the lost cell's
    bus); 400 naming ``rebuild_lost.region`` when the region is unknown
    or holds the masters.
    """
    with cluster_domain._in_cell(context, cluster_id) as cctx:
        cluster, members = _load(cctx, tenant_id, cluster_id)
        lost = lost_member_ids(cluster, members)
        if not lost:
            raise exceptions.Conflict(
                'Cluster %s has no member lost in a failover to rebuild.'
                % cluster_id)
        cluster_domain._refuse_busy(cluster)
        survivors = [m for m in members if m.id not in lost]
        masters = _masters(survivors)
        check_region(region, {m.region_name for m in masters},
                     'rebuild_lost.region')
        silent = _silent(survivors)
        if silent:
            raise exceptions.Conflict(
                'Cluster %s cannot rebuild its lost members: the guests of '
                'members %s do not report to this region\'s control plane '
                '(busy, stopped, or, after a failover made while the '
                'owning region\'s control plane was down, still attached '
                'to that one).' % (cluster_id, ', '.join(silent)))
        # A master's flavor id is one of its own region: named, it
        # resolves in the API's region and then in ``region``.
        specs = [{'type': SLAVE, 'related_to': m.id,
                  'flavorRef': regions.flavor_name(
                      cctx, m.region_name, m.flavor_id) or m.flavor_id,
                  'region': region,
                  'volume': {'size': m.volume_size,
                             'type': m.volume_type}} for m in masters]

    def submit(cctx, placements):
        taskmanager_api.rebuild_lost_members(cctx, cluster_id, placements,
                                             lost, region)

    return cluster_domain.grow(context, tenant_id, cluster_id, specs,
                               taskmanager_api, submit=submit)


def switchover(context, tenant_id, cluster_id, taskmanager_api):
    """Swap the roles of the primary and standby regions; 202.

    Every member must be running: a planned switchover hands every
    acknowledged write over before a standby takes its master's slots.
    """
    with cluster_domain._in_cell(context, cluster_id) as cctx:
        cluster, members = _load(cctx, tenant_id, cluster_id)
        _require_standby(cluster, 'switchover')
        _require_one_primary(cluster)
        cluster_domain._refuse_busy(cluster)
        busy = sorted(m.id for m in members
                      if m.task_status != states.TASK_NONE)
        if busy:
            raise exceptions.Conflict(
                'Cluster %s cannot switch over while members %s are busy.'
                % (cluster_id, ', '.join(busy)))
        pairs = pairs_of(cluster, members)
        services.require_taskmanager(cctx)
        cluster_domain._lock(cctx, cluster, 'SWITCHING_OVER')
        cluster_domain._cast_or_unlock(
            cctx, cluster, 'SWITCHING_OVER',
            lambda: taskmanager_api.switchover_cluster(cctx, cluster_id,
                                                       pairs))


def failover(context, tenant_id, cluster_id, region, taskmanager_api):
    """Promote the standby region ``region``: the primary is lost; 202.

    Accepted whatever the cluster was doing (its primary region may have
    died under any task) but a delete. Served in the owning cell; when
    that cell does not answer (its database, bus or taskmanagers down),
    by the cell of ``region`` from the cluster's mirror there (a
    takeover, ``cluster/redis/flows/standby_takeover.py``).
    """
    try:
        _failover_in_owning_cell(context, tenant_id, cluster_id, region,
                                 taskmanager_api)
        return
    except Exception as exc:
        if not _cell_down(exc):
            raise
        outage = exc
    mapping = api_db.cluster_mapping_refresh(context, cluster_id)
    if mapping.name == region:
        # Taken over already: the cell of ``region`` owns the cluster.
        _failover_in_owning_cell(context, tenant_id, cluster_id, region,
                                 taskmanager_api)
        return
    LOG.warning('Cluster %s: its owning cell %s does not answer (%s); '
                'asking the cell of %s to take it over', cluster_id,
                mapping.name, type(outage).__name__, region)
    if isinstance(outage, exceptions.ServiceUnavailable):
        unavailable = outage
    else:
        unavailable = exceptions.ServiceUnavailable(
            'Region %s is unavailable: its database or message queue '
            'cannot be reached, and region %s holds no copy of cluster %s '
            'to take it over from.' % (mapping.name, region, cluster_id))
    if not _take_over(context, tenant_id, cluster_id, region,
                      taskmanager_api):
        raise unavailable from outage


def _cell_down(exc):
    return isinstance(exc, exceptions.ServiceUnavailable) or \
        cells.is_unreachable_error(exc)


def _failover_in_owning_cell(context, tenant_id, cluster_id, region,
                             taskmanager_api):
    with cluster_domain._in_cell(context, cluster_id) as cctx:
        cluster, members = _load(cctx, tenant_id, cluster_id)
        _require_standby(cluster, 'failover')
        if region != cluster.standby_region:
            raise exceptions.BadRequest(
                "Invalid input for field 'failover.region': '%s' is not "
                "the standby region of cluster %s (it is '%s')."
                % (region, cluster_id, cluster.standby_region))
        _require_one_primary(cluster)
        pairs = pairs_of(cluster, members)
        services.require_taskmanager(cctx)
        if _has_mirror(cctx, cluster_id):
            # A takeover by this cell stopped half-way: ask it again.
            _lock_mirror(cctx, cluster_id)
            try:
                cluster_domain._lock(cctx, cluster, 'FAILING_OVER',
                                     allowed=FAILOVER_FROM)
            except Exception:
                db_api.cluster_mirror_unlock(cctx, cluster_id)
                raise
            cluster_domain._cast_or_unlock(
                cctx, cluster, 'FAILING_OVER',
                lambda: _take_over_cast(cctx, cluster_id, region,
                                        taskmanager_api))
            return
        cluster_domain._lock(cctx, cluster, 'FAILING_OVER',
                             allowed=FAILOVER_FROM)
        cluster_domain._cast_or_unlock(
            cctx, cluster, 'FAILING_OVER',
            lambda: taskmanager_api.failover_cluster(cctx, cluster_id,
                                                     pairs, region))


def _has_mirror(cctx, cluster_id):
    try:
        db_api.cluster_mirror_get(cctx, cluster_id)
    except exceptions.ClusterNotFound:
        return False
    return True


def _lock_mirror(cctx, cluster_id):
    db_api.cluster_mirror_lock(cctx, cluster_id, 'FAILING_OVER')


def _take_over_cast(cctx, cluster_id, region, taskmanager_api):
    try:
        taskmanager_api.take_over_cluster(cctx, cluster_id, region)
    except Exception:
        db_api.cluster_mirror_unlock(cctx, cluster_id)
        raise


def _take_over(context, tenant_id, cluster_id, region, taskmanager_api):
    """The failover by the cell of ``region`` from its mirror of the
    cluster; False when that cell holds none (of this tenant's)."""
    try:
        standby_cell = api_db.region_mapping_get(context, region)
    except exceptions.RegionMappingNotFound:
        return False
    with cells.owning_cell(context, standby_cell) as sctx:
        try:
            row = db_api.cluster_mirror_get(sctx, cluster_id,
                                            tenant_id=tenant_id)
        except exceptions.ClusterNotFound:
            return False
        record = jsonutils.loads(row.record)
        cluster = record['cluster']
        if region != cluster['standby_region']:
            raise exceptions.BadRequest(
                "Invalid input for field 'failover.region': '%s' is not "
                "the standby region of cluster %s (it is '%s')."
                % (region, cluster_id, cluster['standby_region']))
        if not cluster['primary_region'] or not record.get('pairs'):
            raise exceptions.Conflict(
                'Cluster %s cannot be taken over by %s: its masters are '
                'not in one region, or one has no standby there.'
                % (cluster_id, region))
        services.require_taskmanager(sctx)
        _lock_mirror(sctx, cluster_id)
        try:
            _take_over_cast(sctx, cluster_id, region, taskmanager_api)
        except Exception as exc:
            LOG.error('Could not ask a taskmanager of %s to take cluster '
                      '%s over: %s', region, cluster_id, exc)
            raise exceptions.ServiceUnavailable(
                'No taskmanager of region %s could be reached; the cluster '
                'is unchanged.' % region) from exc
    return True


def _require_standby(cluster, action):
    if not cluster.standby_region:
        raise exceptions.BadRequest(
            "Invalid input for field '%s': cluster %s has no standby "
            'region; add one with add_standby.' % (action, cluster.id))


def _require_one_primary(cluster):
    """The regions swap roles: the masters must share one region."""
    if not cluster.primary_region:
        raise exceptions.Conflict(
            'Cluster %s has masters in several regions; only a cluster '
            'whose masters share one region can swap it with its standby '
            'region.' % cluster.id)
