#!/usr/bin/env bash
# Creates the Python virtual environments with Locust and the Load Manager plugin (locust/).
#   .venv/locust       the newest Locust we support; the local runner uses it (npm start, npm test)
#   .venv/locust-2.20  the oldest Locust we support; only `npm test` needs it (pass --oldest)
#   .venv/agent-wheel  the plugin and agent as a wheel, which the server serves to generator hosts
# The plugin is installed as a package (not editable): runs see only the venv, inside their sandbox.
# Idempotent: a venv is rebuilt only when its pins change, and the plugin reinstalled when its files do.
source "$(dirname "$0")/lib.sh"

NEWEST=2.47.0
OLDEST=2.20.0

plugin_hash() { cat locust/pyproject.toml locust/loadmgr_locust/*.py | sha1sum | cut -c1-12; }

make_venv() {
  local dir=$1 version=$2
  local want="locust==$version pytest==8.4.2 wheel"
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.loadmgr-stamp" 2>/dev/null)" != "$want" ]; then
    log "creating $dir (Locust $version; about 20 s)…"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "locust==$version" "pytest==8.4.2" wheel
    echo "$want" >"$dir/.loadmgr-stamp"
  fi
  local plugin
  plugin=$(plugin_hash)
  if [ -x "$dir/bin/loadmgr-locust" ] && [ "$(cat "$dir/.loadmgr-plugin" 2>/dev/null)" = "$plugin" ]; then return; fi
  log "installing the plugin into $dir…"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall locust/
  rm -rf locust/build locust/*.egg-info
  echo "$plugin" >"$dir/.loadmgr-plugin"
}

command -v python3 >/dev/null || { log "python3 (3.9 or newer) is needed for Locust"; exit 1; }
# Every run's Locust processes run in a bubblewrap sandbox (runner.sandbox in the configuration).
if ! command -v bwrap >/dev/null; then
  log "installing bubblewrap (Debian package; every run's sandbox)…"
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq bubblewrap >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null; }
  else
    log "bubblewrap is missing and cannot be installed here: install it (package bubblewrap), or set runner.sandbox: off"
  fi
fi
# The agent's wheel, which the server hands to generator hosts (GET /agent/<wheel>, the Agents page's
# install command): built from locust/ when its files change.
build_wheel() {
  local dir=.venv/agent-wheel plugin
  plugin=$(plugin_hash)
  if ls "$dir"/loadmgr_locust-*.whl >/dev/null 2>&1 && [ "$(cat "$dir/.loadmgr-plugin" 2>/dev/null)" = "$plugin" ]; then return; fi
  log "building the agent's wheel into $dir…"
  rm -rf "$dir" && mkdir -p "$dir"
  .venv/locust/bin/python -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w "$dir" locust/
  rm -rf locust/build locust/*.egg-info
  echo "$plugin" >"$dir/.loadmgr-plugin"
}

make_venv .venv/locust "$NEWEST"
build_wheel
if [ "${1:-}" = "--oldest" ]; then make_venv .venv/locust-2.20 "$OLDEST"; fi
