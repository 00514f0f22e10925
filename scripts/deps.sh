#!/usr/bin/env bash
# Installs the Debian packages MijnZaken needs to build, test and run, if
# any are missing. Safe to run repeatedly; does nothing when all are present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libmicrohttpd-dev libpq-dev libyajl-dev libjwt-dev libcmocka-dev
  libssl-dev libcurl4-openssl-dev libyaml-dev
  postgresql-15 postgresql-client-15
  ca-certificates
  python3 python3-yaml
)
# Node.js/npm (for the OpenAPI lint) only when not already on the machine.
command -v npx >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing missing packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
