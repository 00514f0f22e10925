#!/usr/bin/env bash
# The fuzz command: builds the libFuzzer targets (tests/fuzz/fuzz_*.c, clang
# with ASan+UBSan+coverage, in build-fuzz/), replays every target's seed
# corpus and regression inputs once, then fuzzes each target for a bounded
# time and prints, per target, how many inputs ran and how many crashes
# were found. Exits non-zero when any target crashed (or its replay did).
#
#   scripts/fuzz.sh                      every target, 20 s each
#   MZ_FUZZ_SECONDS=300 scripts/fuzz.sh  longer
#   scripts/fuzz.sh fuzz_json fuzz_bsn   only these targets
#
# Environment: MZ_FUZZ_SECONDS (per target, default 20), MZ_FUZZ_JOBS
# (targets fuzzed at once, default the number of cores), MZ_FUZZ_KEEP=1
# (keep the scratch directory even when everything passed).
#
# Nothing in the repository is modified: the timed runs fuzz a scratch copy
# of each corpus and write artifacts (crash-*, leak-*, timeout-*, oom-*) to
# the scratch directory, which is kept (and printed) when anything failed.
# To keep a crashing input as a test, copy it to
# tests/fuzz/regressions/<target>/ — the replay phase runs those every time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECONDS_PER_TARGET=${MZ_FUZZ_SECONDS:-20}
JOBS=${MZ_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
BUILD=build-fuzz

# --- packages: the fuzzing toolchain, plus what the core library's CMake
# configuration needs (the same -dev packages as scripts/deps.sh, without
# the database and Node.js the fuzz build does not use).
PACKAGES=(clang-14 libfuzzer-14-dev libclang-rt-14-dev cmake pkg-config make
          libmicrohttpd-dev libpq-dev libyajl-dev libjwt-dev libcmocka-dev libssl-dev
          libcurl4-openssl-dev libyaml-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing missing packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
    $SUDO apt-get update -q >&2
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  fi
fi

# --- targets
if [ $# -gt 0 ]; then
  TARGETS=("$@")
else
  TARGETS=()
  for src in tests/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    TARGETS+=("$t")
  done
fi
[ ${#TARGETS[@]} -gt 0 ] || { echo "fuzz: no targets in tests/fuzz/" >&2; exit 1; }
for t in "${TARGETS[@]}"; do
  [ -f "tests/fuzz/$t.c" ] || { echo "fuzz: no such target: $t" >&2; exit 2; }
done

# --- build. The launcher appends -Wno-error=format-nonliteral (see
# tests/fuzz/cc-launcher.sh: clang's -Wformat=2 trips over service/buf.c).
echo "== building ${#TARGETS[@]} fuzz targets in $BUILD" >&2
cmake -S . -B "$BUILD" -DMZ_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_C_COMPILER_LAUNCHER="$ROOT/tests/fuzz/cc-launcher.sh" >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target "${TARGETS[@]}" >"$BUILD/fuzz-build.log" 2>&1 || {
  tail -n 40 "$BUILD/fuzz-build.log" >&2
  echo "fuzz: build failed (full log: $BUILD/fuzz-build.log)" >&2
  exit 1
}

SCRATCH=$(mktemp -d /tmp/mz-fuzz.XXXXXX)
# UBSan reports are fatal, so libFuzzer records them as crashes; leaks are
# crashes too (LeakSanitizer runs after every input that allocated).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0

# Executions from a libFuzzer log: the final "Done N runs", else the
# final stats, else the last status line "#N".
execs_of() {
  local log=$1 n
  n=$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
  [ -n "$n" ] || n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
  [ -n "$n" ] || n=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
  echo "${n:-0}"
}
artifacts_in() {
  find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
       -o -name 'oom-*' \) 2>/dev/null | wc -l | tr -d ' '
}

# --- phase 1: replay each corpus (one libFuzzer run over the directory)
# and each regression input (one run per file, so every one that still
# crashes is named) once. Any crash here fails the target.
echo "== replaying seed corpora and regression inputs" >&2
declare -A REPLAY_CRASHES=()
for t in "${TARGETS[@]}"; do
  mkdir -p "$SCRATCH/replay/$t"
  crashes=0
  msg=""
  if [ -d "tests/fuzz/corpus/$t" ]; then
    # Seeds of any size are run whole (no -max_len here).
    rc=0
    "$BUILD/$t" -runs=0 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$SCRATCH/replay/$t/" \
        "tests/fuzz/corpus/$t" >"$SCRATCH/replay/$t.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
      crashes=$((crashes + 1))
      msg="corpus CRASHED (exit $rc; log: $SCRATCH/replay/$t.log)"
      grep -m 3 -E 'ERROR|SUMMARY|property failed|runtime error' "$SCRATCH/replay/$t.log" >&2 || true
    else
      msg="$(execs_of "$SCRATCH/replay/$t.log") corpus inputs ok"
    fi
  else
    msg="no corpus"
  fi
  nreg=0
  bad=()
  if [ -d "tests/fuzz/regressions/$t" ]; then
    for f in "tests/fuzz/regressions/$t"/*; do
      [ -f "$f" ] || continue
      nreg=$((nreg + 1))
      log="$SCRATCH/replay/$t.$(basename "$f").log"
      if ! "$BUILD/$t" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$SCRATCH/replay/$t/" \
          "$f" >"$log" 2>&1; then
        bad+=("$f")
        crashes=$((crashes + 1))
        grep -m 2 -E 'property failed|runtime error|ERROR: |^accepted event' \
          "$log" | sed "s|^|  $(basename "$f"): |" >&2 || true
      fi
    done
  fi
  [ "$nreg" -gt 0 ] && msg="$msg, $((nreg - ${#bad[@]})) of $nreg regression inputs ok"
  echo "replay $t: $msg" >&2
  for f in "${bad[@]}"; do
    echo "  still crashes: $f" >&2
  done
  REPLAY_CRASHES[$t]=$crashes
done

# --- phase 2: bounded fuzzing, MZ_FUZZ_JOBS targets at a time
echo "== fuzzing each target for ${SECONDS_PER_TARGET}s ($JOBS at a time)" >&2
run_one() {
  local t=$1 rc=0
  mkdir -p "$SCRATCH/corpus/$t" "$SCRATCH/artifacts/$t"
  if [ -d "tests/fuzz/corpus/$t" ]; then
    cp -R "tests/fuzz/corpus/$t/." "$SCRATCH/corpus/$t/"
  fi
  "$ROOT/$BUILD/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$SCRATCH/artifacts/$t/" \
      "$SCRATCH/corpus/$t" >"$SCRATCH/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$SCRATCH/$t.rc"
}
running=0
for t in "${TARGETS[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

# --- report: executions of the timed run; crashes of the replay and the
# timed run together.
passed=0
failed=0
for t in "${TARGETS[@]}"; do
  log="$SCRATCH/$t.log"
  rc=$(cat "$SCRATCH/$t.rc" 2>/dev/null || echo 1)
  n=$(execs_of "$log")
  c=$(artifacts_in "$SCRATCH/artifacts/$t")
  if [ "$c" -eq 0 ] && [ "$rc" -ne 0 ]; then
    c=1 # the fuzzer died without an artifact: count it, the log says why
  fi
  r=${REPLAY_CRASHES[$t]:-0}
  echo "fuzz $t: $n execs, $((c + r)) crashes"
  if [ $((c + r)) -gt 0 ]; then
    failed=$((failed + 1))
    [ "$r" -gt 0 ] && echo "  $r while replaying the corpus/regression inputs (see above; logs in $SCRATCH/replay/)"
    for a in "$SCRATCH/artifacts/$t"/*; do
      [ -f "$a" ] && echo "  new crash input: $a"
    done
    if [ "$c" -gt 0 ]; then
      grep -m 3 -E 'ERROR|SUMMARY|property failed|runtime error' "$log" | sed 's/^/  /' || true
      echo "  log: $log"
    fi
  else
    passed=$((passed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"

if [ "$failed" -gt 0 ] || [ "${MZ_FUZZ_KEEP:-0}" = 1 ]; then
  echo "fuzz: scratch directory kept: $SCRATCH" >&2
else
  rm -rf "$SCRATCH"
fi
[ "$failed" -eq 0 ]
