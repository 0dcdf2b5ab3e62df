#!/usr/bin/env bash
# Builds firegrid's tests with sanitizers and runs them (docs/sanitizers.md): AddressSanitizer
# (with LeakSanitizer) + UBSan in build-asan/ (-DFIREGRID_SANITIZE=address,undefined) and
# ThreadSanitizer in build-tsan/ (-DFIREGRID_SANITIZE=thread), both with -O1 -g1. A report of
# any of them fails its test; reports inside Debian's uninstrumented libraries are suppressed by
# the reviewed files of tools/sanitizers/. Prints each step's time.
#
#   deploy/sanitize.sh [--full | --short | --e2e] [--asan-only | --tsan-only] [-h | --help]
#
#   --short      (default; the test command runs this) ASan + UBSan on the unit tests of libs/,
#                TSan on the hermetic tests of the concurrent parts (below), each test binary
#                run whole in one process
#   --full       ASan + UBSan on every unit and integration test of the tree (CTest, a process
#                per test); TSan as --short plus the concurrent parts' integration tests
#   --e2e        ASan + UBSan only, on the end-to-end tests (CTest label e2e) and the service
#                binaries they start; the services' own logs are kept in a temporary directory
#                and searched for sanitizer reports afterwards (a report at a service's exit
#                fails no test by itself), which fail the run
#   --asan-only  leave out the TSan build and run
#   --tsan-only  leave out the ASan build and run
#
# The concurrent parts under TSan: the Redis pool (redis_test), the Kafka consumer, producer and
# outbox relay (events_test), the gRPC server host and its interceptors (server_test,
# input_interceptor_test, runtime_test), the notify fan-out hub and stream slots
# (notify_fanout_test, notify_stream_slots_test); --full adds redis_integration_test and
# events_integration_test (docs/sanitizers.md says why not the gRPC streams of notify's
# integration tests). Both builds also run
# sanitizer_canary_test (a defect of each kind the build looks for must end its process with a
# report), and TSan tsan_support_test (tools/sanitizers/: what makes abseil's locks and
# librdkafka's threads visible to TSan).
#
# Environment: FIREGRID_ASAN_BUILD_DIR (default build-asan/), FIREGRID_TSAN_BUILD_DIR (default
# build-tsan/), FIREGRID_SANITIZE_CCACHE_DIR (the sanitizer builds' own ccache, so that they do
# not evict the ordinary build's objects; default ~/.cache/ccache-firegrid-sanitize, 8 GB),
# FIREGRID_TEST_JOBS (default: the number of cores), FIREGRID_TEST_TIMEOUT (seconds per test,
# default 600). Exits 1 when a build or a test failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/lib/usage.sh
source "$ROOT/deploy/lib/usage.sh"
mode=short
asan=1
tsan=1
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    --short) mode=short ;;
    --full) mode=full ;;
    --e2e) mode=e2e ;;
    --asan-only) tsan=0 ;;
    --tsan-only) asan=0 ;;
    *) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument $arg" ;;
  esac
done
if [ "$asan" = 0 ] && [ "$tsan" = 0 ]; then
  fg_usage_error "${BASH_SOURCE[0]}" "--asan-only and --tsan-only exclude each other"
fi
if [ "$mode" = e2e ]; then
  # gRPC is not instrumented for TSan (docs/sanitizers.md): the e2e tests run under ASan only.
  if [ "$asan" = 0 ]; then fg_usage_error "${BASH_SOURCE[0]}" "--e2e runs ASan: not with --tsan-only"; fi
  tsan=0
fi

ASAN_DIR="${FIREGRID_ASAN_BUILD_DIR:-$ROOT/build-asan}"
TSAN_DIR="${FIREGRID_TSAN_BUILD_DIR:-$ROOT/build-tsan}"
JOBS="${FIREGRID_TEST_JOBS:-$(nproc)}"
TIMEOUT="${FIREGRID_TEST_TIMEOUT:-600}"
export CCACHE_DIR="${FIREGRID_SANITIZE_CCACHE_DIR:-$HOME/.cache/ccache-firegrid-sanitize}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-8G}"

# The unit test binaries of libs/.
ASAN_SHORT_TARGETS=(sanitizer_canary_test common_test auth_test redis_test events_test
  server_test input_interceptor_test runtime_test subjects_test accounts_test audit_test)
TSAN_TARGETS=(sanitizer_canary_test tsan_support_test redis_test events_test server_test
  input_interceptor_test runtime_test notify_fanout_test notify_stream_slots_test)
TSAN_FULL_TARGETS=(redis_integration_test events_integration_test)
# The gtest filter of the TSan run ("*": every test; a test left out is named here with why).
TSAN_GTEST_FILTER='*'

# configure DIR SANITIZERS
configure() {
  cmake -S "$ROOT" -B "$1" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
    -DCMAKE_C_FLAGS_DEBUG="-O1 -g1" -DFIREGRID_SANITIZE="$2" -DFIREGRID_BUILD_BENCH=OFF >/dev/null
}

# targets_under DIR SUBDIR... — the build targets (libraries, executables) defined under the
# SUBDIRs of the configured build DIR, as their Makefiles list them.
targets_under() {
  local dir="$1" sub makefile
  shift
  for sub in "$@"; do
    find "$dir/$sub" -name Makefile -not -path '*/CMakeFiles/*' | while read -r makefile; do
      make -s -C "$(dirname "$makefile")" help | sed -n 's/^\.\.\. \([A-Za-z0-9_+-]*\)$/\1/p'
    done
  done | grep -vxE 'all|clean|depend|edit_cache|rebuild_cache|test|install(/.*)?|list_install_components' |
    sort -u
}

