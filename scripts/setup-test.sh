#!/usr/bin/env bash
# Builds what the tests need beyond npm: the FerretDB helper (a real MongoDB wire-protocol server).
# Idempotent: rebuilds only when its sources changed.
source "$(dirname "$0")/lib.sh"

helper=test/ferretdb/ferretdb-helper
if [ -z "${MONGODB_URI:-}" ]; then
  if [ ! -x "$helper" ] || [ test/ferretdb/main.go -nt "$helper" ] || [ test/ferretdb/go.sum -nt "$helper" ]; then
    command -v go >/dev/null || { log "Go is needed to build the FerretDB test helper"; exit 1; }
    log "building the FerretDB test helper (Go, first time takes a minute)…"
    (cd test/ferretdb && go build -trimpath -o ferretdb-helper .)
  fi
fi
