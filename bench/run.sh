#!/usr/bin/env bash
# bench/run.sh — the performance benchmark, one command (see bench/README.md).
#
# Builds the release binaries, starts a throwaway PostgreSQL 15 (fsync on),
# generates a dataset of 100,000 citizens / 1,000,000 cases / ~3.2M events,
# then measures, each phase 10 s on loopback:
#   1. GET /api/v1/me/cases with wrk at 16 and 64 connections (random
#      citizens, pre-minted tokens), against its ceilings: pgbench running
#      the handler's own three statements (prepared) at the same
#      concurrency, and the same HTTP stack serving a static body of the
#      same size;
#   2. webhook ingest (push_load, 16 senders) against pgbench running the
#      same durable inbox insert at 16 clients;
#   3. a sync of 10,000 zaken from the fake ZGW agency;
# samples the service's RSS after every load phase and prints one table with
# the targets. A MISS does not fail the run; something broken does (exit 1):
# a service that died, wrk/pgbench/push_load errors above 1 %, a failed sync,
# responses that do not match the dataset.
#
# Environment (all optional):
#   BENCH_DURATION=10     seconds per load phase
#   BENCH_CASES=1000000   cases to generate (citizens: BENCH_SUBJECTS=100000)
#   BENCH_TOKENS=10000    tokens (distinct citizens) for the read path
#   BENCH_ZAKEN=10000     zaken in the sync phase
#   BENCH_COLD_TOKENS=100000  distinct citizens' tokens for the cold-cache
#                         read phase (at most BENCH_SUBJECTS; each sent once)
#   BENCH_QUIET_TRIES=5   before each phase, wait up to this many × 2 s for
#                         other processes to use < 0.3 cores (then go anyway;
#                         the table reports what they used: "others' CPU")
#   BENCH_PERF=1          also profile the service (perf record -g) during an
#                         extra read phase; the report goes to BENCH_OUT
#   BENCH_OUT=DIR         keep the raw outputs (wrk, pgbench, logs) in DIR
#   BENCH_KEEP=1          keep the temporary directory (printed at the end)
#   BENCH_PG_OPTS="-c x=y" extra PostgreSQL settings (e.g. auto_explain, to see
#                         slow plans in the cluster's server.log)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=$ROOT/build-release
DURATION=${BENCH_DURATION:-10}
NCASES=${BENCH_CASES:-1000000}
NSUBJECTS=${BENCH_SUBJECTS:-100000}
NTOKENS=${BENCH_TOKENS:-10000}
NZAKEN=${BENCH_ZAKEN:-10000}
NCOLD=${BENCH_COLD_TOKENS:-100000}
[ "$NCOLD" -le "$NSUBJECTS" ] || NCOLD=$NSUBJECTS
DB=mzbench
# The case cache of the read service (issue 18 item 4): BENCH_CASE_CACHE_ENTRIES=0 measures without it.
CC_ENTRIES_SET=${BENCH_CASE_CACHE_ENTRIES:-10000}
CC_BYTES_SET=${BENCH_CASE_CACHE_BYTES:-8388608}
T_START=$(date +%s.%N)

