#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv and install
# trove-mr into it with its test requirements and the local cloud
# (localcloud/). Prints the venv path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${TROVE_MR_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
    # Debian's own python3 needs python3-venv (ensurepip) for this.
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            python3-venv python3-dev >/dev/null
    fi
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --upgrade pip wheel setuptools >&2
fi
stamp="$venv/.trove-mr-$(cat requirements.txt test-requirements.txt \
    setup.cfg localcloud/pyproject.toml | sha1sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    "$venv/bin/pip" install -q -r requirements.txt \
        -r test-requirements.txt >&2
    "$venv/bin/pip" install -q --no-deps -e . >&2
    # The local cloud, a distribution of its own, with its dependencies;
    # after trove-mr, whose older installs owned trove-mr-localcloud and
    # remove it when replaced.
    "$venv/bin/pip" install -q -e ./localcloud >&2
    touch "$stamp"
fi
# The Horizon plugin (dashboard/, a distribution of its own) with Horizon
# and the browser tests' selenium (the browser is Debian's chromium, see
# tools/ensure-services.sh).
dashboard_stamp="$venv/.trove-mr-dashboard-$(cat dashboard-requirements.txt \
    dashboard/pyproject.toml | sha1sum | cut -c1-16)"
if [ ! -f "$dashboard_stamp" ]; then
    "$venv/bin/pip" install -q -r dashboard-requirements.txt >&2
    "$venv/bin/pip" install -q --no-deps -e ./dashboard >&2
    touch "$dashboard_stamp"
fi
# The checkout itself is importable too, so the harness in tests/fixtures
# serves ./run.sh and bench/*.py as it serves the tests.
site=$("$venv/bin/python" -c \
    'import sysconfig; print(sysconfig.get_path("purelib"))')
checkout_pth="$site/trove_mr_checkout.pth"
if [ "$(cat "$checkout_pth" 2>/dev/null)" != "$PWD" ]; then
    echo "$PWD" > "$checkout_pth"
fi
echo "$venv"
