#!/usr/bin/env bash
# Builds the dashboard (web/ → web/dist) when it is missing or older than its sources. Idempotent.
source "$(dirname "$0")/lib.sh"

out=web/dist/index.html
if [ ! -f "$out" ] || [ -n "$(find web/src web/index.html web/build.ts shared/src client/src package-lock.json -newer "$out" -print -quit)" ]; then
  log "building the dashboard (esbuild)…"
  node --import tsx web/build.ts
fi
