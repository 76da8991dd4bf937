#!/usr/bin/env bash
# Shared set-up, sourced by run.sh and test.sh: system packages through apt-get when they
# are missing, then a virtualenv in .venv with the given requirements file installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

# apt_install [--no-start] PKG...: install the Debian packages that are not there yet.
# With --no-start, their daemons are not started by the install (a policy-rc.d refuses it
# for the duration, as Docker images do), so nothing is left running: for servers that the
# caller runs itself, such as the tests' throwaway PostgreSQL and Redis.
apt_install() {
  local no_start=""
  if [ "${1:-}" = "--no-start" ]; then
    no_start=1
    shift
  fi
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
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [ -n "$no_start" ] && [ ! -e "$policy" ]; then
    "${sudo[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    made_policy=1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  local status=0
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || status=$?
  if [ "$status" -eq 0 ]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null || status=$?
  fi
  [ -z "$made_policy" ] || "${sudo[@]}" rm -f "$policy"
  return "$status"
}

# python_venv REQUIREMENTS: make .venv (once) and install REQUIREMENTS into it.
python_venv() {
  local requirements="$1"
  local python="${PYTHON:-python3}"
  if ! command -v "$python" >/dev/null; then
    apt_install python3 python3-venv
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    # Debian's python3 ships venv (with ensurepip) in a package of its own.
    "$python" -m venv "$VENV" 2>/dev/null || { rm -rf "$VENV"; apt_install python3-venv; "$python" -m venv "$VENV"; }
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/$requirements"
}
