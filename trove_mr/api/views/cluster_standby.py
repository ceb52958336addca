"""The standby part of a cluster's view: shards, regions, lag, failover.

A shard is a master with its replicas; its standby is its replica in the
cluster's standby region. The lag is what that replica's guest last
reported (every heartbeat) while its link to the master was up, so after
a lost region it is the window of writes the takeover may have lost.
"""

from oslo_serialization import jsonutils

MASTER = 'master'


def _lag(row):
    status = row.status if row is not None else None
    return {'seconds': getattr(status, 'repl_lag_seconds', None),
            'bytes': getattr(status, 'repl_lag_bytes', None)}


def shards(cluster, members):
    """``[{'master', 'primary_region', 'standby', 'standby_region',
    'replication_lag'}]`` of a cluster's members, masters in order."""
    standbys = {}
    for row in members:
        if row.type == 'slave' and row.related_to and \
                row.region_name == cluster.standby_region:
            standbys.setdefault(row.related_to, row)
    answer = []
    for row in members:
        if (row.type or MASTER) != MASTER:
            continue
        standby = standbys.get(row.id)
        answer.append({
            'master': row.id, 'primary_region': row.region_name or '',
            'standby': standby.id if standby is not None else None,
            'standby_region': cluster.standby_region,
            'replication_lag': _lag(standby)})
    return answer


def failover_record(cluster):
    """The last switchover or failover, as saved (a dict), or None."""
    if not cluster.failover_state:
        return None
    return jsonutils.loads(cluster.failover_state)


def read_hints(cluster, members):
    """Per region, the members a client there should read from: its
    running replicas (with READONLY on the connection), else its running
    masters."""
    running = [row for row in members if row.status is not None and
               row.status.status == 'RUNNING']
    hints = {}
    for wanted in ('slave', MASTER):
        for row in running:
            region = row.region_name or ''
            if (row.type or MASTER) != wanted or \
                    hints.get(region, (None, wanted))[1] != wanted:
                continue
            hints.setdefault(region, ([], wanted))[0].append(row.id)
    return {region: ids for region, (ids, _role) in hints.items()}


def add_to(view, cluster, members, detail=True):
    """Add the standby fields to ``view`` when the cluster has a standby
    region or went through a failover."""
    if not getattr(cluster, 'standby_region', None) and \
            not getattr(cluster, 'failover_state', None):
        return view
    view['primary_region'] = cluster.primary_region
    view['standby_region'] = cluster.standby_region
    view['failover_policy'] = 'automatic' if cluster.auto_failover \
        else 'manual'
    if detail:
        view['shards'] = shards(cluster, members)
        view['read_hints'] = read_hints(cluster, members)
    record = failover_record(cluster)
    if record is not None:
        view['failover'] = record
    return view