# Nothing from the caller's environment configures the services we start.
for v in $(compgen -e | grep '^MZ_' || true); do unset "$v"; done

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
BROKEN=()
broken() { log "BROKEN: $*"; BROKEN+=("$*"); }
die() { log "FATAL: $*"; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# --- what we need ------------------------------------------------------------
PGBIN=/usr/lib/postgresql/15/bin
if ! command -v cmake >/dev/null 2>&1 || ! command -v pkg-config >/dev/null 2>&1 ||
   ! command -v psql >/dev/null 2>&1 || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pgbench" ]; then
  scripts/deps.sh # the project's build and PostgreSQL packages
fi
if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  log "installing wrk"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends wrk >&2 ||
    { $SUDO apt-get update -q >&2 &&
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends wrk >&2; }
fi
PGBENCH=$PGBIN/pgbench

# --- scratch space, and cleaning it all up ------------------------------------
TMP=$(mktemp -d /tmp/mzbench.XXXXXX)
chmod 755 "$TMP" # the cluster runs as `postgres` when we are root
OUT=${BENCH_OUT:-$TMP/out}
mkdir -p "$OUT"
. scripts/lib/pg.sh
PGDATA_DIR=$TMP/pg/data
SOCK=$TMP/pg/sock
PIDS=()

stop_pid() { # stop_pid PID [seconds]: TERM, wait (bounded), then KILL
  local pid=$1 limit=$(( ${2:-15} * 10 )) i=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt $limit ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  set +e
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid" 5; done
  pg_cluster_stop "$PGDATA_DIR"
  if [ -n "${BENCH_KEEP:-}" ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building (release)"
{ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$BUILD" -j2 --target mijnzaken fake_zgw push_load bench_tokens bench_sql; } \
  >"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log" >&2; die "the build failed"; }

log "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (the benchmark shares this machine)"

# --- PostgreSQL ---------------------------------------------------------------
log "starting PostgreSQL 15 (fsync on, synchronous_commit on)"
pg_cluster_start "$PGDATA_DIR" "$SOCK" \
  -c shared_buffers=256MB -c effective_cache_size=4GB -c work_mem=16MB \
  -c maintenance_work_mem=512MB -c max_wal_size=4GB -c checkpoint_timeout=15min \
  -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c jit=off ${BENCH_PG_OPTS:-}
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -U postgres)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
export MZ_DATABASE_URL="host=$SOCK user=postgres dbname=$DB"
"$BUILD/mijnzaken" migrate >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log" >&2; die "migrate failed"; }

KEYS=$TMP/keys
"$BUILD/mijnzaken" init-dev --dir "$KEYS" >"$OUT/init-dev.log" 2>&1
export MZ_JWT_PUBLIC_KEY_FILE=$KEYS/jwt-public.pem
export MZ_JWT_PRIVATE_KEY_FILE=$KEYS/jwt-private.pem
export MZ_PSEUDONYM_KEY_FILE=$KEYS/pseudonym.key
export MZ_LOG_LEVEL=warn
export MZ_REFRESH_AFTER=86400
export MZ_THREADS=${MZ_THREADS:-2}
export MZ_PORTAL_DIR=$TMP/no-portal # none: only the API

# --- the dataset --------------------------------------------------------------
log "generating the dataset: $NSUBJECTS citizens, $NCASES cases"
T_GEN=$(date +%s.%N)
DATA=$TMP/data
mkdir -p "$DATA"
"$BUILD/bench_tokens" keys "$DATA" "$NSUBJECTS" "$NTOKENS" 2>"$OUT/bench_tokens-keys.log"
# The slow part of the tokens (RS256 signing) runs while the database loads.
"$BUILD/bench_tokens" tokens "$DATA" "$NSUBJECTS" "$NTOKENS" 2>"$OUT/bench_tokens.log" &
TOKENS_PID=$!
PIDS+=("$TOKENS_PID")
# The cold-cache phase's tokens: another draw (seed 7) of NCOLD citizens.
mkdir -p "$DATA/cold"
"$BUILD/bench_tokens" tokens "$DATA/cold" "$NSUBJECTS" "$NCOLD" 7 2>"$OUT/bench_tokens-cold.log" &
COLD_PID=$!
PIDS+=("$COLD_PID")
"${PSQL[@]}" -d "$DB" <<'SQL'
CREATE SCHEMA bench;
CREATE TABLE bench.all_subjects (idx int PRIMARY KEY, subject_key bytea NOT NULL);
CREATE TABLE bench.subjects (n int PRIMARY KEY, subject_idx int NOT NULL, subject_key bytea NOT NULL);
SQL
"${PSQL[@]}" -d "$DB" -c "COPY bench.all_subjects FROM STDIN" <"$DATA/subjects.copy"
"${PSQL[@]}" -d "$DB" -c "COPY bench.subjects FROM STDIN" <"$DATA/token_subjects.copy"
"${PSQL[@]}" -d "$DB" -v ncases="$NCASES" -f bench/dataset.sql >"$OUT/dataset.log"
T_SQL=$(elapsed "$T_GEN")
"${PSQL[@]}" -d "$DB" -c "VACUUM (ANALYZE)" -c "CHECKPOINT"
wait "$TOKENS_PID" || die "bench_tokens failed: $(cat "$OUT/bench_tokens.log")"
wait "$COLD_PID" || die "bench_tokens (cold) failed: $(cat "$OUT/bench_tokens-cold.log")"
GEN_S=$(elapsed "$T_GEN")
read -r N_CASES N_EVENTS N_SUBJ N_CLOSED DB_SIZE < <("${PSQL[@]}" -d "$DB" -At -F'|' -c \
  "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events),
          (SELECT count(DISTINCT subject_key) FROM cases),
          (SELECT count(*) FROM cases WHERE closed_on IS NOT NULL),
          pg_size_pretty(pg_database_size('$DB'))" | tr -d ' ' | sed 's/|/ /g')
GEN_LINE="dataset: $N_SUBJ citizens, $N_CASES cases ($N_CLOSED closed), $N_EVENTS events, 20 agencies, $DB_SIZE; generated in ${GEN_S} s (SQL load + indexes ${T_SQL} s, then VACUUM ANALYZE + CHECKPOINT; tokens signed alongside)"
log "$GEN_LINE"

# --- helpers ------------------------------------------------------------------
free_port() {
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  die "no free port"
}

SVC_PID='' SVC_PORT=''
start_service() { # start_service NAME [VAR=value...]
  local name=$1 i
  shift
  SVC_PORT=$(free_port)
  env MZ_LISTEN="127.0.0.1:$SVC_PORT" "$@" "$BUILD/mijnzaken" serve >"$OUT/service-$name.log" 2>&1 &
  SVC_PID=$!
  PIDS+=("$SVC_PID")
  for i in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$SVC_PORT/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SVC_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$OUT/service-$name.log" >&2
  die "service $name did not start"
}
alive() { # alive NAME: the service must still run
  kill -0 "$SVC_PID" 2>/dev/null && return 0
  broken "service ($1) died: $(tail -n 3 "$OUT/service-$1.log" | tr '\n' ' ')"
  return 1
}
stop_service() { # stop_service NAME
  if ! kill -0 "$SVC_PID" 2>/dev/null; then
    alive "$1" || true
    return 0
  fi
  stop_pid "$SVC_PID" 15
}
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$SVC_PID/status" 2>/dev/null || echo "?"; }
maxf() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "?") print b; else if (b == "?") print a; else print (a > b ? a : b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }

# wrk_run NAME CONNS URL [-s script -- args]: sets W_RPS W_P50 W_P99 W_REQ W_ERR W_NON2XX
wrk_run() {
  local name=$1 conns=$2 url=$3 f
  shift 3
  f=$OUT/wrk-$name.txt
  wait_quiet
  local mark
  mark=$(cpu_mark)
  wrk -t2 -c"$conns" -d"${DURATION}s" --latency "$url" "$@" >"$f" 2>&1 || true
  W_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")
  W_REQ=$(awk '/ requests in / { print $1 }' "$f")
  W_NON2XX=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$f")
  W_NON2XX=${W_NON2XX:-0}
  local sock
  sock=$(awk -F'[ ,]+' '/Socket errors:/ { print $4 + $6 + $8 + $10 }' "$f")
  W_ERR=$(( W_NON2XX + ${sock:-0} ))
  W_P50=$(wrk_pct 50 "$f")
  W_P99=$(wrk_pct 99 "$f")
  W_OTH=$(others "$mark")
  if [ -z "$W_RPS" ] || [ -z "$W_REQ" ]; then
    broken "wrk $name produced no result: $(head -c 300 "$f")"
    W_RPS=0 W_REQ=0
  elif [ $(( W_ERR * 100 )) -gt "$W_REQ" ]; then
    broken "wrk $name: $W_ERR errors (non-2xx $W_NON2XX) in $W_REQ requests"
  fi
  log "wrk $name: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, $W_NON2XX non-2xx, $W_ERR errors; others used $W_OTH cores"
}
wrk_pct() { # wrk_pct 50|99 FILE → milliseconds
  awk -v p="$1%" '$1 == p {
      v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
      printf "%.2f", v }' "$2"
}

# pgb_run NAME CLIENTS SCRIPT [pgbench options]: sets G_TPS G_P50 G_P99 G_TX G_FAIL
pgb_run() {
  local name=$1 clients=$2 script=$3 dir
  shift 3
  dir=$OUT/pgbench-$name
  mkdir -p "$dir"
  wait_quiet
  local mark
  mark=$(cpu_mark)
  (cd "$dir" && PGOPTIONS="-c jit=off -c synchronous_commit=on" \
     "$PGBENCH" -n -h "$SOCK" -U postgres -M prepared -c "$clients" -j 2 -T "$DURATION" \
       -l -f "$script" "$@" "$DB" >out.txt 2>&1) || broken "pgbench $name exited non-zero: $(tail -n 3 "$dir/out.txt" | tr '\n' ' ')"
  G_OTH=$(others "$mark")
  G_TPS=$(awk '/^tps = / { printf "%.0f", $3; exit }' "$dir/out.txt")
  G_TX=$(awk '/actually processed:/ { print $NF }' "$dir/out.txt")
  G_FAIL=$(awk '/number of failed transactions:/ { print $5 }' "$dir/out.txt")
  G_TPS=${G_TPS:-0} G_TX=${G_TX:-0} G_FAIL=${G_FAIL:-0}
  # Per-transaction log: client, tx no, latency (µs), ...
  read -r G_P50 G_P99 < <(cat "$dir"/pgbench_log.* 2>/dev/null | awk '{ print $3 }' | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.2f %.2f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000; else print "? ?" }')
  rm -f "$dir"/pgbench_log.*
  if [ "$G_TX" -eq 0 ] || [ $(( G_FAIL * 100 )) -gt "$G_TX" ]; then
    broken "pgbench $name: $G_FAIL failed of $G_TX transactions"
  fi
  log "pgbench $name: $G_TPS tps, p50 $G_P50 ms, p99 $G_P99 ms, $G_FAIL failed; others used $G_OTH cores"
}

# Others' CPU: this machine may be shared, so every phase reports how many
# cores user processes outside the benchmark (not this script and its
# children, the service, the cluster) used meanwhile: machine busy time from
# /proc/stat minus ours (live processes' utime+stime, exited children's via
# cutime/cstime) and minus kernel threads (writeback, discard: partly ours).
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_mark() {
  local pm busy ours
  pm=$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || echo 0)
  busy=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat)
  ours=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v me=$$ -v svc="${SVC_PID:-0}" -v pm="$pm" '{
      pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, a, " ")
      # a[2] ppid, a[12] utime, a[13] stime, a[14] cutime, a[15] cstime
      if (pid == me || pid == pm) s += a[12] + a[13] + a[14] + a[15]
      else if (pid == svc || a[2] == pm || a[2] == me) s += a[12] + a[13]
      else if (pid == 2 || a[2] == 2) s += a[12] + a[13] # kernel threads: writeback etc., partly ours
    } END { print s + 0 }')
  echo "$busy $ours $(date +%s.%N)"
}
others() { # others "MARK_BEFORE" → cores used by other processes since
  local b0 o0 t0 b1 o1 t1
  read -r b0 o0 t0 <<<"$1"
  read -r b1 o1 t1 < <(cpu_mark)
  awk -v db=$((b1 - b0)) -v dours=$((o1 - o0)) -v t0="$t0" -v t1="$t1" -v hz="$HZ" \
    'BEGIN { v = (db - dours) / hz / (t1 - t0); if (v < 0) v = 0; printf "%.1f", v }'
}
# Waits (bounded) for the machine to be quiet before measuring.
wait_quiet() {
  local i m o
  for i in $(seq 1 "${BENCH_QUIET_TRIES:-5}"); do
    m=$(cpu_mark); sleep 2; o=$(others "$m")
    awk -v o="$o" 'BEGIN { exit !(o < 0.3) }' && return 0
    log "other processes use $o cores; waiting for a quieter machine ($i)"
  done
}

