"""Shards of a cluster with a standby region, read from member rows.

The API (to check and cast a switchover or failover) and the
taskmanager's watch of clusters whose failover policy is automatic use
the same reading: a shard is a master and its standby, the master's
replica in the cluster's standby region.
"""

import datetime

from trove_mr.common import exceptions
from trove_mr.db import rows

MASTER = 'master'
SLAVE = 'slave'
# Tasks a failover may interrupt: the primary region may die under any
# of them, leaving a task nobody will finish. Not a failover already
# running (its job is durable: it finishes).
FAILOVER_FROM = ('NONE', 'FAILED', 'SWITCHING_OVER', 'GROWING_CLUSTER',
                 'SHRINKING_CLUSTER', 'REBALANCING', 'UPDATING_CLUSTER')


def masters(members):
    return [m for m in members if (m.type or MASTER) == MASTER]


def standby_of(cluster, members):
    """``{master id: standby row}``."""
    found = {}
    for row in members:
        if row.type == SLAVE and row.related_to and \
                row.region_name == cluster.standby_region:
            found.setdefault(row.related_to, row)
    return found


def pairs_of(cluster, members):
    """``[[master id, standby id], ...]``; 409 when a master has none."""
    standbys = standby_of(cluster, members)
    missing = sorted(m.id for m in masters(members) if m.id not in standbys)
    if missing:
        raise exceptions.Conflict(
            'Masters %s of cluster %s have no standby in %s.'
            % (', '.join(missing), cluster.id, cluster.standby_region))
    return [[m.id, standbys[m.id].id] for m in masters(members)]


def _heard_since(row, since):
    status = row.status
    return status is not None and status.heartbeat_at is not None and \
        status.heartbeat_at >= since


def primary_region_lost(cluster, members, silence, now=None):
    """Whether every master has been silent for ``silence`` seconds while
    every standby still reports: the primary region is gone, not one
    node (Redis fails one master over by itself)."""
    now = now or rows.now()
    since = now - datetime.timedelta(seconds=silence)
    standbys = standby_of(cluster, members)
    shards = masters(members)
    if not shards or any(m.id not in standbys for m in shards):
        return False
    return all(not _heard_since(m, since) for m in shards) and \
        all(_heard_since(standbys[m.id], since) for m in shards)