# with_env FILE COMMAND... — runs COMMAND with the assignments of FILE exported.
# shellcheck disable=SC2317  # called through step
with_env() {
  local file="$1"
  shift
  (
    set -a
    # shellcheck disable=SC1090  # written by cmake/FiregridSanitize.cmake
    . "$file"
    set +a
    exec "$@"
  )
}

# step NAME COMMAND... — runs COMMAND, prints its time, and records a failure.
failed=0
step() {
  local name="$1" t=$SECONDS
  shift
  echo "sanitize: $name"
  if "$@"; then
    echo "sanitize: $name: ok in $((SECONDS - t))s"
  else
    echo "sanitize: $name: FAILED after $((SECONDS - t))s" >&2
    failed=1
    return 1
  fi
}

# run_binaries NAME DIR FILTER TARGET... — runs each test binary TARGET of the build DIR whole,
# in one process (a process per test costs ten times as long), with the settings CTest would
# give it (the build's firegrid_sanitizer.env) and the gtest FILTER ("*": every test).
run_binaries() {
  local name="$1" dir="$2" filter="$3" t bin
  shift 3
  for t in "$@"; do
    bin="$(find "$dir" -name "$t" -type f -perm -u+x | head -1)"
    step "$name $t" with_env "$dir/firegrid_sanitizer.env" timeout "$TIMEOUT" "$bin" \
      --gtest_brief=1 --gtest_filter="$filter" || true
  done
}

# no_reports_in DIR — fails, printing each report's file and first lines, when a log under DIR
# holds an ASan, LSan or UBSan report.
# shellcheck disable=SC2317  # called through step
no_reports_in() {
  local files n
  files="$(grep -rlE 'ERROR: (Address|Leak)Sanitizer|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$1" || true)"
  n="$(find "$1" -type f | wc -l)"
  if [ -n "$files" ]; then
    while read -r f; do
      echo "sanitizer report in $f:"
      grep -m5 -E 'Sanitizer|runtime error:' "$f"
    done <<<"$files"
    return 1
  fi
  echo "sanitize: searched $n files"
}

start=$SECONDS
if [ "$asan" = 1 ]; then
  configure "$ASAN_DIR" address,undefined
  if [ "$mode" = short ]; then
    asan_targets=("${ASAN_SHORT_TARGETS[@]}")
  elif [ "$mode" = e2e ]; then
    # The e2e test binaries (which depend on the services they start) and the two tools the
    # README's examples and the command-line conventions test run besides.
    mapfile -t asan_targets < <(targets_under "$ASAN_DIR" tests/e2e tests/security)
    asan_targets+=(firegrid-demo-loader firegrid-devicesim)
  else
    # Everything but the e2e test binaries (their services are built: some unit and
    # integration tests run them).
    mapfile -t asan_targets < <(targets_under "$ASAN_DIR" libs services tools protos tests/support \
      tests/integration tests/fuzz tests/faults tests/deploy tests/k8s)
  fi
  if step "ASan + UBSan build ($mode, ${#asan_targets[@]} targets, $ASAN_DIR)" \
    cmake --build "$ASAN_DIR" -j"$(nproc)" --target "${asan_targets[@]}"; then
    if [ "$mode" = short ]; then
      run_binaries "ASan + UBSan" "$ASAN_DIR" '*' "${asan_targets[@]}"
    elif [ "$mode" = e2e ]; then
      e2e_tmp="$(mktemp -d)"
      step "ASan + UBSan e2e tests (their services' logs in $e2e_tmp)" env TMPDIR="$e2e_tmp" \
        FIREGRID_KEEP_TMP=1 ctest --test-dir "$ASAN_DIR" -L e2e --output-on-failure \
        --no-tests=error -j"$JOBS" --timeout "$TIMEOUT" || true
      step "no sanitizer report in any service's log" no_reports_in "$e2e_tmp" || true
      if [ "$failed" = 0 ]; then rm -rf "$e2e_tmp"; fi
    else
      # The buf tests check protos/ with the buf CLI (tools/buf, from npm): no code of ours runs.
      step "ASan + UBSan tests (every unit and integration test)" ctest --test-dir "$ASAN_DIR" \
        -L 'unit|integration' -LE e2e -E '_NOT_BUILT$|^buf_' --output-on-failure --no-tests=error \
        -j"$JOBS" --timeout "$TIMEOUT" || true
    fi
  fi
fi
if [ "$tsan" = 1 ]; then
  configure "$TSAN_DIR" thread
  tsan_targets=("${TSAN_TARGETS[@]}")
  if [ "$mode" = full ]; then tsan_targets+=("${TSAN_FULL_TARGETS[@]}"); fi
  # Only these binaries are built in build-tsan/ (CTest would find the rest of the tree's tests
  # missing): each runs whole.
  if step "TSan build ($mode, ${#tsan_targets[@]} test binaries, $TSAN_DIR)" \
    cmake --build "$TSAN_DIR" -j"$(nproc)" --target "${tsan_targets[@]}"; then
    run_binaries TSan "$TSAN_DIR" "$TSAN_GTEST_FILTER" "${tsan_targets[@]}"
  fi
fi
echo "sanitize: $mode run done in $((SECONDS - start))s"
exit "$failed"
