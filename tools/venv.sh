#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv and install
# trove-mr into it with its test requirements. Prints the venv path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${TROVE_MR_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --upgrade pip wheel setuptools >&2
fi
stamp="$venv/.trove-mr-$(cat requirements.txt test-requirements.txt \
    setup.cfg | sha1sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    "$venv/bin/pip" install -q -r requirements.txt \
        -r test-requirements.txt >&2
    "$venv/bin/pip" install -q --no-deps -e . >&2
    touch "$stamp"
fi
echo "$venv"
