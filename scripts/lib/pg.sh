# Helpers to run a private PostgreSQL 15 cluster (sourced by run.sh and
# test.sh). The cluster listens only on a Unix socket inside its own
# directory, so it never clashes with a system Postgres or another run.
# initdb/pg_ctl refuse to run as root: as root we run them as `postgres`.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_cluster_start DATADIR SOCKDIR [extra postgres options]
pg_cluster_start() {
  local data=$1 sock=$2; shift 2
  mkdir -p "$data" "$sock"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$data" "$sock"; chmod 700 "$data"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    pg_as_owner "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $sock -c max_connections=200 $*" start >/dev/null
}

pg_cluster_stop() {
  local data=$1
  [ -f "$data/postmaster.pid" ] || return 0
  pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

# pg_replica_create PRIMARY_SOCKDIR DATADIR — a streaming replica of the
# cluster listening on PRIMARY_SOCKDIR (standby.signal + primary_conninfo);
# start it with pg_cluster_start DATADIR SOCKDIR.
pg_replica_create() {
  local primary=$1 data=$2
  mkdir -p "$data"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$data"; fi
  chmod 700 "$data"
  pg_as_owner "$PG_BIN/pg_basebackup" -h "$primary" -U postgres -D "$data" -R -X stream >/dev/null
}
