#!/usr/bin/env bash
# Fuzzes firegrid's parsers of untrusted input with libFuzzer (clang): the ledger CSV import,
# bearer tokens, the Kafka event envelope, the MQTT messages of devices and the rules files
# (cmake/FiregridFuzz.cmake lists how a target is made; each is `<name>_fuzzer.cc` beside the
# code it fuzzes). Builds the targets with clang, AddressSanitizer and UBSan in build-fuzz/,
# runs each from its seeds (tests/fuzz/corpus/<name>/, and the files of config/ for `config`)
# in a temporary working corpus, and prints per target the executions, their rate, the inputs
# it kept and the crashes.
#
# A crash is copied into tests/fuzz/corpus/<name>/ (crash-<sha1>), where the test command's
# replay test (`fuzz_<name>_replay`) runs it from then on: fix the code, keep the file.
#
#   bench/fuzz.sh [--short] [--runs=N] [--only=NAME] [--out=FILE] [-h | --help]
#
#   --short     a few seconds per target (the test command runs this); writes no report
#   --runs=N    executions per target (default 1000000)
#   --only=NAME one target: csv, token, envelope, mqtt_payload or config
#   --out=FILE  where the report goes (default docs/fuzzing.md; not written with --short)
#
# Environment: FIREGRID_FUZZ_BUILD_DIR (default build-fuzz/), FIREGRID_FUZZ_SECONDS (the --short
# time per target, default 5). Exits 1 when a target crashed or did not build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/lib/usage.sh
source "$ROOT/deploy/lib/usage.sh"
TARGETS=(csv token envelope mqtt_payload config)
short=0
runs=1000000
only=""
out="$ROOT/docs/fuzzing.md"
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    --short) short=1 ;;
    --runs=*) runs="${arg#--runs=}" ;;
    --only=*) only="${arg#--only=}" ;;
    --out=*) out="${arg#--out=}" ;;
    *) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument: $arg" ;;
  esac
done
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then fg_usage_error "${BASH_SOURCE[0]}" "--runs must be a positive number"; fi
if [ -n "$only" ] && ! printf '%s\n' "${TARGETS[@]}" | grep -qx -- "$only"; then
  fg_usage_error "${BASH_SOURCE[0]}" "--only: no target $only (one of: ${TARGETS[*]})"
fi
command -v clang++ >/dev/null || { echo "error: clang++ is not installed (Debian: clang)" >&2; exit 1; }

BUILD="${FIREGRID_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
seconds="${FIREGRID_FUZZ_SECONDS:-5}"
selected=()
for t in "${TARGETS[@]}"; do [[ -z "$only" || "$only" == "$t" ]] && selected+=("$t"); done

start=$SECONDS
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFIREGRID_FUZZ=ON -DFIREGRID_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target "${selected[@]/%/_fuzzer}" >/dev/null
echo "fuzz: built ${#selected[@]} targets with clang, ASan and UBSan in $((SECONDS - start))s"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# The seeds of `config`: each file of config/ behind the digit that picks its loader
# (tests/fuzz/config_fuzzer.cc; tests/fuzz/CMakeLists.txt does the same for the replay test).
config_seeds() {
  local i=0 f
  mkdir -p "$1"
  for f in buildings_rules hazards_rules hazards_guidance departments credit_rules monitoring_rules; do
    { printf '%s' "$i"; cat "$ROOT/config/$f.textproto"; } >"$1/$i-$f"
    i=$((i + 1))
  done
}

failed=0
rows=()
for t in "${selected[@]}"; do
  bin="$(find "$BUILD" -name "${t}_fuzzer" -type f -perm -u+x | head -1)"
  if [ -z "$bin" ]; then
    echo "fuzz: ${t}_fuzzer was not built" >&2
    failed=1
    continue
  fi
  corpus="$WORK/$t/corpus"
  artifacts="$WORK/$t/artifacts"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "$ROOT/tests/fuzz/corpus/$t" ]; then cp "$ROOT/tests/fuzz/corpus/$t"/* "$corpus/"; fi
  if [ "$t" = config ]; then config_seeds "$corpus"; fi
  seeds=$(find "$corpus" -type f | wc -l)
  limit=(-runs="$runs")
  if [ "$short" = 1 ]; then limit=(-max_total_time="$seconds"); fi
  t_start=$SECONDS
  status=0
  "$bin" "${limit[@]}" -artifact_prefix="$artifacts/" -print_final_stats=1 -max_len=65536 \
    -timeout=10 -rss_limit_mb=2048 "$corpus" >"$WORK/$t/log" 2>&1 || status=$?
  elapsed=$((SECONDS - t_start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$t/log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$WORK/$t/log" | tail -1)
  kept=$(find "$corpus" -type f | wc -l)
  crashes=$(find "$artifacts" -type f | wc -l)
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    failed=1
    echo "fuzz: $t FAILED (exit $status); the end of its log:" >&2
    tail -30 "$WORK/$t/log" >&2
    for a in "$artifacts"/*; do
      [ -f "$a" ] || continue
      mkdir -p "$ROOT/tests/fuzz/corpus/$t"
      cp "$a" "$ROOT/tests/fuzz/corpus/$t/"
      echo "fuzz: kept $(basename "$a") in tests/fuzz/corpus/$t/ (the replay test runs it now)" >&2
    done
  fi
  rate=$(( ${execs:-0} / (elapsed > 0 ? elapsed : 1) ))
  printf 'fuzz: %-13s %10s executions in %4ss (%s/s), %s seeds -> %s inputs kept, %s crashes, peak RSS %s MB\n' \
    "$t" "${execs:-?}" "$elapsed" "$rate" "$seeds" "$kept" "$crashes" "${rss:-?}"
  rows+=("| \`$t\` | ${execs:-?} | $elapsed | $rate | $seeds | $kept | $crashes | ${rss:-?} |")
done
echo "fuzz: done in $((SECONDS - start))s"

if [ "$short" = 0 ]; then
  {
    echo "# Fuzzing"
    echo
    echo "Written by \`bench/fuzz.sh --runs=$runs\` on $(date -u +%Y-%m-%d)."
    echo "Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo "clang $(clang++ --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p'), libFuzzer with AddressSanitizer and UBSan."
    echo
    echo "Each target starts from its"
    echo "seeds (tests/fuzz/corpus/<target>/; for \`config\`, the files of config/) and runs \`--runs\`"
    echo "executions. How a target is built and what each one checks: cmake/FiregridFuzz.cmake and the"
    echo "header comment of each \`*_fuzzer.cc\`. The test command runs every target for a few seconds"
    echo "(\`bench/fuzz.sh --short\`) and replays every seed and past crash (CTest \`fuzz_<target>_replay\`)."
    echo
    echo "| target | executions | seconds | per second | seeds | inputs kept | crashes | peak RSS MB |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
  } >"$out"
  echo "fuzz: wrote $out"
fi
exit "$failed"
