#!/usr/bin/env bash
# Real-browser tests of the portal: installs Debian's Chromium if missing,
# installs the portal's and the tests' npm packages, builds the portal, starts
# the local OpenID provider (tests/oidc-op: the DigiD simulator and the staff
# IdP) and the service configured for it (with its demo data) against a
# throwaway database, plus a second service on the same database with a
# 20-second idle timeout (the idle warning), the fake Notify the service
# sends verification codes to, and runs tests/browser with
# Node's test runner. Prints "browser: N passed, M failed"
# and exits non-zero on any failure.
#
# MZ_BROWSER_TESTS (a space-separated list of test files) runs only those.
# Needs MZ_TEST_DATABASE_URL: an admin connection string of a running
# throwaway PostgreSQL ("host=<socket dir> user=postgres dbname=postgres"),
# as scripts/test.sh exports it; and the built service in $MZ_BUILD_DIR
# (default build/: build/mijnzaken). Screenshots go to
# tests/browser/screenshots/ (MZ_BROWSER_SCREENSHOTS overrides). When
# MZ_TEST_TMPDIR is set, the service's log is written there as
# server-browser.log, so the suite's scan for personal data covers it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${MZ_BUILD_DIR:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/mijnzaken

say() { echo "browser-test: $*"; }
fail() { say "$*" >&2; echo "browser: 0 passed, 1 failed"; exit 1; }

[ -n "${MZ_TEST_DATABASE_URL:-}" ] || fail "MZ_TEST_DATABASE_URL is not set (see scripts/test.sh)"
[ -x "$BIN" ] || fail "$BIN is missing: build the service first (MZ_BUILD_DIR=$BUILD)"

# --- tools: Debian's Chromium, Node.js and npm --------------------------------
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client-15)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >&2
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# --- npm packages (skipped when node_modules matches the lockfile) -----------
npm_install() {
  local dir=$1 stamp=$1/node_modules/.mz-lockfile.sha256 want
  if [ -f "$dir/package-lock.json" ]; then
    want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
    say "npm ci in ${dir#"$ROOT"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  else
    say "npm install in ${dir#"$ROOT"/} (no lockfile)"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
}
npm_install "$ROOT/portal"
npm_install "$ROOT/tests/browser"

(cd portal && node build.mjs)

# --- a throwaway database and the service -----------------------------------
TMP=$(mktemp -d /tmp/mz-browser.XXXXXX)
DB=mz_browser_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
LOGDIR=${MZ_TEST_TMPDIR:-$TMP}
mkdir -p "$LOGDIR"
LOG=$LOGDIR/server-browser.log
SERVE_PID=
SHORT_PID=
OP_PID=
NOTIFY_PID=
DB_CREATED=

stop_pid() {
  local pid=$1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}

cleanup() {
  local rc=$?
  stop_pid "$SERVE_PID"
  stop_pid "$SHORT_PID"
  stop_pid "$OP_PID"
  stop_pid "$NOTIFY_PID"
  if [ -n "$DB_CREATED" ]; then
    psql "$MZ_TEST_DATABASE_URL" -qXc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
  return $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql "$MZ_TEST_DATABASE_URL" -qXc "CREATE DATABASE $DB" >/dev/null
DB_CREATED=1
# The same server with our database: a keyword/value string gets dbname
# replaced, a URI its path.
case $MZ_TEST_DATABASE_URL in
  postgres://* | postgresql://*)
    MZ_DATABASE_URL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$MZ_TEST_DATABASE_URL" "$DB") ;;
  *)
    MZ_DATABASE_URL="$(printf '%s' "$MZ_TEST_DATABASE_URL" | sed -E 's/(^| )dbname=[^ ]*//g') dbname=$DB" ;;
esac
export MZ_DATABASE_URL

"$BIN" init-dev --dir "$TMP/keys" >/dev/null 2>&1
export MZ_JWT_PUBLIC_KEY_FILE=$TMP/keys/jwt-public.pem
export MZ_JWT_PRIVATE_KEY_FILE=$TMP/keys/jwt-private.pem
export MZ_PSEUDONYM_KEY_FILE=$TMP/keys/pseudonym.key
export MZ_CONTACT_KEY_FILE=$TMP/keys/contact.key
export MZ_DEV_MODE=1
export MZ_PORTAL_DIR=$ROOT/portal/dist
export MZ_THREADS=${MZ_THREADS:-4}
unset MZ_AGENCIES_FILE
# An organisation's own processing activities (one more than the built-in
# list): the tests check that the portal offers what the service lists.
export MZ_PROCESSING_ACTIVITIES_FILE=$ROOT/config/activities.example.json

