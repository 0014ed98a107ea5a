# Shared by the scripts here: repo root, quiet npm, native builds against the local Node headers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# better-sqlite3 compiles from source when no prebuilt binary can be fetched; use the installed headers.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
export SCARF_ANALYTICS=false npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
log() { printf '\033[1m[loadmgr]\033[0m %s\n' "$*" >&2; }
