#!/usr/bin/env bash
# A database's whole life through the unmodified `openstack database ...`
# CLI, on the system ./run.sh brought up. Stops (exit 1) at the first step
# that fails and says which.
#
#   ./run.sh               # once
#   tools/day2-scenario.sh # then this, as often as wanted
#
# Creates a Redis instance in RegionTwo, resizes its volume and flavor,
# enables root, attaches a configuration group, adds a replica in RegionOne
# with --replica-of, backs it up, lists the backups through each region's
# API, builds a cluster over both regions, grows it with a RegionTwo
# member, shrinks that member away, upgrades the instance and the cluster
# to the other Redis version, and deletes everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."
export OS_CLIENT_CONFIG_FILE=${OS_CLIENT_CONFIG_FILE:-$PWD/.run/clouds.yaml}
[ -f "$OS_CLIENT_CONFIG_FILE" ] || {
    echo "day2: $OS_CLIENT_CONFIG_FILE not found; run ./run.sh first" >&2
    exit 1; }
PATH=$PWD/.venv/bin:$PATH
CLOUD=${DAY2_CLOUD:-demo}
TIMEOUT=${DAY2_TIMEOUT:-300}
tag=day2-$(date +%s)
step=start

fail() { echo "day2: FAILED at step '$step': $*" >&2; exit 1; }
trap 'rc=$?; [ $rc -eq 0 ] || echo "day2: FAILED at step '"'"'$step'"'"' (exit $rc)" >&2' EXIT

run() {  # the CLI as the tenant; stderr kept for the failure message
    openstack --os-cloud "$CLOUD" "$@"
}
field() {  # field KIND ID COLUMN [CLI args...]
    local kind=$1 id=$2 column=$3; shift 3
    run "$@" database "$kind" show "$id" -f value -c "$column"
}
begin() { step=$1; echo "== $step"; }

wait_for() {  # wait_for KIND ID STATUS: until status is STATUS (or ERROR)
    local kind=$1 id=$2 want=$3 status deadline=$((SECONDS + TIMEOUT))
    while :; do
        status=$(field "$kind" "$id" status 2>/dev/null || true)
        [ "$status" = "$want" ] && return 0
        case $status in ERROR|FAILED) fail "$kind $id is $status";; esac
        [ $SECONDS -lt $deadline ] || \
            fail "$kind $id still '$status' after ${TIMEOUT}s (want $want)"
        sleep 2
    done
}
wait_cluster_idle() {  # until the cluster's task is NONE
    local id=$1 task deadline=$((SECONDS + TIMEOUT))
    while :; do
        task=$(run database cluster show "$id" -f json | python3 -c \
            'import json,sys; print(json.load(sys.stdin).get("task_name"))')
        [ "$task" = NONE ] && return 0
        [ $SECONDS -lt $deadline ] || \
            fail "cluster $id still busy ($task) after ${TIMEOUT}s"
        sleep 2
    done
}
wait_gone() {  # wait_gone KIND ID
    local kind=$1 id=$2 deadline=$((SECONDS + TIMEOUT))
    while field "$kind" "$id" id >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "$kind $id not deleted"
        sleep 2
    done
}
redis_ping() {  # redis_ping INSTANCE PASSWORD: PONG from the instance
    local ip
    ip=$(field instance "$1" ip | cut -d, -f1)
    [ "$(redis-cli -h "$ip" -a "$2" --no-auth-warning ping)" = PONG ] || \
        fail "instance $1 does not answer PING with its password"
}

versions=$(run datastore version list redis -f value -c Name)
from_version=$(echo "$versions" | sort -V | head -1)
to_version=$(echo "$versions" | sort -V | tail -1)
[ "$from_version" != "$to_version" ] || \
    fail "the redis datastore needs two versions for the upgrade steps"

begin "create an instance in RegionTwo"
inst=$(run database instance create "$tag-db" --flavor m1.redis --size 1 \
    --datastore redis --datastore-version "$from_version" \
    --region RegionTwo -f value -c id)
