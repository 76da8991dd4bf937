#!/usr/bin/env bash
# Run the whole test suite from a fresh clone, twice: on SQLite, then on PostgreSQL with
# Redis. Installs what the tests need; the second pass runs with a throwaway PostgreSQL
# cluster and Redis on free loopback ports (devtools/services.py), removed again at the end,
# whatever happens. Extra arguments go to both pytest runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

apt_install curl ca-certificates chromium fonts-dejavu-core
# The packages' own servers stay stopped: the tests run private ones.
apt_install --no-start postgresql redis-server
python_venv requirements-dev.txt
cd "$ROOT"
"$VENV/bin/python" -m ruff check .

trap 'exit 130' INT
trap 'exit 143' TERM

sqlite_status=0
postgresql_status=0
echo
echo "=== Pass 1 of 2: SQLite (tests marked postgres or redis are deselected) ==="
TEST_DATABASE=sqlite "$VENV/bin/python" -m pytest -m "not postgres and not redis" "$@" || sqlite_status=$?
echo
echo "=== Pass 2 of 2: PostgreSQL and Redis (tests marked sqlite are deselected) ==="
"$VENV/bin/python" -m devtools.services \
  env TEST_DATABASE=postgresql "$VENV/bin/python" -m pytest -m "not sqlite" "$@" || postgresql_status=$?

outcome() { [ "$1" -eq 0 ] && echo "passed" || echo "FAILED (pytest exit status $1)"; }
echo
echo "Pass 1, SQLite:     $(outcome "$sqlite_status")"
echo "Pass 2, PostgreSQL: $(outcome "$postgresql_status")"
[ "$sqlite_status" -eq 0 ] && [ "$postgresql_status" -eq 0 ]
