#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json. Idempotent.
source "$(dirname "$0")/lib.sh"

stamp=node_modules/.loadmgr-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  log "installing npm dependencies (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
if ! node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; then
  log "rebuilding better-sqlite3 for this Node…"
  npm rebuild better-sqlite3 --loglevel=error
fi