declare -A R # results by key

# --- 1. the citizen read path -------------------------------------------------
"$BUILD/bench_sql" my-cases >"$OUT/my-cases.pgbench.sql"
"$BUILD/bench_sql" my-cases-read >"$OUT/my-cases-read.pgbench.sql"
start_service read MZ_CASE_CACHE_ENTRIES="$CC_ENTRIES_SET" MZ_CASE_CACHE_BYTES="$CC_BYTES_SET"
URL=http://127.0.0.1:$SVC_PORT
TOKENS=$DATA/tokens.txt
RSS_START=$(rss_mib)

# Check before measuring: a sample of citizens gets exactly their cases from
# the dataset (this also proves the pseudonyms match the service's), and the
# average body size is what the static ceiling serves.
log "checking responses against the dataset"
total_bytes=0 samples=0 mismatches=0 nonempty=0
for k in $(seq 0 39); do
  n=$(( 1 + (k * 7919) % NTOKENS ))
  tok=$(sed -n "${n}p" "$TOKENS")
  read -r code size < <(curl -s -o "$TMP/body.json" -w '%{http_code} %{size_download}\n' \
    -H "Authorization: Bearer $tok" "$URL/api/v1/me/cases")
  want=$("${PSQL[@]}" -d "$DB" -At -c "SELECT least(count(*), 20) FROM cases c JOIN bench.subjects s ON s.subject_key = c.subject_key WHERE s.n = $n")
  got=$(grep -o '"caseNumber":' "$TMP/body.json" | wc -l || true)
  if [ "$code" != 200 ] || [ "$got" != "$want" ]; then
    mismatches=$((mismatches + 1))
    log "citizen #$n: HTTP $code, $got cases, expected $want"
  fi
  [ "$got" -gt 0 ] && nonempty=$((nonempty + 1))
  total_bytes=$((total_bytes + size)) samples=$((samples + 1))
