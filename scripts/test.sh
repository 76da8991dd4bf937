#!/usr/bin/env bash
# Run the whole test suite from a fresh clone: installs what the tests need, then pytest.
# Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

apt_install curl ca-certificates chromium fonts-dejavu-core
python_venv requirements-dev.txt
cd "$ROOT"
"$VENV/bin/python" -m ruff check .
exec "$VENV/bin/python" -m pytest "$@"