wait_for instance "$inst" ACTIVE

begin "resize its volume to 2 GB"
run database instance resize volume "$inst" 2
wait_for instance "$inst" ACTIVE
size=$(field instance "$inst" volume)
[ "$size" = 2 ] || fail "volume size is $size, not 2"

begin "resize its flavor to m1.small"
run database instance resize flavor "$inst" m1.small
wait_for instance "$inst" ACTIVE

begin "enable root and use the new password"
password=$(run database root enable "$inst" -f value -c password)
redis_ping "$inst" "$password"
[ "$(run database root show "$inst" -f value -c is_root_enabled)" = True ] \
    || fail "root show does not say enabled"

begin "create a configuration group and attach it"
conf=$(run database configuration create "$tag-conf" \
    '{"maxmemory-policy": "allkeys-lru", "timeout": 120}' \
    --datastore redis --datastore-version "$from_version" -f value -c id)
run database configuration attach "$inst" "$conf"
wait_for instance "$inst" ACTIVE
run database configuration instances "$conf" -f value -c id | \
    grep -qx "$inst" || fail "configuration $conf is not attached to $inst"

begin "add a replica in RegionOne with --replica-of"
replica=$(run database instance create "$tag-replica" \
    --replica-of "$inst" --region RegionOne -f value -c id)
wait_for instance "$replica" ACTIVE

begin "back the instance up"
backup=$(run database backup create "$tag-backup" --instance "$inst" \
    -f value -c id)
wait_for backup "$backup" COMPLETED

begin "list and show the backup through each region's API"
for region in RegionOne RegionTwo; do
    run --os-region-name "$region" database backup list -f value -c id | \
        grep -qx "$backup" || fail "backup list through $region lacks it"
    run --os-region-name "$region" database backup show "$backup" \
        -f value -c id >/dev/null || fail "backup show through $region"
done

begin "create a cluster over both regions"
cluster=$(run database cluster create "$tag-cluster" redis "$from_version" \
    --instance flavor=m1.redis,volume=1 \
    --instance flavor=m1.redis,volume=1 \
    --instance flavor=m1.redis,volume=1,region=RegionTwo -f value -c id)
wait_cluster_idle "$cluster"

begin "grow the cluster with a RegionTwo member"
run database cluster grow "$cluster" \
    --instance name="$tag-grown",flavor=m1.redis,volume=1,region=RegionTwo
wait_cluster_idle "$cluster"
grown=$(run database cluster list instances "$cluster" -f value \
    -c ID -c Name | awk -v n="$tag-grown" '$2 == n {print $1}')
[ -n "$grown" ] || fail "the grown member is not in the cluster"

begin "shrink the grown member away"
run database cluster shrink "$cluster" "$grown"
wait_cluster_idle "$cluster"
run database cluster list instances "$cluster" -f value -c ID | \
    grep -qx "$grown" && fail "the shrunk member is still in the cluster"

begin "upgrade the replica's master to $to_version"
run database instance detach "$replica"
wait_for instance "$replica" ACTIVE
run database instance upgrade "$inst" "$to_version"
wait_for instance "$inst" ACTIVE
[ "$(field instance "$inst" datastore_version)" = "$to_version" ] || \
    fail "instance not on $to_version"
redis_ping "$inst" "$password"

begin "upgrade the cluster to $to_version"
run database cluster upgrade "$cluster" "$to_version"
wait_cluster_idle "$cluster"

begin "delete everything"
run database configuration detach "$inst"
wait_for instance "$inst" ACTIVE
run database cluster delete "$cluster"
run database instance delete "$replica"
run database backup delete "$backup"
run database instance delete "$inst"
wait_gone instance "$replica"
wait_gone instance "$inst"
wait_gone cluster "$cluster"
run database configuration delete "$conf"

step=done
echo "day2: every step passed"