done
AVG_BODY=$(( total_bytes / samples ))
[ "$mismatches" -eq 0 ] || broken "$mismatches of $samples sampled citizens got other cases than the dataset has"
[ "$nonempty" -gt 0 ] || broken "no sampled citizen has cases: the pseudonyms do not match"
log "average my-cases body: $AVG_BODY bytes ($samples citizens sampled)"

log "warming up (3 s, not measured)"
wrk -t2 -c16 -d3s "$URL" -s bench/my_cases.lua -- "$TOKENS" >"$OUT/wrk-warmup.txt" 2>&1 || true
RSS_READ=$RSS_START
for c in 16 64; do
  wrk_run "my-cases-$c" "$c" "$URL" -s bench/my_cases.lua -- "$TOKENS"
  R[read$c.rps]=$W_RPS R[read$c.p50]=$W_P50 R[read$c.p99]=$W_P99 R[read$c.rss]=$(rss_mib)
  R[read$c.non2xx]=$W_NON2XX R[read$c.oth]=$W_OTH
  RSS_READ=$(maxf "$RSS_READ" "${R[read$c.rss]}")
  alive read || true
done

# Cold cache: every request a token the service has not seen (NCOLD
# distinct citizens, each token sent once until the file wraps); the token
# cache's own counters say how many were verified anew.
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
CM0=$(metric mz_token_cache_misses_total) CH0=$(metric mz_token_cache_hits_total)
wrk_run my-cases-cold-16 16 "$URL" -s bench/cold_cases.lua -- "$DATA/cold/tokens.txt"
CM1=$(metric mz_token_cache_misses_total) CH1=$(metric mz_token_cache_hits_total)
R[cold.rps]=$W_RPS R[cold.p50]=$W_P50 R[cold.p99]=$W_P99 R[cold.rss]=$(rss_mib) R[cold.oth]=$W_OTH
R[cold.miss]=$(awk -v m=$((CM1 - CM0)) -v h=$((CH1 - CH0)) 'BEGIN { if (m + h) printf "%.0f", 100 * m / (m + h); else print "?" }')
RSS_READ=$(maxf "$RSS_READ" "${R[cold.rss]}")
alive read || true
# Group commit of the processing log: the batch sizes reached.
curl -s "$URL/metrics" | grep -E '^mz_plog_(commits_total|records_total|failed_batches_total|batch_size_(sum|count|bucket))' >"$OUT/plog-metrics.txt" || true
PL_COMMITS=$(awk '$1 == "mz_plog_commits_total" { print $2 }' "$OUT/plog-metrics.txt")
PL_RECORDS=$(awk '$1 == "mz_plog_records_total" { print $2 }' "$OUT/plog-metrics.txt")
PL_AVG=$(ratio "${PL_RECORDS:-0}" "${PL_COMMITS:-0}")
# The case cache (issue 18 item 4; BENCH_CASE_CACHE_ENTRIES=0 turns it off): hits over all read phases.
curl -s "$URL/metrics" | grep -E '^mz_case_cache_' >"$OUT/case-cache-metrics.txt" || true
CC_HITS=$(awk '$1 == "mz_case_cache_hits_total" { print $2 }' "$OUT/case-cache-metrics.txt")
CC_MISSES=$(awk '$1 == "mz_case_cache_misses_total" { print $2 }' "$OUT/case-cache-metrics.txt")
CC_STALE=$(awk '$1 == "mz_case_cache_rechecks_total{outcome=\"stale\"}" { print $2 }' "$OUT/case-cache-metrics.txt")
CC_BYTES=$(awk '$1 == "mz_case_cache_bytes" { print $2 }' "$OUT/case-cache-metrics.txt")
CC_ENTRIES=$(awk '$1 == "mz_case_cache_entries" { print $2 }' "$OUT/case-cache-metrics.txt")
CC_RATE=$(awk -v h="${CC_HITS:-0}" -v m="${CC_MISSES:-0}" 'BEGIN { if (h + m) printf "%.0f %%", 100 * h / (h + m); else print "off" }')
# Bytes per processing-log record on disk (heap + indexes, all partitions): docs/scaling.md.
PL_BYTES=$("${PSQL[@]}" -d "$DB" -At -c "SELECT (SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('processing_log')) / greatest((SELECT count(*) FROM processing_log), 1)")
log "processing log: ${PL_RECORDS:-?} records in ${PL_COMMITS:-?} commits (average batch $PL_AVG), $PL_BYTES bytes per record on disk"

