#!/usr/bin/env bash
# Bring trove-mr up on this machine: ./run.sh [start|stop|status|restart]
#
#   start (default)  venv, RabbitMQ and redis-server, .run/trove-mr.conf,
#                    db sync, then trove-mr-api, -taskmanager and -conductor
#                    in the background; waits until each answers.
#   stop             stops every process started here (TERM, then KILL).
#   status           what is running.
#
# Everything lives under .run/: config, SQLite databases, pid files, logs.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
run_dir=$root/.run
conf=$run_dir/trove-mr.conf
services=(api taskmanager conductor)
stop_timeout=${TROVE_MR_STOP_TIMEOUT:-15}

log() { echo "run.sh: $*" >&2; }

pid_of() {
    local pidfile=$run_dir/$1.pid
    [ -f "$pidfile" ] || return 1
    local pid
    pid=$(cat "$pidfile")
    # A pid file outliving its process (reboot, kill -9) is stale.
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "$pid"
        return 0
    fi
    return 1
}

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

stop_one() {
    local name=$1 pid
    pid=$(cat "$run_dir/$name.pid" 2>/dev/null || true)
    # The group, not only its leader: a worker may outlive its parent.
    if [ -z "$pid" ] || ! group_alive "$pid"; then
        rm -f "$run_dir/$name.pid"
        return 0
    fi
    # Each service runs in its own process group (setsid): signal the
    # group so that workers and forked children stop with their parent.
    kill -TERM -- "-$pid" 2>/dev/null || true
    local waited=0
    while group_alive "$pid" && [ "$waited" -lt $((stop_timeout * 10)) ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if group_alive "$pid"; then
        log "$name did not stop in ${stop_timeout}s; killing it"
        kill -KILL -- "-$pid" 2>/dev/null || true
        sleep 0.2
    fi
    rm -f "$run_dir/$name.pid"
    echo "stopped trove-mr-$name (pid $pid)"
}

do_stop() {
    local name
    for name in "${services[@]}"; do
        stop_one "$name"
    done
}

do_status() {
    local name pid running=0
    for name in "${services[@]}"; do
        if pid=$(pid_of "$name"); then
            echo "trove-mr-$name: running (pid $pid, log $run_dir/$name.log)"
            running=$((running + 1))
        else
            echo "trove-mr-$name: stopped"
        fi
    done
    [ "$running" -eq "${#services[@]}" ]
}

free_port() {
    "$venv/bin/python" - "$1" <<'PY'
import socket
import sys

def is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
        return True

preferred = int(sys.argv[1])
if is_free(preferred):
    print(preferred)
else:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        print(sock.getsockname()[1])
PY
}

write_config() {
    local port=$1
    cat > "$conf" <<CONF
# Written by run.sh; rewritten at every start.
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:5672/
region_name = RegionOne

[database]
connection = sqlite:///$run_dir/trove-mr-region.sqlite

[api_database]
connection = sqlite:///$run_dir/trove-mr-api.sqlite

[api]
bind_host = 127.0.0.1
bind_port = $port
workers = 2
auth_strategy = noauth
CONF
}

http_get() {
    # http_get URL [header...]: prints the body, fails unless 2xx.
    "$venv/bin/python" - "$@" <<'PY'
import sys
import urllib.request

request = urllib.request.Request(sys.argv[1])
for header in sys.argv[2:]:
    name, value = header.split(':', 1)
    request.add_header(name.strip(), value.strip())
with urllib.request.urlopen(request, timeout=10) as answer:
    print(answer.read().decode())
PY
}

wait_for() {
    # wait_for WHAT SECONDS COMMAND...: retry COMMAND until it succeeds.
    local what=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "$what did not answer in ${seconds}s; see the logs in $run_dir"
            return 1
        fi
        local name
        for name in "${services[@]}"; do
            if ! pid_of "$name" >/dev/null; then
                log "trove-mr-$name exited; last lines of $run_dir/$name.log:"
                tail -n 20 "$run_dir/$name.log" >&2 || true
                return 1
            fi
        done
        sleep 0.5
    done
}

do_start() {
    venv=$(tools/venv.sh)
    if do_status >/dev/null 2>&1; then
        echo "trove-mr is already running:"
        do_status
        echo "stop it with: $root/run.sh stop"
        return 0
    fi
    # Half up (a service died): start again from a clean state.
    do_stop >/dev/null
    tools/ensure-services.sh run
    mkdir -p "$run_dir"
    local port
    port=$(free_port 8779)
    write_config "$port"
    if [ -x "$venv/bin/trove-mr-manage" ] \
            && "$venv/bin/python" -c 'import trove_mr.cmd.manage' 2>/dev/null
    then
        log "syncing the databases"
        "$venv/bin/trove-mr-manage" --config-file "$conf" db sync \
            >>"$run_dir/manage.log" 2>&1 \
            || { log "db sync failed; see $run_dir/manage.log"; exit 1; }
    fi
    local name
    for name in "${services[@]}"; do
        setsid "$venv/bin/trove-mr-$name" --config-file "$conf" \
            >>"$run_dir/$name.log" 2>&1 </dev/null &
        echo $! > "$run_dir/$name.pid"
    done
    local api=http://127.0.0.1:$port
    if ! wait_for "trove-mr-api" 60 http_get "$api/healthcheck" \
            || ! wait_for "taskmanager and conductor" 60 http_get \
                "$api/v1.0/run-sh/mgmt/ping" 'X-Project-Id: run-sh' \
                'X-Roles: admin'; then
        do_stop
        exit 1
    fi
    echo "trove-mr is running (RPC path api -> taskmanager -> conductor OK):"
    do_status
    echo "API:     $api/  (auth_strategy = noauth: send X-Project-Id," \
         "X-Roles headers)"
    echo "config:  $conf"
    echo "logs:    $run_dir/{api,taskmanager,conductor}.log"
    echo "stop:    $root/run.sh stop"
}

case "${1:-start}" in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    restart) do_stop; do_start ;;
    *) log "usage: $0 [start|stop|status|restart]"; exit 2 ;;
esac
