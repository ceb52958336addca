#!/usr/bin/env bash
# Bring the whole trove-mr system up on this machine and show it working:
#
#   ./run.sh [start]   venv, RabbitMQ and redis-server when missing; a local
#                      two-region cloud (Keystone, Nova, Cinder, Glance,
#                      Swift); one control cell per region (its own SQLite
#                      database, RabbitMQ vhost, taskmanager, conductor and
#                      API, lists in global mode) with a shared API
#                      database. Then creates a Redis instance in
#                      RegionTwo through the API, waits for ACTIVE, writes
#                      and reads a key in it, and builds a three-master
#                      Redis cluster spanning RegionOne and RegionTwo.
#                      Leaves everything up.
#   ./run.sh stop      stops every process it started (guests included).
#   ./run.sh status    what is running.
#   ./run.sh restart   stop, then start.
#   ./run.sh dashboard Horizon with the trove-mr dashboard (dashboard/)
#                      against the running system's local cloud; prints
#                      its URL and the demo login. ./run.sh stop stops
#                      it too. Not part of start.
#
# Everything lives under .run/: trove-mr.conf, clouds.yaml, the databases,
# pids.json and the logs (.run/log/, .run/cloud/servers/<id>/console.log).
set -euo pipefail
cd "$(dirname "$0")"
run_dir=.run

engine() {
    "$venv/bin/python" -m tests.fixtures.devenv_cli "$@" --dir "$run_dir"
}

venv_path() {
    if [ -x .venv/bin/python ]; then echo .venv; else tools/venv.sh; fi
}

case "${1:-start}" in
    start)
        venv=$(tools/venv.sh)
        # What it writes under .run/ holds passwords and keys: owner only.
        umask 077
        tools/ensure-services.sh run
        engine up --cells
        engine demo
        engine demo-cluster
        ;;
    stop)
        venv=$(venv_path)
        engine down
        ;;
    status)
        venv=$(venv_path)
        engine status
        ;;
    dashboard)
        venv=$(tools/venv.sh)
        umask 077
        engine dashboard
        ;;
    restart)
        "$0" stop
        "$0" start
        ;;
    *)
        echo "usage: $0 [start|stop|status|restart|dashboard]" >&2
        exit 2
        ;;
esac
