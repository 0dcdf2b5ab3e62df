# shellcheck shell=bash
# The local stack: where things live, which services exist, and starting and stopping
# processes by PID file. Sourced by deploy/run-local.sh and deploy/stop-local.sh.
# shellcheck disable=SC2034  # the variables are for the scripts that source this file

FIREGRID_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${FIREGRID_BUILD_DIR:-$FIREGRID_ROOT/build}"
STATE_DIR="${FIREGRID_STATE_DIR:-$FIREGRID_ROOT/.state}"
PID_DIR="$STATE_DIR/pids"
LOG_DIR="$STATE_DIR/logs"
REDIS_PORT="${FIREGRID_REDIS_PORT:-6380}"
DEV_KEY_FILE="$STATE_DIR/dev-jwt.key"
# The accounts service's RS256 signing key (RSA 2048, made by run-local on first start) and its
# public half, which every service verifies access tokens with.
ACCOUNTS_KEY_FILE="$STATE_DIR/accounts-signing-key.pem"
ACCOUNTS_PUBLIC_KEY_FILE="$STATE_DIR/accounts-signing-key.pub.pem"
# The demo console users' password (printed by run-local) and their TOTP secrets.
DEMO_PASSWORD="firegrid-demo-2026"
DEMO_USERS_FILE="$STATE_DIR/demo-users.txt"
BOOTSTRAP_FILE="$STATE_DIR/kafka.bootstrap"
FIREGRIDCTL="$BUILD_DIR/tools/firegridctl/firegridctl"
DEVBROKER="$BUILD_DIR/tools/devbroker/firegrid-devbroker"
DEMO_LOADER="$BUILD_DIR/tools/loaders/firegrid-demo-loader"
DEVICESIM="$BUILD_DIR/tools/devicesim/firegrid-devicesim"
# The MQTT broker of the monitoring service (mosquitto, deploy/lib/mosquitto.sh): its
# credentials and configuration live in MQTT_DIR; the port moves with FIREGRID_PORT_OFFSET.
MQTT_DIR="$STATE_DIR/mqtt"
MQTT_PORT="$((${FIREGRID_MQTT_PORT:-1883} + ${FIREGRID_PORT_OFFSET:-0}))"

# The services, one line each: name, gRPC port, metrics port, then any extra flags (besides
# the common ones: addresses, Redis, Kafka, the JWT key). Every service whose directory
# services/<name>/ exists is built and started (FIREGRID_RUN_SERVICES, a space-separated list
# of names, narrows that down); its binary is services/<name>/firegrid-<name> in the build
# tree, and config/<name>_rules.textproto, when present and not named by the extra flags, is
# passed as --rules-file. Adding a service is adding its line here.
FIREGRID_SERVICES=(
  "buildings 50051 9464 --rules-file=config/buildings_rules.textproto"
  "hazards   50052 9465 --rules-file=config/hazards_rules.textproto --guidance-file=config/hazards_guidance.textproto"
  # The push path: the dev broker holds an empty fetch for the whole fetch wait (a real Kafka
  # answers as soon as data arrives), so notify's consumer waits 5 ms instead of 20.
  "notify    50053 9466 --plan-file=config/plan_tasks.textproto --kafka-fetch-wait=5ms"
  "credit    50054 9467"
  "monitoring 50055 9468 --mqtt-username=monitoring --mqtt-share-group=monitoring"
  "accounts  50056 9469 --signing-key-file=$ACCOUNTS_KEY_FILE"
  # The HTTP gateway (console, JSON API, SSE, Open311): gRPC health only; its HTTP port moves
  # with FIREGRID_PORT_OFFSET too (GATEWAY_HTTP_PORT); run-local.sh adds the services' addresses.
  "gateway   50057 9470 --http-port=$((8080 + ${FIREGRID_PORT_OFFSET:-0})) --console-dir=console/dist --config-file=config/gateway.textproto --evidence-dir=$STATE_DIR/evidence --token-sign-in"
)
# The gateway's HTTP port: the console is http://127.0.0.1:$GATEWAY_HTTP_PORT/.
GATEWAY_HTTP_PORT="$((8080 + ${FIREGRID_PORT_OFFSET:-0}))"
# FIREGRID_PORT_OFFSET (default 0) moves every service's ports, so that a second stack (a test's)
# can run beside the first one.
if [ "${FIREGRID_PORT_OFFSET:-0}" != 0 ]; then
  for i in "${!FIREGRID_SERVICES[@]}"; do
    read -r name port metrics extra <<<"${FIREGRID_SERVICES[$i]}"
    FIREGRID_SERVICES[i]="$name $((port + FIREGRID_PORT_OFFSET)) $((metrics + FIREGRID_PORT_OFFSET)) ${extra:-}"
  done
  unset i name port metrics extra
fi

# name -> PID of the processes this shell started (fg_start), for fg_stop_all owned.
declare -A FG_OWNED=()

