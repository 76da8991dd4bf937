#!/usr/bin/env bash
# Run the whole test suite from a fresh clone: every test on SQLite, then the tests that use
# the database, the limiter's store or mail again on PostgreSQL with Redis. Installs what the
# tests need; the second pass runs with a throwaway PostgreSQL cluster and Redis on free
# loopback ports (devtools/services.py), removed again at the end, whatever happens. Extra
# arguments go to both pytest runs. Ends with each pass's wall time and slowest tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

apt_install curl ca-certificates chromium fonts-dejavu-core
# The packages' own servers stay stopped (nginx's would take port 80): the tests run private
# ones. nginx's set-misc module is for forward auth's return address (docs/operations.md).
apt_install --no-start postgresql redis-server nginx libnginx-mod-http-set-misc
python_venv requirements-dev.txt
cd "$ROOT"
"$VENV/bin/python" -m ruff check .
# ESLint beside ruff, for the page's scripts (eslint.config.mjs), at the versions that
# package-lock.json pins: ESLint 9, which runs on Debian 12's Node.js 18 (ESLint 10 does not).
command -v npm >/dev/null || apt_install nodejs npm
npm ci --no-audit --no-fund --loglevel=error
npx --no-install eslint app/static/js

trap 'exit 130' INT
trap 'exit 143' TERM

# Two workers (pytest-xdist), one per core of the CI machine; TEST_WORKERS changes it.
WORKERS=(-n "${TEST_WORKERS:-2}" --dist worksteal)
REPORTS="$(mktemp -d)"
trap 'rm -rf "$REPORTS"' EXIT

sqlite_status=0
postgresql_status=0
echo
echo "=== Pass 1 of 2: SQLite (tests marked postgres or redis are deselected) ==="
started=$SECONDS
TEST_DATABASE=sqlite "$VENV/bin/python" -m pytest "${WORKERS[@]}" \
  -m "not postgres and not redis" --junitxml="$REPORTS/sqlite.xml" "$@" || sqlite_status=$?
sqlite_seconds=$((SECONDS - started))
echo
echo "=== Pass 2 of 2: PostgreSQL and Redis (only the tests marked database, not marked sqlite) ==="
started=$SECONDS
"$VENV/bin/python" -m devtools.services \
  env TEST_DATABASE=postgresql "$VENV/bin/python" -m pytest "${WORKERS[@]}" \
  -m "database and not sqlite" --junitxml="$REPORTS/postgresql.xml" "$@" || postgresql_status=$?
postgresql_seconds=$((SECONDS - started))

echo
"$VENV/bin/python" -m devtools.test_report \
  "1 of 2, SQLite=$REPORTS/sqlite.xml:$sqlite_status:$sqlite_seconds" \
  "2 of 2, PostgreSQL and Redis=$REPORTS/postgresql.xml:$postgresql_status:$postgresql_seconds"
[ "$sqlite_status" -eq 0 ] && [ "$postgresql_status" -eq 0 ]
