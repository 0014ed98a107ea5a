#!/usr/bin/env bash
# Builds what the tests need beyond npm: the FerretDB helper (a real MongoDB wire-protocol server), and installs
# the Debian packages they use (redis-server, PostgreSQL, iptables).
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

# Redis for the BullMQ queue tests: Debian's redis-server, started by the tests on free loopback ports.
if ! command -v redis-server >/dev/null; then
  log "installing redis-server (Debian package)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq redis-server >/dev/null
  # The package starts a system instance on 6379; the tests do not use it.
  (service redis-server stop || true) >/dev/null 2>&1
fi

# PostgreSQL for FerretDB's PostgreSQL backend (the store contracts run on it too; the benchmarks'
# mongodb-postgresql target): Debian's postgresql, its clusters made and thrown away by the tests
# (test/helpers/postgres.ts); the package's own cluster is not used.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  log "installing postgresql (Debian package)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq postgresql >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null; }
  (service postgresql stop || true) >/dev/null 2>&1
fi

# iptables for the agent tests: each agent's host is a network namespace whose firewall refuses
# connections from the server's side (test/helpers/hosts.ts). Without root, those tests use loopback.
if ! command -v iptables >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing iptables (Debian package)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq iptables >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq iptables >/dev/null; }
fi

# kubeconform (a Go module) and the Kubernetes JSON schemas it checks deploy/kubernetes/ against
# (test/kubernetes.test.ts). The schemas are made from the API's own OpenAPI document in the
# k8s.io/kubernetes module (scripts/k8s-schemas.ts): only package registries are reachable here.
KUBECONFORM=v0.6.7
K8S_VERSION=1.34.2
if [ ! -x .tools/bin/kubeconform ] || [ "$(cat .tools/kubeconform.stamp 2>/dev/null)" != "$KUBECONFORM" ]; then
  command -v go >/dev/null || { log "Go is needed to build kubeconform"; exit 1; }
  log "building kubeconform $KUBECONFORM (Go module, about 20 s)…"
  GOBIN="$PWD/.tools/bin" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM"
  echo "$KUBECONFORM" >.tools/kubeconform.stamp
fi
schemas=.tools/k8s-schemas/v$K8S_VERSION-standalone-strict
if [ ! -f "$schemas/.complete" ] || [ scripts/k8s-schemas.ts -nt "$schemas/.complete" ]; then
  log "writing the Kubernetes $K8S_VERSION JSON schemas for kubeconform…"
  module=$(cd /tmp && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
  rm -rf "$schemas"
  node --import tsx scripts/k8s-schemas.ts "$module/api/openapi-spec/swagger.json" .tools/k8s-schemas "$K8S_VERSION" >/dev/null
  touch "$schemas/.complete"
fi

# Chromium for the dashboard's end-to-end tests: Debian's package, driven by playwright-core (no download).
if ! command -v chromium >/dev/null; then
  log "installing chromium (Debian package)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null
fi

# Locust: the newest supported version (what runs use) and the oldest (the plugin's tests run on both).
bash scripts/setup-python.sh --oldest

# Schemathesis (PyPI) fuzzes the published OpenAPI documents (test/schemathesis.test.ts).
st_want="schemathesis==4.32.5"
if [ ! -x .venv/schemathesis/bin/st ] || [ "$(cat .venv/schemathesis/.loadmgr-stamp 2>/dev/null)" != "$st_want" ]; then
  log "creating .venv/schemathesis ($st_want; about 30 s)…"
  rm -rf .venv/schemathesis
  python3 -m venv .venv/schemathesis
  .venv/schemathesis/bin/pip install --quiet --disable-pip-version-check "$st_want"
  echo "$st_want" >.venv/schemathesis/.loadmgr-stamp
fi
