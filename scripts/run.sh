#!/usr/bin/env bash
# The run command: installs what is missing, builds, starts an embedded
# PostgreSQL (unless MZ_DATABASE_URL is set), creates development keys on
# first run, applies migrations, seeds demo data, starts the local OpenID
# provider (tests/oidc-op: a DigiD simulator and a staff IdP on 127.0.0.1:8092,
# unless MZ_OIDC_CITIZEN_ISSUER is set), the fake NotifyNL
# (tests/fixtures/fake_notify on 127.0.0.1:8093, unless MZ_NOTIFY_URL is set;
# its log .data/fake-notify.log shows every message sent) and serves on http://127.0.0.1:8080
# (MZ_LISTEN). Ctrl-C stops the service, the OP and the embedded database.
#   scripts/run.sh              build, set up and serve
#   scripts/run.sh --init-only  only create the development keys (.data/keys),
#                               building nothing (scripts/dev-keys.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/.data
mkdir -p "$DATA"
chmod 755 "$DATA"

if [ "${1:-}" = "--init-only" ]; then
  scripts/dev-keys.sh "$DATA/keys"
  echo "Development keys are in $DATA/keys"
  exit 0
fi

SERVE_PID= FAKE_PID= OP_PID= NOTIFY_PID= STOP_PG=
# Each step on its own: under set -e a child's non-zero status from wait (a
# process ended by SIGTERM answers 143) would otherwise end the cleanup
# early and leave the rest (the database) running.
stop_child() { [ -n "$1" ] || return 0; kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
cleanup() {
  stop_child "$SERVE_PID"
  stop_child "$FAKE_PID"
  stop_child "$OP_PID"
  stop_child "$NOTIFY_PID"
  if [ -n "$STOP_PG" ]; then pg_cluster_stop "$DATA/pg"; fi
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release --target mijnzaken fake_zgw fake_notify -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
BIN=$ROOT/build-release/mijnzaken
# The portal (served at /): NL Design System CSS from the npm registry,
# bundled into portal/dist so that the page needs no other host.
( cd portal && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null; } &&
  npm run build --silent >/dev/null )

export MZ_JWT_PUBLIC_KEY_FILE=${MZ_JWT_PUBLIC_KEY_FILE:-$DATA/keys/jwt-public.pem}
export MZ_JWT_PRIVATE_KEY_FILE=${MZ_JWT_PRIVATE_KEY_FILE:-$DATA/keys/jwt-private.pem}
export MZ_PSEUDONYM_KEY_FILE=${MZ_PSEUDONYM_KEY_FILE:-$DATA/keys/pseudonym.key}
export MZ_CONTACT_KEY_FILE=${MZ_CONTACT_KEY_FILE:-$DATA/keys/contact.key}
export MZ_DEV_MODE=${MZ_DEV_MODE:-1}
export MZ_LISTEN=${MZ_LISTEN:-127.0.0.1:8080}

"$BIN" init-dev --dir "$DATA/keys" 2>/dev/null

if [ -z "${MZ_DATABASE_URL:-}" ]; then
  . scripts/lib/pg.sh
  SOCK=$DATA/pg-run
  # Unix socket paths are limited to ~107 bytes.
  [ ${#SOCK} -gt 80 ] && SOCK=/tmp/mijnzaken-pg-$(id -u)
  pg_cluster_start "$DATA/pg" "$SOCK"
  STOP_PG=1
  if ! pg_as_owner psql -h "$SOCK" -U postgres -Atc \
       "SELECT 1 FROM pg_database WHERE datname = 'mijnzaken'" postgres 2>/dev/null | grep -q 1; then
    pg_as_owner psql -h "$SOCK" -U postgres -qc "CREATE DATABASE mijnzaken" postgres
  fi
  export MZ_DATABASE_URL="host=$SOCK user=postgres dbname=mijnzaken"
fi

"$BIN" migrate

# The demo's municipality is a fake ZGW zaaksysteem (tests/fixtures/fake_zgw/,
# --demo: the same cases seed-demo would write for it, dated relative to
# today) speaking the VNG Zaken and Catalogi APIs; MijnZaken syncs from it,
# unless MZ_AGENCIES_FILE points at a real configuration. The shared secret
# is a file only its owner can read (created by init-dev), never an
# argument (visible to every local user in ps) nor the environment.
if [ -z "${MZ_AGENCIES_FILE:-}" ]; then
  ZGW_PORT=${MZ_DEMO_ZGW_PORT:-8091}
  chmod 600 "$DATA/keys/zgw-demo.secret"  # also when an older run left it readable
  "$ROOT/build-release/fake_zgw" --listen "127.0.0.1:$ZGW_PORT" --client-id mijnzaken \
    --secret-file "$DATA/keys/zgw-demo.secret" --demo > "$DATA/fake-zgw.out" 2>&1 &
  FAKE_PID=$!
  # config/agencies.demo.json, pointed at this port and this key directory.
  sed -e "s/127\.0\.0\.1:8091/127.0.0.1:$ZGW_PORT/g" -e "s|/run/mijnzaken/keys|$DATA/keys|g" \
    config/agencies.demo.json > "$DATA/agencies.json"
  export MZ_AGENCIES_FILE="$DATA/agencies.json"
fi
# Demo agencies and cases, except for the agencies MZ_AGENCIES_FILE makes live.
"$BIN" seed-demo

# Notifications: the fake NotifyNL (tests/fixtures/fake_notify) checks the
# JWT like Notify and logs each message it accepts (never the address) to
# .data/fake-notify.log; GET /_control/messages lists them in full. The
# demo's API key, contact key (encrypts the addresses citizens enter) and
# callback token are made once, files only their owner can read, never
# arguments nor the environment; the template ids are the demo's own.
NOTIFY_MSG="  Notifications: MZ_NOTIFY_URL=${MZ_NOTIFY_URL:-} (yours)"
if [ -z "${MZ_NOTIFY_URL:-}" ]; then
  NOTIFY_PORT=${MZ_DEMO_NOTIFY_PORT:-8093}
  ND=$DATA/notify
  mkdir -p "$ND"
  chmod 700 "$ND"
  uuid() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12})$/\1-\2-4\3-8\4-\5/'; }
  [ -f "$ND/api.key" ] || (umask 077 && echo "mijnzaken_demo-$(uuid)-$(uuid)" > "$ND/api.key")
  [ -f "$ND/contact.key" ] || (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$ND/contact.key")
  [ -f "$ND/callback.token" ] || (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$ND/callback.token")
  chmod 600 "$ND/api.key" "$ND/contact.key" "$ND/callback.token"
  cp config/notify-templates.demo.json "$ND/templates.json"
  "$ROOT/build-release/fake_notify" --listen "127.0.0.1:$NOTIFY_PORT" --api-key-file "$ND/api.key" \
    --log-messages > "$DATA/fake-notify.out" 2> "$DATA/fake-notify.log" &
  NOTIFY_PID=$!
  for _ in $(seq 100); do
    grep -q '^listening port=' "$DATA/fake-notify.out" 2>/dev/null && break
    kill -0 "$NOTIFY_PID" 2>/dev/null || { cat "$DATA/fake-notify.log" >&2; echo "run: the fake Notify did not start" >&2; exit 1; }
    sleep 0.1
  done
  export MZ_CONTACT_KEY_FILE=${MZ_CONTACT_KEY_FILE:-$ND/contact.key}
  export MZ_NOTIFY_URL=http://127.0.0.1:$NOTIFY_PORT
  export MZ_NOTIFY_API_KEY_FILE=$ND/api.key
  export MZ_NOTIFY_TEMPLATES=$ND/templates.json
  export MZ_NOTIFY_CALLBACK_TOKEN_FILE=$ND/callback.token
  # A demo shows a change within a minute, not after the production digest of 15.
  export MZ_NOTIFY_DIGEST_SECONDS=${MZ_NOTIFY_DIGEST_SECONDS:-60}
  # The demo's action (citizen 999993653, UWV) is due in 7 days: remind 14
  # days ahead, so that verifying an address shows a reminder too.
  export MZ_NOTIFY_REMINDER_DAYS=${MZ_NOTIFY_REMINDER_DAYS:-14}
  NOTIFY_MSG="  Notifications: sign in, open \"Berichten over uw zaken\" and enter an address; the
  fake NotifyNL ($MZ_NOTIFY_URL) logs each message (the code to enter, reminders) in
  .data/fake-notify.log, in full: curl -s $MZ_NOTIFY_URL/_control/messages"
fi

PORT=${MZ_LISTEN##*:}
export MZ_PUBLIC_URL=${MZ_PUBLIC_URL:-http://127.0.0.1:$PORT}

# Sign-in: the local OpenID provider as the embedded default, so that the
# demo signs in through the real flow (its login page lets you pick a demo
# citizen or employee). The citizen client authenticates with
# private_key_jwt (a key made here), the staff client with a secret; both
# files are 0600, never arguments.
SIGNIN_MSG="  Sign-in: MZ_OIDC_CITIZEN_ISSUER=${MZ_OIDC_CITIZEN_ISSUER:-} (yours)"
if [ -z "${MZ_OIDC_CITIZEN_ISSUER:-}" ]; then
  OP_PORT=${MZ_DEMO_OP_PORT:-8092}
  OPD=$DATA/oidc-op
  mkdir -p "$OPD"
  chmod 700 "$OPD"
  [ -f "$OPD/rp-citizen.pem" ] ||
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$OPD/rp-citizen.pem" 2>/dev/null)
  [ -f "$OPD/staff.secret" ] || (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$OPD/staff.secret")
  chmod 600 "$OPD/rp-citizen.pem" "$OPD/staff.secret"
  cat > "$DATA/oidc-op.json" <<JSON
{"issuers": {
  "citizen": {"clients": [{"client_id": "mijnzaken",
    "redirect_uris": ["$MZ_PUBLIC_URL/auth/citizen/callback"], "post_logout_redirect_uris": ["$MZ_PUBLIC_URL/"],
    "token_endpoint_auth_method": "private_key_jwt", "key_file": "oidc-op/rp-citizen.pem",
    "backchannel_logout_uri": "$MZ_PUBLIC_URL/auth/citizen/backchannel-logout"}]},
  "staff": {"clients": [{"client_id": "mijnzaken-staff",
    "redirect_uris": ["$MZ_PUBLIC_URL/auth/professional/callback"], "post_logout_redirect_uris": ["$MZ_PUBLIC_URL/"],
    "token_endpoint_auth_method": "client_secret_basic", "client_secret_file": "oidc-op/staff.secret",
    "backchannel_logout_uri": "$MZ_PUBLIC_URL/auth/professional/backchannel-logout"}]}}}
JSON
  scripts/oidc-op.sh --port "$OP_PORT" --config "$DATA/oidc-op.json" --state-dir "$OPD/state" \
    > "$DATA/oidc-op.out" 2>&1 &
  OP_PID=$!
  for _ in $(seq 300); do
    grep -q '^oidc-op: ready' "$DATA/oidc-op.out" 2>/dev/null && break
    kill -0 "$OP_PID" 2>/dev/null || { cat "$DATA/oidc-op.out" >&2; echo "run: the local OpenID provider did not start" >&2; exit 1; }
    sleep 0.1
  done
  export MZ_OIDC_CITIZEN_ISSUER=http://127.0.0.1:$OP_PORT/citizen
  export MZ_OIDC_CITIZEN_CLIENT_ID=mijnzaken
  export MZ_OIDC_CITIZEN_CLIENT_KEY_FILE=$OPD/rp-citizen.pem
  export MZ_OIDC_CITIZEN_ACR_VALUES="urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI"
  export MZ_OIDC_CITIZEN_EHERKENNING_SCOPE=eherkenning # the simulator's business sign-in
  export MZ_OIDC_PROFESSIONAL_ISSUER=http://127.0.0.1:$OP_PORT/staff
  export MZ_OIDC_PROFESSIONAL_CLIENT_ID=mijnzaken-staff
  export MZ_OIDC_PROFESSIONAL_CLIENT_SECRET_FILE=$OPD/staff.secret
  export MZ_OIDC_PROFESSIONAL_ACR_VALUES=http://eidas.europa.eu/LoA/substantial
  export MZ_OIDC_PROFESSIONAL_CLAIMS='{"roleMap": {"kcc-medewerker": "professional", "functioneel-beheerder": "admin"}}'
  SIGNIN_MSG="  Sign in: open $MZ_PUBLIC_URL, click \"Inloggen met DigiD\" and pick a demo citizen
  on the local DigiD simulator ($MZ_OIDC_CITIZEN_ISSUER; level Substantieel or Hoog).
  Businesses: \"Inloggen met eHerkenning\" (Bakkerij Het Voorbeeld). Representatives: Sanne
  (demo-machtiging-1/-2) or Bram Bewind (demo-bewindvoerder-1, two authorisations: choose whom).
  Staff: \"Inloggen als medewerker\", then Kim Klantcontact ($MZ_OIDC_PROFESSIONAL_ISSUER)."
fi

cat <<MSG

  MijnZaken is starting on $MZ_PUBLIC_URL  (portal: open it in a browser)
$SIGNIN_MSG
$NOTIFY_MSG
  Demo citizens (BSN): 999993653, 999990019, 999990032
  (MZ_DEV_MODE=1 also offers a quick development login without the OP.)

  Get a demo token and call the API:
    TOKEN=\$(scripts/dev-token.sh --bsn 999993653)
    curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:${PORT}/api/v1/me/cases

  Stop with Ctrl-C.

MSG
"$BIN" serve &
SERVE_PID=$!
wait "$SERVE_PID"
