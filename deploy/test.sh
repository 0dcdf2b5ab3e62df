#!/usr/bin/env bash
# THE test command: installs missing Debian packages, builds everything in build/ and runs every
# CTest test (labels unit, integration, e2e). Exits non-zero on any failure. Extra arguments go
# to ctest, e.g. `deploy/test.sh -L unit`.
#
#   deploy/test.sh [-h | --help] [CTEST ARGUMENTS...]
#
#   -h, --help  print this text and do nothing else
#
# Environment: FIREGRID_BUILD_DIR (default build/), FIREGRID_BUILD_TYPE (default
# RelWithDebInfo), FIREGRID_TEST_JOBS (default: the number of cores), FIREGRID_TEST_TIMEOUT
# (seconds per test, default 300).
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
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${FIREGRID_BUILD_DIR:-$ROOT/build}"
JOBS="${FIREGRID_TEST_JOBS:-$(nproc)}"

# shellcheck disable=SC2119  # no extra packages
firegrid_ensure_packages
cd "$ROOT"
start=$SECONDS
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${FIREGRID_BUILD_TYPE:-RelWithDebInfo}"
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "built in $((SECONDS - start))s"
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j"$JOBS" \
  --timeout "${FIREGRID_TEST_TIMEOUT:-300}" "$@"
