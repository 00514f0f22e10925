# MijnZaken service image.
#
#   docker build -t mijnzaken:local .
#   docker run --rm mijnzaken:local migrate        # apply migrations (needs MZ_DATABASE_URL)
#   docker run --rm -p 127.0.0.1:8080:8080 mijnzaken:local   # serve
#   docker build --target demo -t mijnzaken:demo .  # + the demo's fake ZGW municipality
#
# Migrations and the OpenAPI document are compiled into the binary, so the
# runtime image needs nothing from the source tree. See docker-compose.yml for
# a complete local stack (Postgres + migrate + app) and the demo profile.
# Stages: portal, build, runtime-base, demo, runtime (the last is the default
# target: the production image never holds the test fixture).

# --------------------------------------------------------------- portal stage
# The portal's static files (NL Design System CSS bundled in; no other host
# is needed at run time).
FROM node:20-bookworm-slim AS portal
WORKDIR /portal
COPY portal/package.json portal/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY portal/ ./
RUN npm run build

# ---------------------------------------------------------------- build stage
FROM debian:12-slim AS build

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libmicrohttpd-dev libpq-dev libyajl-dev libjwt-dev libcmocka-dev \
      libssl-dev libcurl4-openssl-dev libyaml-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
      -DMZ_PORTAL_DEFAULT_DIR=/usr/share/mijnzaken/portal \
 && cmake --build build --target mijnzaken fake_zgw -j \
 && strip build/mijnzaken build/fake_zgw

# -------------------------------------------------------- runtime-base stage
FROM debian:12-slim AS runtime-base

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libmicrohttpd12 libpq5 libyajl2 libjwt0 libssl3 libcurl4 libyaml-0-2 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*

# Fixed numeric ids so bind-mounted files and secrets can be made readable to
# the service predictably (see docker-compose.yml).
RUN groupadd --system --gid 10001 mijnzaken \
 && useradd --system --uid 10001 --gid mijnzaken --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin mijnzaken

COPY --from=build /src/build/mijnzaken /usr/local/bin/mijnzaken
COPY --from=portal /portal/dist /usr/share/mijnzaken/portal

USER 10001:10001

ENV MZ_LISTEN=0.0.0.0:8080
EXPOSE 8080

# Liveness only (no database): /readyz is for orchestrators that route
# traffic, see the healthcheck in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1

ENTRYPOINT ["mijnzaken"]
CMD ["serve"]

# ---------------------------------------------------------------- demo stage
# The runtime plus the fake ZGW zaaksysteem (tests/fixtures/fake_zgw/) that
# plays the demo's municipality (docker compose --profile demo). The key
# directory exists owned by the service's user, so a named volume mounted
# there starts out writable for `mijnzaken init-dev`.
FROM runtime-base AS demo
USER root
COPY --from=build /src/build/fake_zgw /usr/local/bin/fake_zgw
RUN mkdir -p /run/mijnzaken/keys && chown 10001:10001 /run/mijnzaken/keys \
 && chmod 700 /run/mijnzaken/keys
USER 10001:10001

# ------------------------------------------------------------- runtime stage
# The production image (the default target).
FROM runtime-base AS runtime
