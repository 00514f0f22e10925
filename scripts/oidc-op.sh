#!/usr/bin/env bash
# Starts the local OpenID provider (tests/oidc-op: oidc-provider from the npm
# registry, a DigiD/eHerkenning simulator and a staff IdP on 127.0.0.1).
# Installs its npm packages from the lockfile first (npm ci, skipped when
# node_modules matches package-lock.json), starts it, waits until every
# issuer answers its discovery document, prints one line per issuer
#   oidc-op: issuer citizen http://127.0.0.1:P/citizen
# and then "oidc-op: ready", and stays in the foreground until stopped
# (SIGTERM/SIGINT stop the OP too).
#   scripts/oidc-op.sh [--port P] [--config FILE] [--state-dir DIR] [--test-controls]
#   scripts/oidc-op.sh --install-only
# The arguments go to tests/oidc-op/server.mjs (see tests/oidc-op/README.md).
# Keys and client secrets are files (or env), never arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=$ROOT/tests/oidc-op
say() { echo "oidc-op: $*"; }

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "installing nodejs npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >&2
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm >&2
}

stamp=$DIR/node_modules/.mz-lockfile.sha256
want=$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "npm ci in tests/oidc-op" >&2
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" > "$stamp"
fi
[ "${1:-}" = "--install-only" ] && exit 0

OUT=$(mktemp /tmp/mz-oidc-op.XXXXXX)
OP_PID=
cleanup() {
  if [ -n "$OP_PID" ] && kill -0 "$OP_PID" 2>/dev/null; then
    kill -TERM "$OP_PID" 2>/dev/null || true
    wait "$OP_PID" 2>/dev/null || true
  fi
  rm -f "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# oidc-provider 9 warns that it prefers Node.js 22 on every start; it works on 20.
node "$DIR/server.mjs" "$@" > "$OUT" &
OP_PID=$!

line=
for _ in $(seq 200); do
  line=$(head -n1 "$OUT" 2>/dev/null || true)
  [ -n "$line" ] && break
  kill -0 "$OP_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$line" ] || { say "the OP did not start" >&2; exit 1; }

issuers=$(printf '%s' "$line" | node -e '
  let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
    for (const [n, u] of Object.entries(JSON.parse(s).issuers)) console.log(`${n} ${u}`);
  });')
while read -r name url; do
  ok=
  for _ in $(seq 100); do
    if curl -fsS "$url/.well-known/openid-configuration" >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.1
  done
  [ -n "$ok" ] || { say "no discovery document at $url" >&2; exit 1; }
  say "issuer $name $url"
done <<< "$issuers"
say "ready"

status=0
wait "$OP_PID" || status=$?
OP_PID=
exit $status
