#!/usr/bin/env bash
# THE test command: installs missing Debian packages, builds everything in build/ and the
# console (console/dist, npm ci from the committed lock files), installs the pinned buf CLI
# (tools/buf: the buf_lint and buf_breaking tests of protos/), runs every CTest test (labels
# unit, integration, e2e), then the console's unit tests (console/test) and the browser suite
# (tests/browser: playwright-core driving chromium against a private demo stack) and a short
# run of every fuzz target (bench/fuzz.sh --short: clang, libFuzzer, ASan + UBSan, in
# build-fuzz/) and the short sanitizer run (deploy/sanitize.sh --short: the libs' unit tests
# under ASan + UBSan in build-asan/, the concurrent parts' tests under TSan in build-tsan/),
# each with its time. Exits non-zero on any failure. Extra
# arguments go to ctest, e.g. `deploy/test.sh -L unit`; such a narrowed run leaves out the
# browser, fuzz and sanitizer suites unless FIREGRID_BROWSER_TESTS=1 / FIREGRID_FUZZ_TESTS=1 /
# FIREGRID_SANITIZE_TESTS=1 (CI=true always runs them).
#
#   deploy/test.sh [-h | --help] [CTEST ARGUMENTS...]
#
#   -h, --help  print this text and do nothing else
#
# Environment: FIREGRID_BUILD_DIR (default build/), FIREGRID_BUILD_TYPE (default
# RelWithDebInfo), FIREGRID_TEST_JOBS (default: the number of cores), FIREGRID_TEST_TIMEOUT
# (seconds per test, default 300), FIREGRID_BROWSER_TESTS (0: leave out the browser suite, 1: run
# it even with ctest arguments; ignored when CI=true, which always runs it), FIREGRID_FUZZ_TESTS
# (the same for the short fuzz runs), FIREGRID_SANITIZE_TESTS (the same for the sanitizer run).
set -euo pipefail

# shellcheck source=deploy/lib/usage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/usage.sh"
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
  esac
done

# shellcheck source=deploy/lib/packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/packages.sh"
# shellcheck source=deploy/lib/web.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/web.sh"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${FIREGRID_BUILD_DIR:-$ROOT/build}"
JOBS="${FIREGRID_TEST_JOBS:-$(nproc)}"

# shellcheck disable=SC2119  # no extra packages
firegrid_ensure_packages
cd "$ROOT"
start=$SECONDS
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${FIREGRID_BUILD_TYPE:-RelWithDebInfo}"
cmake --build "$BUILD_DIR" -j"$(nproc)"
BROWSER=0
if fg_browser_suite_wanted "$@"; then BROWSER=1; fi
FUZZ=0
if [ "${CI:-}" = true ] || [ "${FIREGRID_FUZZ_TESTS:-}" = 1 ] ||
  { [ "$#" -eq 0 ] && [ "${FIREGRID_FUZZ_TESTS:-}" != 0 ]; }; then
  FUZZ=1
fi
fg_web_setup buf
SANITIZE=0
if [ "${CI:-}" = true ] || [ "${FIREGRID_SANITIZE_TESTS:-}" = 1 ] ||
  { [ "$#" -eq 0 ] && [ "${FIREGRID_SANITIZE_TESTS:-}" != 0 ]; }; then
  SANITIZE=1
fi
if [ "$BROWSER" = 1 ]; then fg_web_setup console browser-tests; fi
echo "built in $((SECONDS - start))s"
status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j"$JOBS" \
  --timeout "${FIREGRID_TEST_TIMEOUT:-300}" "$@" || status=$?
if [ "$BROWSER" = 1 ]; then
  fg_console_tests || status=1
  fg_browser_suite "$BUILD_DIR" || status=1
fi
if [ "$FUZZ" = 1 ]; then
  fuzz_start=$SECONDS
  echo "fuzz suite: bench/fuzz.sh --short (every target a few seconds)"
  bash "$ROOT/bench/fuzz.sh" --short || status=1
  echo "fuzz suite: $((SECONDS - fuzz_start))s"
fi
if [ "$SANITIZE" = 1 ]; then
  sanitize_start=$SECONDS
  echo "sanitizer suite: deploy/sanitize.sh --short (libs under ASan + UBSan, concurrent parts under TSan)"
  bash "$ROOT/deploy/sanitize.sh" --short || status=1
  echo "sanitizer suite: $((SECONDS - sanitize_start))s"
fi
exit "$status"
