#!/usr/bin/env bash
# Creates the Python virtual environments with Locust and the Load Manager plugin (locust/).
#   .venv/locust       the newest Locust we support; the local runner uses it (npm start, npm test)
#   .venv/locust-2.20  the oldest Locust we support; only `npm test` needs it (pass --oldest)
# Idempotent: a venv is rebuilt only when its pins or the plugin's pyproject change.
source "$(dirname "$0")/lib.sh"

NEWEST=2.47.0
OLDEST=2.20.0

make_venv() {
  local dir=$1 version=$2
  local want="locust==$version pytest==8.4.2 $(sha1sum locust/pyproject.toml | cut -c1-12)"
  if [ -x "$dir/bin/loadmgr-locust" ] && [ "$(cat "$dir/.loadmgr-stamp" 2>/dev/null)" = "$want" ]; then return; fi
  log "creating $dir (Locust $version and the plugin; about 20 s)…"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "locust==$version" "pytest==8.4.2"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps -e locust/
  echo "$want" >"$dir/.loadmgr-stamp"
}

command -v python3 >/dev/null || { log "python3 (3.9 or newer) is needed for Locust"; exit 1; }
make_venv .venv/locust "$NEWEST"
if [ "${1:-}" = "--oldest" ]; then make_venv .venv/locust-2.20 "$OLDEST"; fi