"$BIN" migrate >> "$LOG" 2>&1 || fail "migrate failed (see $LOG)"
"$BIN" seed-demo >> "$LOG" 2>&1 || fail "seed-demo failed (see $LOG)"

# --- the fake Notify (tests/fixtures/fake_notify) and notifications ----------
# The "Berichten over uw zaken" page sends verification codes through the
# outbox to NotifyNL; the fake records them (GET /_control/messages), and
# notifications.test.mjs reads the code from there.
FAKE_NOTIFY=$BUILD/fake_notify
[ -x "$FAKE_NOTIFY" ] || fail "$FAKE_NOTIFY is missing: build the service first"
mkdir -p "$TMP/notify"
uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }
printf 'browser-test-%s-%s\n' "$(uuid)" "$(uuid)" > "$TMP/notify/api.key"
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$TMP/notify/contact.key"
cat > "$TMP/notify/templates.json" <<JSON
{"verification": {"email": "$(uuid)", "sms": "$(uuid)"},
 "statusChange": {"email": "$(uuid)", "sms": "$(uuid)"},
 "actionRequired": {"email": "$(uuid)", "sms": "$(uuid)"},
 "decision": {"email": "$(uuid)", "sms": "$(uuid)"}}
JSON
chmod 600 "$TMP/notify/api.key" "$TMP/notify/contact.key"
"$FAKE_NOTIFY" --api-key-file "$TMP/notify/api.key" --listen 127.0.0.1:0 > "$TMP/notify.out" 2> "$TMP/notify.log" &
NOTIFY_PID=$!
NOTIFY_PORT=
for _ in $(seq 100); do
  NOTIFY_PORT=$(sed -n 's/^listening port=//p' "$TMP/notify.out" 2>/dev/null || true)
  [ -n "$NOTIFY_PORT" ] && break
  kill -0 "$NOTIFY_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$NOTIFY_PORT" ] || { cat "$TMP/notify.log" >&2; fail "the fake Notify did not start"; }
NOTIFY_BASE=http://127.0.0.1:$NOTIFY_PORT
export MZ_CONTACT_KEY_FILE=$TMP/notify/contact.key
export MZ_NOTIFY_URL=$NOTIFY_BASE
export MZ_NOTIFY_API_KEY_FILE=$TMP/notify/api.key
export MZ_NOTIFY_TEMPLATES=$TMP/notify/templates.json
say "fake Notify on $NOTIFY_BASE"

# --- the local OpenID provider ------------------------------------------------
# The redirect URIs name the service's origin, so its port is chosen first.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
SHORT_PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
SHORT_BASE=http://127.0.0.1:$SHORT_PORT
mkdir -p "$TMP/op"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/op/rp-citizen.pem" 2>/dev/null
od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$TMP/op/staff.secret"
chmod 600 "$TMP/op/rp-citizen.pem" "$TMP/op/staff.secret"
cat > "$TMP/op/op.json" <<JSON
{"issuers": {
  "citizen": {"clients": [{"client_id": "mijnzaken",
    "redirect_uris": ["$BASE/auth/citizen/callback"], "post_logout_redirect_uris": ["$BASE/"],
    "token_endpoint_auth_method": "private_key_jwt", "key_file": "rp-citizen.pem",
    "backchannel_logout_uri": "$BASE/auth/citizen/backchannel-logout"}]},
  "staff": {"clients": [{"client_id": "mijnzaken-staff",
    "redirect_uris": ["$BASE/auth/professional/callback"], "post_logout_redirect_uris": ["$BASE/"],
    "token_endpoint_auth_method": "client_secret_basic", "client_secret_file": "staff.secret",
    "backchannel_logout_uri": "$BASE/auth/professional/backchannel-logout"}]}}}
JSON
scripts/oidc-op.sh --install-only
node tests/oidc-op/server.mjs --port 0 --config "$TMP/op/op.json" --state-dir "$TMP/op/state" \
  > "$TMP/op.out" 2> "$TMP/op.log" &
OP_PID=$!
OP_LINE=
for _ in $(seq 200); do
  OP_LINE=$(head -n1 "$TMP/op.out" 2>/dev/null || true)
  [ -n "$OP_LINE" ] && break
  kill -0 "$OP_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$OP_LINE" ] || { cat "$TMP/op.log" >&2; fail "the local OpenID provider did not start"; }
