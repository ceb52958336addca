#!/usr/bin/env bash
# Run trove-mr's whole test suite: lint, unit and functional tests.
# Creates its own virtualenv (.venv) and starts the services the functional
# tests need (RabbitMQ, MariaDB, PostgreSQL, ZooKeeper, redis-server) when
# missing.
# Extra arguments go to pytest, e.g. ./run_tests.sh tests/unit -k policy
set -euo pipefail
cd "$(dirname "$0")"
venv=$(tools/venv.sh)
tools/ensure-services.sh all
echo "== lint (ruff)"
"$venv/bin/ruff" check trove_mr localcloud tests bench
# The Horizon plugin, a distribution of its own.
"$venv/bin/ruff" check dashboard
echo "== tests (pytest)"
args=("$@")
# Two workers, each test module whole in one of them (module fixtures,
# such as a cluster several tests share, are built once); every worker
# starts its own system on its own ports, virtual hosts and databases.
[ ${#args[@]} -eq 0 ] && args=(-n "${TROVE_MR_TEST_WORKERS:-2}" \
    --dist loadfile tests)
exec "$venv/bin/pytest" -p no:cacheprovider "${args[@]}"