fg_service_binary() { echo "$BUILD_DIR/services/$1/firegrid-$1"; }
fg_service_exists() { [ -f "$FIREGRID_ROOT/services/$1/CMakeLists.txt" ]; }
# True when service $1 is to be built and started: its directory exists and, when
# FIREGRID_RUN_SERVICES is set, it is listed there.
fg_service_selected() {
  fg_service_exists "$1" || return 1
  [ -n "${FIREGRID_RUN_SERVICES:-}" ] || return 0
  case " $FIREGRID_RUN_SERVICES " in *" $1 "*) return 0 ;; esac
  return 1
}
# The gRPC port of service $1 (from FIREGRID_SERVICES).
fg_service_port() {
  local line name port
  for line in "${FIREGRID_SERVICES[@]}"; do
    read -r name port _ <<<"$line"
    if [ "$name" = "$1" ]; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

fg_log() { printf '%s\n' "$*"; }
fg_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# True when something accepts TCP connections on 127.0.0.1:$1.
fg_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The executable of a running process, without the " (deleted)" of a rebuilt binary.
fg_exe_of() {
  local exe
  exe="$(readlink "/proc/$1/exe" 2>/dev/null)" || return 1
  echo "${exe% (deleted)}"
}

# True when the PID file of $1 names a live process running the program it recorded.
# A PID file whose process is gone, or whose PID now belongs to another program, is stale.
fg_alive() {
  local file="$PID_DIR/$1.pid" pid exe
  [ -f "$file" ] || return 1
  read -r pid exe <"$file" || true
  [ -n "${pid:-}" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [ "$(fg_exe_of "$pid" || true)" = "$exe" ]
}

fg_pid() {
  local pid _
  read -r pid _ <"$PID_DIR/$1.pid"
  echo "$pid"
}

# fg_rotate_log FILE — keeps the previous logs of a restart: FILE.(N-1) becomes FILE.N, ...,
# FILE becomes FILE.1, where N is FIREGRID_LOG_KEEP (default 5; the oldest is dropped). FILE
# itself is then absent, so that waiting for a line in it sees only the new run's output.
fg_rotate_log() {
  local file="$1" keep="${FIREGRID_LOG_KEEP:-5}" i
  [ -e "$file" ] || return 0
  if [ "$keep" -lt 1 ]; then
    rm -f "$file"
    return 0
  fi
  for ((i = keep - 1; i >= 1; i--)); do
    if [ -e "$file.$i" ]; then mv -f "$file.$i" "$file.$((i + 1))"; fi
  done
  mv -f "$file" "$file.1"
}

# fg_start NAME LOGFILE PROGRAM ARGS... — starts PROGRAM in its own session (so a Ctrl-C in the
# terminal reaches only this script, which then stops everything in order), output to LOGFILE
# (the previous LOGFILE is kept, see fg_rotate_log), and records "PID PROGRAM" in
# .state/pids/NAME.pid.
fg_start() {
  local name="$1" log="$2" program
  shift 2
  program="$(readlink -f "$(command -v "$1")")"
  fg_rotate_log "$log"
  setsid "$@" >"$log" 2>&1 </dev/null &
  local pid=$! i
  echo "$pid $program" >"$PID_DIR/$name.pid"
  FG_OWNED[$name]=$pid
  # Until setsid has exec'd the program, /proc/PID/exe names setsid and fg_alive would say
  # "not running"; wait for the exec (or for an early exit, which callers then notice).
  for ((i = 0; i < 100; i++)); do
    if [ "$(fg_exe_of "$pid" || true)" = "$program" ] || ! kill -0 "$pid" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
}

# fg_stop NAME [SECONDS] — SIGTERM, then SIGKILL after SECONDS (default 20); removes the PID
# file. A stale PID file is just removed.
fg_stop() {
  local name="$1" seconds="${2:-20}" pid i
  if ! fg_alive "$name"; then
    rm -f "$PID_DIR/$name.pid"
    return 0
  fi
  pid="$(fg_pid "$name")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < seconds * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    fg_log "  $name did not stop within ${seconds}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # Reap it when it is our child (foreground mode); harmless otherwise.
  wait "$pid" 2>/dev/null || true
  rm -f "$PID_DIR/$name.pid"
  fg_log "  stopped $name"
}

# fg_stop_all [owned] — stops everything run-local.sh started: the device simulator, the
# services, then the MQTT broker and the Kafka broker, then Redis (which flushes its AOF on SIGTERM). With "owned", only what this shell
# started and is still recorded as such, so that an exiting run never stops a newer run's
# processes.
fg_stop_all() {
  local mode="${1:-all}" i line name
  [ -d "$PID_DIR" ] || return 0
  local names=(devicesim)
  for ((i = ${#FIREGRID_SERVICES[@]} - 1; i >= 0; i--)); do
    line="${FIREGRID_SERVICES[$i]}"
    names+=("${line%% *}")
  done
  names+=(mosquitto devbroker redis)
  for name in "${names[@]}"; do
    if [ "$mode" = owned ]; then
      if [ -z "${FG_OWNED[$name]:-}" ] || [ ! -f "$PID_DIR/$name.pid" ] ||
        [ "$(fg_pid "$name")" != "${FG_OWNED[$name]}" ]; then
        continue
      fi
    fi
    if [ "$name" = redis ]; then fg_stop "$name" 30; else fg_stop "$name"; fi
  done
}

# fg_wait_for_line NAME FILE PATTERN SECONDS — waits until FILE has a line matching PATTERN
# (grep -E) while NAME is alive; prints the line. Fails when NAME died or time ran out.
fg_wait_for_line() {
  local name="$1" file="$2" pattern="$3" seconds="$4" i line
  for ((i = 0; i < seconds * 10; i++)); do
    if line="$(grep -E -m1 -- "$pattern" "$file" 2>/dev/null)"; then
      echo "$line"
      return 0
    fi
    fg_alive "$name" || return 1
    sleep 0.1
  done
  return 1
}