if [ -n "${BENCH_PERF:-}" ] && command -v perf >/dev/null 2>&1; then
  log "profiling the service during an extra 16-connection read phase (perf, DWARF call graphs)"
  wrk -t2 -c16 -d"$((DURATION + 2))s" "$URL" -s bench/my_cases.lua -- "$TOKENS" >"$OUT/wrk-perf.txt" 2>&1 &
  wpid=$!
  sleep 1
  perf record -F 499 --call-graph dwarf,16384 -o "$OUT/perf-read.data" -p "$SVC_PID" \
    -- sleep "$DURATION" >"$OUT/perf-record.log" 2>&1 || true
  wait "$wpid" || true
  # Inclusive time per function (children), the service's own frames first.
  perf report -i "$OUT/perf-read.data" --children --sort symbol --percent-limit 3 --stdio \
    2>/dev/null | grep -E '^ +[0-9.]+%' >"$OUT/perf-read.txt" || true
  log "perf report (inclusive, top): $OUT/perf-read.txt"
  grep -E 'mz_|jwt_|PEM_|OSSL_|PQ|MHD|access_handler' "$OUT/perf-read.txt" | head -n 15 >&2 || true
fi
stop_service read

for c in 16 64; do
  pgb_run "my-cases-$c" "$c" "$OUT/my-cases.pgbench.sql" -D nsubjects="$NTOKENS"
  R[pgb$c.tps]=$G_TPS R[pgb$c.p50]=$G_P50 R[pgb$c.p99]=$G_P99 R[pgb$c.oth]=$G_OTH
done
# The database's part of a read alone (freshness + list, pipelined, no log
# record): what no HTTP-side work can exceed without a memory cache.
pgb_run my-cases-read-16 16 "$OUT/my-cases-read.pgbench.sql" -D nsubjects="$NTOKENS"
R[pgbr.tps]=$G_TPS R[pgbr.p50]=$G_P50 R[pgbr.p99]=$G_P99 R[pgbr.oth]=$G_OTH

# The HTTP ceiling: the same server, a static body of the same size, no
# database, no token.
mkdir -p "$TMP/static"
{ printf '{"pad":"'; head -c $(( AVG_BODY > 11 ? AVG_BODY - 11 : 1 )) /dev/zero | tr '\0' 'x'; printf '"}\n'; } >"$TMP/static/payload.json"
start_service static MZ_PORTAL_DIR="$TMP/static"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SVC_PORT/payload.json")
[ "$code" = 200 ] || broken "static payload answers HTTP $code"
RSS_STATIC=$(rss_mib)
for c in 16 64; do
  wrk_run "static-$c" "$c" "http://127.0.0.1:$SVC_PORT/payload.json"
  R[static$c.rps]=$W_RPS R[static$c.p50]=$W_P50 R[static$c.p99]=$W_P99 R[static$c.rss]=$(rss_mib)
  RSS_STATIC=$(maxf "$RSS_STATIC" "${R[static$c.rss]}") R[static$c.oth]=$W_OTH
  alive static || true
done
stop_service static

