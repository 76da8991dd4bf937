#!/usr/bin/env bash
# Run the app on the embedded default (SQLite in instance/), from a fresh clone:
# installs what is missing, brings the database to the current schema, then serves
# on http://localhost:${PORT:-5000} (listening on 127.0.0.1 only; run.py prints the address,
# localhost, because browsers refuse passkeys at an IP address).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

python_venv requirements.txt
cd "$ROOT"
"$VENV/bin/python" manage.py db upgrade
exec "$VENV/bin/python" run.py