issuer() { printf '%s' "$OP_LINE" | node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => console.log(JSON.parse(s).issuers[process.argv[1]]));' "$1"; }
CITIZEN_ISSUER=$(issuer citizen)
STAFF_ISSUER=$(issuer staff)
say "local OpenID provider: $CITIZEN_ISSUER, $STAFF_ISSUER"

# The service signs in through that OP (as tests/integration/test_signin.c
# configures it): DigiD Substantieel or Hoog, the staff roles mapped.
export MZ_PUBLIC_URL=$BASE
export MZ_OIDC_CITIZEN_ISSUER=$CITIZEN_ISSUER
export MZ_OIDC_CITIZEN_CLIENT_ID=mijnzaken
export MZ_OIDC_CITIZEN_CLIENT_KEY_FILE=$TMP/op/rp-citizen.pem
export MZ_OIDC_CITIZEN_ACR_VALUES="urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI"
export MZ_OIDC_CITIZEN_EHERKENNING_SCOPE=eherkenning
export MZ_OIDC_PROFESSIONAL_ISSUER=$STAFF_ISSUER
export MZ_OIDC_PROFESSIONAL_CLIENT_ID=mijnzaken-staff
export MZ_OIDC_PROFESSIONAL_CLIENT_SECRET_FILE=$TMP/op/staff.secret
export MZ_OIDC_PROFESSIONAL_ACR_VALUES=http://eidas.europa.eu/LoA/substantial
export MZ_OIDC_PROFESSIONAL_CLAIMS='{"roleMap": {"kcc-medewerker": "professional", "functioneel-beheerder": "admin"}}'

start_service() { # name port log -> sets STARTED_PID
  local name=$1 port=$2 log=$3
  : > "$log"
  MZ_LISTEN=127.0.0.1:$port "$BIN" serve > "$log" 2>&1 &
  STARTED_PID=$!
  local ready=
  for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$STARTED_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$ready" ] || { cat "$log" >&2; fail "the $name service did not become ready"; }
}
start_service main "$PORT" "$TMP/serve.log"
SERVE_PID=$STARTED_PID
curl -fsS "$BASE/" | grep -q 'lang="nl"' || fail "the service does not serve the portal from $MZ_PORTAL_DIR"
say "service on $BASE (database $DB)"
# The idle warning: a second service, development login only, 20 s idle.
MZ_PUBLIC_URL=$SHORT_BASE MZ_SESSION_IDLE_SECONDS=20 MZ_OIDC_CITIZEN_ISSUER= MZ_OIDC_PROFESSIONAL_ISSUER= \
  MZ_OIDC_CITIZEN_EHERKENNING_SCOPE= \
  start_service short "$SHORT_PORT" "$TMP/serve-short.log"
SHORT_PID=$STARTED_PID
say "service with a 20 s idle timeout on $SHORT_BASE"

# --- the tests ----------------------------------------------------------------
status=0
MZ_BROWSER_BASE_URL=$BASE MZ_BROWSER_SHORT_IDLE_URL=$SHORT_BASE MZ_BROWSER_FAKE_NOTIFY_URL=$NOTIFY_BASE MZ_BROWSER_ACTIVITIES_FILE=$MZ_PROCESSING_ACTIVITIES_FILE \
  node --test --test-concurrency=1 --test-timeout=180000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$TMP/results.tap" \
    ${MZ_BROWSER_TESTS:-tests/browser/tests/*.test.mjs} || status=$?

if kill -0 "$SERVE_PID" 2>/dev/null; then
  kill -TERM "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
else
  serve_rc=0
  wait "$SERVE_PID" 2>/dev/null || serve_rc=$?
  say "the service exited during the tests (status $serve_rc); its last log lines:" >&2
  tail -n 40 "$TMP/serve.log" >&2
  status=1
fi
SERVE_PID=
stop_pid "$SHORT_PID"
SHORT_PID=
cat "$TMP/serve.log" "$TMP/serve-short.log" >> "$LOG"
[ "$status" -eq 0 ] || say "service log: $LOG"

passed=$(grep -E '^# pass [0-9]+' "$TMP/results.tap" | tail -1 | awk '{print $3}')
failed=$(grep -E '^# fail [0-9]+' "$TMP/results.tap" | tail -1 | awk '{print $3}')
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; say "no test ran"; fi
say "screenshots in ${MZ_BROWSER_SCREENSHOTS:-tests/browser/screenshots}"
echo "browser: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
