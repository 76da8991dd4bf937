#!/usr/bin/env bash
# The benchmark, in one command from the repository root: `bash bench/run.sh`.
# Makes bench/.venv (once) with bench/requirements.txt, installs Debian's wrk if it is missing,
# then runs bench/password_rule.py and bench/run.py, which print their tables. Extra arguments
# go to run.py.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

# Its own venv, so that Flask-Security-Too cannot move the app's pins.
VENV="$ROOT/bench/.venv"
python_venv bench/requirements.txt
command -v wrk >/dev/null || apt_install wrk

cd "$ROOT"
echo "The password rule's cost (bench/password_rule.py):"
"$VENV/bin/python" bench/password_rule.py
echo
exec "$VENV/bin/python" bench/run.py "$@"
