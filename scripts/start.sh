#!/usr/bin/env bash
# `npm start`: installs what is missing, then runs the server on the embedded defaults
# (SQLite under ./data, in-process queue, Locust runs on this host) at http://127.0.0.1:8080 unless HOST/PORT/config say otherwise.
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
bash scripts/setup-python.sh
bash scripts/build-web.sh
exec node --import tsx server/src/main.ts "$@"