# --- 2. webhook ingest --------------------------------------------------------
PUSH_SECRET="whsec_$(head -c 24 /dev/urandom | base64 | tr -d '\n')"
UNUSED_PORT=$(free_port)
cat >"$TMP/push-agencies.json" <<JSON
{"agencies": [{
  "id": "push", "name": "Bench push agency", "pollIntervalSeconds": 86400,
  "adapter": {"kind": "rest-json", "baseUrl": "http://127.0.0.1:$UNUSED_PORT/api",
              "listPath": "/cases", "itemsPointer": "/items",
              "fields": {"externalId": "/id", "bsn": "/bsn", "title": "/title",
                         "status": "/status", "statusChangedAt": "/since"}},
  "webhook": {"secretEnv": "BENCH_PUSH_SECRET"}
}]}
JSON
start_service push MZ_AGENCIES_FILE="$TMP/push-agencies.json" BENCH_PUSH_SECRET="$PUSH_SECRET"
sleep 0.5 # the scheduler's first (failing) sync of the unreachable agency
wait_quiet
mark=$(cpu_mark)
"$BUILD/push_load" "http://127.0.0.1:$SVC_PORT/api/v1/agencies/push/events" "$PUSH_SECRET" 16 "$DURATION" \
  >"$OUT/push_load.txt" 2>&1 || true
P_OTH=$(others "$mark")
RSS_PUSH=$(rss_mib)
alive push || true
PL=$(grep '^push_load:' "$OUT/push_load.txt" || true)
if [ -z "$PL" ]; then
  broken "push_load produced no result: $(head -c 300 "$OUT/push_load.txt")"
  P_ACC=0 P_RPS=0 P_ERR=0 P_P50='?' P_P99='?'
else
  P_ACC=$(sed -E 's/.*: ([0-9]+) accepted.*/\1/' <<<"$PL")
  P_RPS=$(sed -E 's/.*\(([0-9]+) events\/s\).*/\1/' <<<"$PL")
  P_ERR=$(sed -E 's/.*, ([0-9]+) errors.*/\1/' <<<"$PL")
  P_P50=$(sed -E 's/.*p50 ([0-9.]+) ms.*/\1/' <<<"$PL")
  P_P99=$(sed -E 's/.*p99 ([0-9.]+) ms.*/\1/' <<<"$PL")
  [ $(( P_ERR * 100 )) -le $(( P_ACC + P_ERR )) ] || broken "push_load: $P_ERR errors, $P_ACC accepted"
fi
log "push_load: $P_RPS events/s, p50 $P_P50 ms, p99 $P_P99 ms, $P_ERR errors"
STORED=$("${PSQL[@]}" -d "$DB" -At -c "SELECT count(*) FROM inbox WHERE agency_id = 'push'")
[ "$STORED" -ge "$P_ACC" ] || broken "push: $P_ACC acknowledged but only $STORED in the inbox"
# The inbox processor applied events while they came in; how far it got,
# and how long the rest (the backlog) takes to reach the case store.
applied() { "${PSQL[@]}" -d "$DB" -At -c "SELECT count(*) FROM inbox WHERE agency_id = 'push' AND processed_at IS NOT NULL"; }
A_DURING=$(applied)
T_DRAIN=$(date +%s.%N)
A_NOW=$A_DURING
for i in $(seq 1 600); do
  [ "$A_NOW" -ge "$STORED" ] && break
  sleep 0.1
  A_NOW=$(applied)
