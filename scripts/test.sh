#!/usr/bin/env bash
# `npm test`: installs what is missing, then lint, format check, type check and every test.
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
bash scripts/setup-test.sh

log "lint (eslint) and format (prettier)…"
npx eslint --max-warnings=0 .
npx prettier --check --log-level=warn .
log "structure (dependency-cruiser: no import cycle, no upward arrow in server/src)…"
npx depcruise server/src shared/src client/src web/src --config .dependency-cruiser.js --output-type err
log "type check (tsc)…"
npx tsc -p tsconfig.json --noEmit
npx tsc -p web/tsconfig.json --noEmit
bash scripts/build-web.sh

log "plugin tests (pytest) on Locust 2.47 and 2.20…"
.venv/locust/bin/python -m pytest -q -p no:cacheprovider locust/tests
.venv/locust-2.20/bin/python -m pytest -q -p no:cacheprovider locust/tests

# The longest files first (as a fresh clone's CI timed them), the rest by name: two at a time, the last
# to start are short, and the two slots end close together instead of one waiting out a long file.
longest=(test/agents.test.ts test/schemathesis.test.ts test/cli.test.ts test/packages.test.ts test/lifecycle.test.ts
  test/relay.test.ts test/faults.test.ts test/charts.test.ts test/sandbox.test.ts test/dashboard-test-page.test.ts test/gates.test.ts)
mapfile -t rest < <(find shared server client web test -name '*.test.ts' -not -path '*/node_modules/*' | sort |
  grep -vxF -f <(printf '%s\n' "${longest[@]}"))
files=("${longest[@]}" "${rest[@]}")
log "running ${#files[@]} test files…"
# A test file whose servers or children outlive its tests must not hold CI forever: end it when its tests have.
run_tests() { node --conditions=loadmgr-source --import tsx --test --test-concurrency=2 --test-force-exit --test-timeout=900000 "$@"; }
status=0
run_tests "${files[@]}" || status=$?

# The suites that drive whole runs, again on the production stack: MongoDB's wire protocol (FerretDB)
# for the store, BullMQ and pub/sub on a real redis-server (test/helpers/server.ts).
production=(test/agents.test.ts test/cli.test.ts test/lifecycle.test.ts test/gates.test.ts test/live.test.ts test/restart.test.ts test/projects.test.ts test/webhooks.test.ts test/schedules.test.ts)
log "the production stack (FerretDB + Redis): ${production[*]}…"
LOADMGR_TEST_STACK=production run_tests "${production[@]}" || status=$?

# The MongoDB store's and metrics store's contracts once more, on FerretDB's PostgreSQL backend (the
# backend FerretDB is built for; the stack above uses its SQLite one).
log "the MongoDB stores on FerretDB's PostgreSQL backend…"
LOADMGR_TEST_FERRETDB_BACKEND=postgresql run_tests server/src/store/mongo/mongoStore.test.ts server/src/metrics/mongo/mongoMetrics.test.ts || status=$?
exit "$status"
