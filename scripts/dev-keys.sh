#!/usr/bin/env sh
# Development keys without building anything (OpenSSL only): what
# `mijnzaken init-dev --dir DIR` creates, for when the binary is not built
# yet (e.g. before `docker compose --profile service up`). Creates in DIR
# (default .data/keys), each only if missing:
#   jwt-private.pem / jwt-public.pem  the token key pair (RS256; ES256 when
#                                     MZ_JWT_ALG=ES256), signs/verifies dev tokens
#   pseudonym.key                     the BSN pseudonym key (32 random bytes, hex)
#   zgw-demo.secret                   the demo's secret shared with its fake ZGW
#   contact.key                       the contact key (MZ_CONTACT_KEY_FILE: contact
#                                     details and hand-overs sealed at rest)
# Private files are written with mode 0600 from the start (umask 077).
#   scripts/dev-keys.sh [DIR]
set -eu
cd "$(dirname "$0")/.."
DIR=${1:-.data/keys}
umask 077
mkdir -p "$DIR"
if [ ! -f "$DIR/jwt-private.pem" ] || [ ! -f "$DIR/jwt-public.pem" ]; then
  if [ "${MZ_JWT_ALG:-RS256}" = ES256 ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/jwt-private.pem" 2>/dev/null
  else
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DIR/jwt-private.pem" 2>/dev/null
  fi
  openssl pkey -in "$DIR/jwt-private.pem" -pubout -out "$DIR/jwt-public.pem"
  chmod 644 "$DIR/jwt-public.pem" # the public half: readable by the service's user
  echo "development key pair created in $DIR"
fi
if [ ! -f "$DIR/pseudonym.key" ]; then
  openssl rand -hex 32 > "$DIR/pseudonym.key"
  echo "pseudonym key created in $DIR"
fi
if [ ! -f "$DIR/zgw-demo.secret" ]; then
  openssl rand -hex 24 > "$DIR/zgw-demo.secret"
  echo "demo ZGW secret created in $DIR"
fi
if [ ! -f "$DIR/contact.key" ]; then
  openssl rand -hex 32 > "$DIR/contact.key"
  echo "contact key created in $DIR"
fi
