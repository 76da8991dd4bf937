#!/usr/bin/env bash
# The benchmark, in one command from the repository root: `bash bench/run.sh`.
# Makes bench/.venv (once) with bench/requirements.txt, installs Debian's wrk if it is missing,
# then runs bench/run.py, which prints the table. Extra arguments go to run.py.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$BENCH/.venv"
PYTHON="${PYTHON:-python3}"

# apt_install PKG...: install the Debian packages that are not there yet.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "Please install: ${missing[*]} (as root)" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "Installing Debian packages: ${missing[*]}" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

command -v "$PYTHON" >/dev/null || apt_install python3 python3-venv
if [ ! -x "$VENV/bin/python" ]; then
  # Debian's python3 ships venv (with ensurepip) in a package of its own.
  "$PYTHON" -m venv "$VENV" 2>/dev/null || { rm -rf "$VENV"; apt_install python3-venv; "$PYTHON" -m venv "$VENV"; }
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$BENCH/requirements.txt"
command -v wrk >/dev/null || apt_install wrk

cd "$BENCH/.."
exec "$VENV/bin/python" bench/run.py "$@"