done
DRAIN_S=$(elapsed "$T_DRAIN")
A_FAILED=$("${PSQL[@]}" -d "$DB" -At -c "SELECT count(*) FROM inbox WHERE agency_id = 'push' AND error IS NOT NULL")
[ "$A_NOW" -ge "$STORED" ] || broken "inbox: only $A_NOW of $STORED applied 60 s after the load ($A_FAILED failed)"
A_RATE_DURING=$(awk -v n="$A_DURING" -v d="$DURATION" 'BEGIN { printf "%.0f", n / d }')
A_RATE_DRAIN=$(awk -v n="$((A_NOW - A_DURING))" -v s="$DRAIN_S" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
log "inbox: $A_DURING applied during the load ($A_RATE_DURING/s), the other $((A_NOW - A_DURING)) in $DRAIN_S s ($A_RATE_DRAIN/s)"
BODY=$("${PSQL[@]}" -d "$DB" -At -c "SELECT body FROM inbox WHERE agency_id = 'push' ORDER BY id LIMIT 1")
stop_service push # its inbox processor would pick up pgbench's rows
"$BUILD/bench_sql" inbox push "$BODY" >"$OUT/inbox.pgbench.sql"
pgb_run inbox-16 16 "$OUT/inbox.pgbench.sql"
R[inbox.tps]=$G_TPS R[inbox.p50]=$G_P50 R[inbox.p99]=$G_P99 R[inbox.oth]=$G_OTH

# --- 3. sync ------------------------------------------------------------------
ZGW_SECRET=bench-zgw-$RANDOM$RANDOM
: >"$OUT/fake_zgw.out" # before the child opens it: the loop below reads it at once
"$BUILD/fake_zgw" --listen 127.0.0.1:0 --zaken "$NZAKEN" --secret "$ZGW_SECRET" \
  >"$OUT/fake_zgw.out" 2>"$OUT/fake_zgw.err" &
ZGW_PID=$!
PIDS+=("$ZGW_PID")
ZGW_PORT=
for i in $(seq 1 100); do
  ZGW_PORT=$(sed -n 's/^listening port=\([0-9]*\)$/\1/p' "$OUT/fake_zgw.out")
  [ -n "$ZGW_PORT" ] && break
  kill -0 "$ZGW_PID" 2>/dev/null || break
  sleep 0.1
done
S_RATE=0 S_SEEN=0 S_MS=0 S_OTH='?'
if [ -z "$ZGW_PORT" ]; then
  broken "fake_zgw did not start: $(head -c 300 "$OUT/fake_zgw.err")"
else
  cat >"$TMP/sync-agencies.json" <<JSON
{"agencies": [{
  "id": "gem", "name": "Bench ZGW municipality", "pollIntervalSeconds": 86400,
  "adapter": {"kind": "zgw", "zakenUrl": "http://127.0.0.1:$ZGW_PORT/zaken/api/v1",
              "catalogiUrl": "http://127.0.0.1:$ZGW_PORT/catalogi/api/v1",
              "clientId": "mijnzaken", "secretEnv": "BENCH_ZGW_SECRET"}
}]}
JSON
  wait_quiet
  mark=$(cpu_mark)
  T_SYNC=$(date +%s.%N)
  if env MZ_AGENCIES_FILE="$TMP/sync-agencies.json" BENCH_ZGW_SECRET="$ZGW_SECRET" \
       timeout 120 "$BUILD/mijnzaken" sync --agency gem --once >"$OUT/sync.txt" 2>&1; then
    S_SEEN=$(sed -nE 's/.* ([0-9]+) seen.*/\1/p' "$OUT/sync.txt" | head -n1)
    S_MS=$(sed -nE 's/.* ([0-9]+) ms$/\1/p' "$OUT/sync.txt" | head -n1)
    S_RATE=$(awk -v n="${S_SEEN:-0}" -v ms="${S_MS:-0}" 'BEGIN { if (ms > 0) printf "%.0f", n * 1000 / ms; else print 0 }')
    [ "${S_SEEN:-0}" -eq "$NZAKEN" ] || broken "sync saw ${S_SEEN:-0} of $NZAKEN zaken"
  else
    broken "sync failed: $(tail -n 3 "$OUT/sync.txt" | tr '\n' ' ')"
  fi
  S_OTH=$(others "$mark")
  log "sync: $(tail -n 1 "$OUT/sync.txt") (wall $(elapsed "$T_SYNC") s); others used $S_OTH cores"
fi
stop_pid "$ZGW_PID" 5

# --- the table ----------------------------------------------------------------
pf() { # pass/miss CONDITION(awk expression)
  awk "BEGIN { exit !($1) }" 2>/dev/null && echo PASS || echo MISS
}
ok_all() { local r; for r in "$@"; do [ "$r" = PASS ] || { echo MISS; return; }; done; echo PASS; }
RSS_MAX=$(maxf "$(maxf "$RSS_READ" "$RSS_STATIC")" "$RSS_PUSH")
r16=$(ratio "${R[read16.rps]}" "${R[pgb16.tps]}")
r64=$(ratio "${R[read64.rps]}" "${R[pgb64.tps]}")
rh16=$(ratio "${R[read16.rps]}" "${R[static16.rps]}")
rh64=$(ratio "${R[read64.rps]}" "${R[static64.rps]}")
rin=$(ratio "$P_RPS" "${R[inbox.tps]}")
rcold=$(ratio "${R[cold.rps]}" "${R[static16.rps]}")
rread=$(ratio "${R[pgbr.tps]}" "${R[static16.rps]}")
# Targets (issue 18): my-cases at 16 ≥ 0.10 × the HTTP ceiling with p99 ≤
# 10 ms; ingest ≥ 0.8 × the pgbench insert ceiling; sync ≥ 8,000 zaken/s;
# RSS ≤ 32 MiB after every phase.
res16=$(ok_all "$(pf "${R[read16.p99]:-999} <= 10")" "$(pf "$rh16 >= 0.10")" "$(pf "${R[read16.rss]} <= 32")")
res64=$(pf "${R[read64.rss]} <= 32")
rescold=$(pf "${R[cold.rss]} <= 32")
respush=$(ok_all "$(pf "$rin >= 0.8")" "$(pf "$RSS_PUSH <= 32")")
ressync=$(pf "$S_RATE >= 8000")
resrss=$(pf "$RSS_MAX <= 32")
TOTAL_S=$(elapsed "$T_START")

{
  echo
  echo "MijnZaken benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, release build, service + PostgreSQL 15 (fsync on) + load generator on one machine, ${DURATION} s per phase, MZ_THREADS=${MZ_THREADS}"
  echo "$GEN_LINE"
  echo "read path: $NTOKENS citizens with pre-minted RS256 tokens, GET /api/v1/me/cases (first page, pageSize 20), average body $AVG_BODY bytes"
  echo
  echo "| test | req/s | p50 ms | p99 ms | ceiling | ceiling req/s | ratio | RSS MiB | others' CPU | target | result |"
  echo "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |"
  echo "| my-cases, 16 conn | ${R[read16.rps]} | ${R[read16.p50]} | ${R[read16.p99]} | HTTP ceiling 16 | ${R[static16.rps]} | $rh16 | ${R[read16.rss]} | ${R[read16.oth]} | ≥ 0.10 × HTTP ceiling, p99 ≤ 10 ms, RSS ≤ 32 | $res16 |"
  echo "| my-cases, 64 conn | ${R[read64.rps]} | ${R[read64.p50]} | ${R[read64.p99]} | HTTP ceiling 64 | ${R[static64.rps]} | $rh64 | ${R[read64.rss]} | ${R[read64.oth]} | RSS ≤ 32 | $res64 |"
  echo "| my-cases, 16 conn, cold token cache ($NCOLD citizens, ${R[cold.miss]} % verified anew) | ${R[cold.rps]} | ${R[cold.p50]} | ${R[cold.p99]} | HTTP ceiling 16 | ${R[static16.rps]} | $rcold | ${R[cold.rss]} | ${R[cold.oth]} | RSS ≤ 32 | $rescold |"
  echo "| my-cases 16 ÷ pgbench of its SQL (16 clients) | | | | pgbench 16 | ${R[pgb16.tps]} | $r16 | | | (information) | |"
  echo "| my-cases 64 ÷ pgbench of its SQL (64 clients) | | | | pgbench 64 | ${R[pgb64.tps]} | $r64 | | | (information) | |"
  echo "| pgbench my-cases SQL, 16 clients | ${R[pgb16.tps]} | ${R[pgb16.p50]} | ${R[pgb16.p99]} | | | | | ${R[pgb16.oth]} | (ceiling) | |"
  echo "| pgbench my-cases SQL, 64 clients | ${R[pgb64.tps]} | ${R[pgb64.p50]} | ${R[pgb64.p99]} | | | | | ${R[pgb64.oth]} | (ceiling) | |"
  echo "| pgbench reads only (freshness + list, pipelined), 16 clients | ${R[pgbr.tps]} | ${R[pgbr.p50]} | ${R[pgbr.p99]} | HTTP ceiling 16 | ${R[static16.rps]} | $rread | | ${R[pgbr.oth]} | (the database's limit for my-cases ÷ HTTP ceiling) | |"
  echo "| HTTP ceiling (static ${AVG_BODY} B), 16 | ${R[static16.rps]} | ${R[static16.p50]} | ${R[static16.p99]} | | | | ${R[static16.rss]} | ${R[static16.oth]} | RSS ≤ 32 | $(pf "${R[static16.rss]} <= 32") |"
  echo "| HTTP ceiling (static ${AVG_BODY} B), 64 | ${R[static64.rps]} | ${R[static64.p50]} | ${R[static64.p99]} | | | | ${R[static64.rss]} | ${R[static64.oth]} | RSS ≤ 32 | $(pf "${R[static64.rss]} <= 32") |"
  echo "| webhook ingest, 16 senders | $P_RPS | $P_P50 | $P_P99 | pgbench insert 16 | ${R[inbox.tps]} | $rin | $RSS_PUSH | $P_OTH | ≥ 0.8 × pgbench, RSS ≤ 32 | $respush |"
  echo "| pgbench inbox insert, 16 clients | ${R[inbox.tps]} | ${R[inbox.p50]} | ${R[inbox.p99]} | | | | | ${R[inbox.oth]} | (ceiling) | |"
  echo "| sync $NZAKEN zaken (fake ZGW) | $S_RATE zaken/s | | | | | | | $S_OTH | ≥ 8,000 zaken/s | $ressync |"
  echo "| service RSS, max after any load phase | | | | | | | $RSS_MAX | | ≤ 32 MiB | $resrss |"
  echo
  echo "sync: $(tail -n 1 "$OUT/sync.txt" 2>/dev/null)"
  echo "case cache (read instance, all read phases): ${CC_HITS:-0} hits, ${CC_MISSES:-0} misses ($CC_RATE), ${CC_STALE:-0} hits read again after their fence; ${CC_ENTRIES:-0} entries in ${CC_BYTES:-0} bytes at the end (MZ_CASE_CACHE_ENTRIES=$CC_ENTRIES_SET, MZ_CASE_CACHE_BYTES=$CC_BYTES_SET)"
  echo "processing log (group commit, read instance): ${PL_RECORDS:-?} records in ${PL_COMMITS:-?} commits, average batch $PL_AVG; $PL_BYTES bytes per record on disk (heap + indexes)"
  echo "RSS at start of the read instance: $RSS_START MiB; webhook: $P_ACC events acknowledged, $STORED rows in the inbox"
  echo "inbox processing (events applied to the case store by the same service): $A_DURING during the ${DURATION} s of ingest ($A_RATE_DURING/s), the remaining $((A_NOW - A_DURING)) in $DRAIN_S s after it ($A_RATE_DRAIN/s)"
  echo "others' CPU: cores (of $(nproc)) used by processes outside the benchmark during the phase; results with more than ~0.3 are disturbed"
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); total run time $TOTAL_S s"
  if [ ${#BROKEN[@]} -gt 0 ]; then
    echo
    echo "BROKEN (exit 1):"
    printf '  - %s\n' "${BROKEN[@]}"
  fi
} | tee "$OUT/table.md"

[ -n "${BENCH_OUT:-}" ] && log "raw outputs in $OUT"
[ ${#BROKEN[@]} -eq 0 ] || exit 1
exit 0
