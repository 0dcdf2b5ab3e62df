#!/usr/bin/env bash
# The deploy/ scripts' command-line contract: `--help` and `-h` print the usage and have no
# effect (stop-local.sh --help leaves a running stack running, run-local.sh --help creates no
# state, test.sh --help builds nothing); an unknown argument exits 2 with the usage on stderr;
# a restart keeps the previous log (rotated to <name>.log.1) instead of truncating it.
# Everything runs in a temporary state directory with `sleep` processes standing in for the
# stack; they are stopped by PID at the end.
#
#   tests/deploy/scripts_test.sh [REPO_ROOT]
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TMP="$(mktemp -d)"
FAKE_PIDS=()
cleanup() {
  local pid
  for pid in "${FAKE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
failures=0
fail() {
  echo "FAIL [$1]: $2"
  failures=$((failures + 1))
}

# A fake stack: one `sleep` per name with a PID file as deploy/lib/stack.sh writes it.
STATE="$TMP/state"
mkdir -p "$STATE/pids"
start_fake_stack() {
  local name pid
  FAKE_PIDS=()
  for name in devicesim buildings mosquitto devbroker redis; do
    sleep 600 &
    pid=$!
    FAKE_PIDS+=("$pid")
    echo "$pid $(readlink -f "$(command -v sleep)")" >"$STATE/pids/$name.pid"
  done
}
all_alive() {
  local pid
  for pid in "${FAKE_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
  [ "$(find "$STATE/pids" -name '*.pid' | wc -l)" -eq 5 ]
}
none_alive() {
  local pid
  for pid in "${FAKE_PIDS[@]}"; do
    # A stopped child stays a zombie until reaped: reap it, then it is gone.
    wait "$pid" 2>/dev/null || true
    if kill -0 "$pid" 2>/dev/null; then return 1; fi
  done
}

# run NAME EXPECTED_STATUS SCRIPT ARGS... — runs a deploy script with the temp state and build
# directories; its stdout and stderr go to $TMP/NAME.out and $TMP/NAME.err.
run() {
  local name="$1" want="$2" status=0
  shift 2
  FIREGRID_STATE_DIR="$STATE" FIREGRID_BUILD_DIR="$TMP/build" timeout 60 "$@" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null || status=$?
  if [ "$status" -ne "$want" ]; then
    fail "$name" "exit status $status, want $want; stderr: $(head -c 300 "$TMP/$name.err")"
  fi
}

start_fake_stack
all_alive || fail setup "the fake stack did not start"

for script in stop-local.sh run-local.sh test.sh sanitize.sh mqtt-credentials.sh build-images.sh \
  k8s-copy-kafka-secrets.sh; do
  for flag in --help -h; do
    name="${script%.sh}$flag"
    run "$name" 0 bash "$ROOT/deploy/$script" "$flag"
    grep -q "deploy/$script" "$TMP/$name.out" || fail "$name" "the usage does not name the script"
    all_alive || fail "$name" "the running stack was touched"
  done
done
[ ! -e "$TMP/build" ] || fail "test--help" "a build directory was created"
[ "$(ls -A "$STATE")" = pids ] || fail "run-local--help" "state was created: $(ls -A "$STATE")"

for script in stop-local.sh run-local.sh mqtt-credentials.sh sanitize.sh; do
  name="${script%.sh}-unknown"
  run "$name" 2 bash "$ROOT/deploy/$script" --no-such-flag
  grep -q "unknown argument --no-such-flag" "$TMP/$name.err" ||
    fail "$name" "the error does not name the argument"
  grep -q "deploy/$script" "$TMP/$name.err" || fail "$name" "no usage on stderr"
  all_alive || fail "$name" "the running stack was touched"
done

# Without arguments stop-local.sh does stop the stack, the device simulator and the MQTT broker
# included (the checks above can fail).
run stop-local 0 bash "$ROOT/deploy/stop-local.sh"
none_alive || fail stop-local "the fake stack is still running"
[ -z "$(ls -A "$STATE/pids")" ] || fail stop-local "PID files are left: $(ls -A "$STATE/pids")"

# A restart keeps the previous log: fg_start rotates NAME.log to NAME.log.1 (and so on, up to
# FIREGRID_LOG_KEEP) before the new process writes.
(
  export FIREGRID_STATE_DIR="$STATE" FIREGRID_LOG_KEEP=2
  # shellcheck source=deploy/lib/stack.sh
  source "$ROOT/deploy/lib/stack.sh"
  mkdir -p "$LOG_DIR"
  for run_number in 1 2 3; do
    fg_start demo "$LOG_DIR/demo.log" bash -c "echo run $run_number"
    wait "${FG_OWNED[demo]}"
  done
  [ "$(cat "$LOG_DIR/demo.log")" = "run 3" ] || echo "FAIL [logs]: demo.log: $(cat "$LOG_DIR/demo.log")"
  [ "$(cat "$LOG_DIR/demo.log.1" 2>/dev/null)" = "run 2" ] || echo "FAIL [logs]: demo.log.1 is not run 2"
  [ "$(cat "$LOG_DIR/demo.log.2" 2>/dev/null)" = "run 1" ] || echo "FAIL [logs]: demo.log.2 is not run 1"
  [ ! -e "$LOG_DIR/demo.log.3" ] || echo "FAIL [logs]: more than FIREGRID_LOG_KEEP old logs kept"
) >"$TMP/logs.out" 2>&1 || fail logs "the rotation check failed: $(cat "$TMP/logs.out")"
if grep -q FAIL "$TMP/logs.out"; then
  cat "$TMP/logs.out"
  failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "deploy scripts: --help has no effect, unknown arguments exit 2, restarts keep the logs"
