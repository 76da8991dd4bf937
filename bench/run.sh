#!/usr/bin/env bash
# The benchmark, in one command from the repository root: `bash bench/run.sh`.
# Makes bench/.venv (once) with bench/requirements.txt, installs Debian's wrk, PostgreSQL and
# Redis if they are missing (their own daemons stay stopped: the bench runs throwaway ones),
# then runs bench/password_rule.py and the bench package (`python -m bench`, see bench/README.md),
# which print their tables.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

# Its own venv, so that Flask-Security-Too cannot move the app's pins.
VENV="$ROOT/bench/.venv"
python_venv bench/requirements.txt
command -v wrk >/dev/null || apt_install wrk
apt_install --no-start postgresql redis-server

cd "$ROOT"
echo "The password rule's cost (bench/password_rule.py):"
"$VENV/bin/python" bench/password_rule.py
echo
exec "$VENV/bin/python" -m bench
