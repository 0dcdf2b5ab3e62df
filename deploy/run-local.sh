#!/usr/bin/env bash
# Runs firegrid on this machine: installs missing Debian packages, builds, starts Redis
# (127.0.0.1:6380, AOF, data in .state/redis), the development Kafka broker, for the monitoring
# service an MQTT broker (mosquitto on 127.0.0.1:1883, a user and ACL entry per demo gateway,
# see deploy/mqtt-credentials.sh; data and credentials in .state/mqtt), and every service that
# exists (buildings, hazards, notify, credit, monitoring, accounts, gateway; one whose binary target is
# not there yet is left out), loads the Beibei demo data (buildings, then
# hazards in every state of their lifecycle, whose events notify pushes to the departments and
# communities; the demo console users with password + TOTP, secrets in .state/demo-users.txt),
# prints where everything listens, then waits; Ctrl-C stops it all. With the
# gateway, the console is built into console/dist (npm ci from its lock file; deploy/lib/web.sh)
# and each Open311 channel of config/gateway.textproto gets a random API key, kept in
# .state/open311-api-keys (the gateway's config with their SHA-256: .state/gateway.textproto).
#
#   deploy/run-local.sh [--detach] [--skip-build] [--no-demo]
#
#   --detach      start everything and return; stop later with deploy/stop-local.sh
#   --skip-build  use the binaries already in the build directory
#   --no-demo     do not run the demo loader
#   -h, --help    print this text and do nothing else
#
# Environment: FIREGRID_BUILD_DIR (default build/), FIREGRID_STATE_DIR (default .state/),
# FIREGRID_REDIS_PORT (default 6380), FIREGRID_BUILD_TYPE (default RelWithDebInfo),
# FIREGRID_RUN_SERVICES (e.g. "buildings hazards notify"; default every service under services/),
# FIREGRID_MQTT_PORT (default 1883), FIREGRID_PORT_OFFSET (added to every service's ports and
# the MQTT port; default 0).
# A second run stops what the first one started, then starts afresh; Redis data survives and
# the demo loader changes nothing it already loaded. Logs go to .state/logs/<name>.log; a
# restart keeps the previous ones as <name>.log.1 ... <name>.log.N (FIREGRID_LOG_KEEP, default
# 5). Exit status: 2 for a wrong argument.
set -euo pipefail

# shellcheck source=deploy/lib/usage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/usage.sh"
# shellcheck source=deploy/lib/packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/packages.sh"
# shellcheck source=deploy/lib/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stack.sh"
# shellcheck source=deploy/lib/mosquitto.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/mosquitto.sh"
# shellcheck source=deploy/lib/web.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/web.sh"

DETACH=0
BUILD=1
DEMO=1
for arg in "$@"; do
  case "$arg" in
    --detach) DETACH=1 ;;
    --skip-build) BUILD=0 ;;
    --no-demo) DEMO=0 ;;
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument $arg" ;;
  esac
done

cd "$FIREGRID_ROOT"

# ----- packages and build
# shellcheck disable=SC2119  # no extra packages
firegrid_ensure_packages

SERVICES=()  # "name grpc-port metrics-port extra-flags..." of the services that exist
for line in "${FIREGRID_SERVICES[@]}"; do
  read -r name _ <<<"$line"
  if fg_service_selected "$name"; then SERVICES+=("$line"); fi
done
[ "${#SERVICES[@]}" -gt 0 ] ||
  fg_die "no service to run (services/ has none${FIREGRID_RUN_SERVICES:+ of: $FIREGRID_RUN_SERVICES})"
# True when service $1 is among those this run starts.
fg_running_service() {
  local line
  for line in "${SERVICES[@]}"; do
    if [ "${line%% *}" = "$1" ]; then return 0; fi
  done
  return 1
}

if [ "$BUILD" = 1 ]; then
  cmake -S "$FIREGRID_ROOT" -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE="${FIREGRID_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
fi
# A service whose directory exists but that has no binary target yet (one being written) is
# left out rather than failing the build or the start.
if [ -f "$BUILD_DIR/CMakeCache.txt" ]; then
  known_targets="$(cmake --build "$BUILD_DIR" --target help | sed -n 's/^\.\.\. \([^ ]*\).*/\1/p')"
  kept=()
  for line in "${SERVICES[@]}"; do
    read -r name _ <<<"$line"
    if grep -qx "firegrid-$name" <<<"$known_targets"; then
      kept+=("$line")
    else
      fg_log "$name: no target firegrid-$name to build yet; not started"
    fi
  done
  [ "${#kept[@]}" -gt 0 ] || fg_die "no service to run (none has a binary target yet)"
  SERVICES=("${kept[@]}")
fi
if [ "$BUILD" = 1 ]; then
  targets=(firegridctl firegrid-devbroker firegrid-demo-loader)
  for line in "${SERVICES[@]}"; do
    read -r name _ <<<"$line"
    targets+=("firegrid-$name")
  done
  if fg_running_service monitoring; then targets+=(firegrid-devicesim); fi
  fg_log "building ${targets[*]} in $BUILD_DIR"
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}"
  # The console the gateway serves (console/dist).
  if fg_running_service gateway; then fg_web_setup console || fg_die "the console did not build"; fi
fi
for bin in "$FIREGRIDCTL" "$DEVBROKER"; do
  [ -x "$bin" ] || fg_die "$bin is missing; run without --skip-build"
done

# ----- state
mkdir -p "$STATE_DIR/redis" "$PID_DIR" "$LOG_DIR"
if [ -n "$(ls -A "$PID_DIR" 2>/dev/null)" ]; then
  fg_log "stopping what a previous run started"
  fg_stop_all all
fi
if [ ! -s "$DEV_KEY_FILE" ]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DEV_KEY_FILE")
  fg_log "created the development JWT key $DEV_KEY_FILE"
fi
chmod 600 "$DEV_KEY_FILE"
# The accounts service signs access tokens with this RSA key; every service verifies them with
# its public half (beside the development HS256 key).
if fg_running_service accounts && [ ! -s "$ACCOUNTS_KEY_FILE" ]; then
  (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$ACCOUNTS_KEY_FILE" 2>/dev/null) || fg_die "openssl could not create $ACCOUNTS_KEY_FILE"
  rm -f "$ACCOUNTS_PUBLIC_KEY_FILE"
  fg_log "created the accounts signing key $ACCOUNTS_KEY_FILE"
fi
if [ -s "$ACCOUNTS_KEY_FILE" ] && [ ! -s "$ACCOUNTS_PUBLIC_KEY_FILE" ]; then
  openssl pkey -in "$ACCOUNTS_KEY_FILE" -pubout -out "$ACCOUNTS_PUBLIC_KEY_FILE" 2>/dev/null ||
    fg_die "openssl could not write $ACCOUNTS_PUBLIC_KEY_FILE"
fi
# The credit service hashes person ids into subject ids with this key: keep it with the data.
PERSON_KEY_FILE="$STATE_DIR/dev-person-key"
if [ ! -s "$PERSON_KEY_FILE" ]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PERSON_KEY_FILE")
fi

STARTED=0
# shellcheck disable=SC2317  # called by the EXIT trap
on_exit() {
  local code=$?
  if [ "$STARTED" = 1 ] && [ "$DETACH" = 1 ]; then exit "$code"; fi
  trap - INT TERM HUP
  fg_log "stopping firegrid"
  fg_stop_all owned
  exit "$code"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ----- Redis
if fg_port_in_use "$REDIS_PORT"; then
  fg_die "127.0.0.1:$REDIS_PORT is in use by another program (FIREGRID_REDIS_PORT picks another)"
fi
# A write torn by a crash of the last run is cut off whole (deploy/redis-repair-aof.sh says why).
sh "$FIREGRID_ROOT/deploy/redis-repair-aof.sh" "$STATE_DIR/redis" ||
  fg_die "deploy/redis-repair-aof.sh could not check the AOF in $STATE_DIR/redis"
fg_start redis "$LOG_DIR/redis.log" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
  --dir "$STATE_DIR/redis" --appendonly yes --appendfsync everysec --aof-timestamp-enabled yes \
  --daemonize no --protected-mode yes --logfile ""
for ((i = 0; ; i++)); do
  if [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null || true)" = PONG ]; then break; fi
  if ! fg_alive redis || [ "$i" -ge 300 ]; then
    tail -n 20 "$LOG_DIR/redis.log" >&2 || true
    fg_die "redis-server did not start (log: $LOG_DIR/redis.log)"
  fi
  sleep 0.1
done
fg_log "redis     127.0.0.1:$REDIS_PORT (AOF on, data in $STATE_DIR/redis)"

# ----- development Kafka broker
rm -f "$BOOTSTRAP_FILE"
fg_start devbroker "$LOG_DIR/devbroker.log" "$DEVBROKER" --bootstrap-file="$BOOTSTRAP_FILE"
if ! fg_wait_for_line devbroker "$LOG_DIR/devbroker.log" '^devbroker bootstrap=' 30 >/dev/null ||
  [ ! -s "$BOOTSTRAP_FILE" ]; then
  tail -n 20 "$LOG_DIR/devbroker.log" >&2 || true
  fg_die "firegrid-devbroker did not start (log: $LOG_DIR/devbroker.log)"
fi
BOOTSTRAP="$(tr -d '\n' <"$BOOTSTRAP_FILE")"
fg_log "kafka     $BOOTSTRAP (development broker, in memory)"

# ----- the MQTT broker of the monitoring service (mosquitto, deploy/lib/mosquitto.sh): a user
# with its own password and an ACL entry per gateway of the demo fleet (the device simulator
# lists them), the service's user "monitoring"; data and credentials in .state/mqtt.
if fg_running_service monitoring; then
  if fg_port_in_use "$MQTT_PORT"; then
    fg_die "127.0.0.1:$MQTT_PORT (mosquitto) is in use by another program (FIREGRID_MQTT_PORT picks another)"
  fi
  clients=()
  if [ -x "$DEVICESIM" ]; then
    "$DEVICESIM" --demo --print-clients >"$STATE_DIR/mqtt-clients" ||
      fg_die "firegrid-devicesim --demo --print-clients failed"
    clients=(--clients-file "$STATE_DIR/mqtt-clients")
  fi
  "$FIREGRID_ROOT/deploy/mqtt-credentials.sh" "$MQTT_DIR" "${clients[@]}" >/dev/null
  fg_mosquitto_prepare "$MQTT_DIR" "$MQTT_PORT"
  fg_start mosquitto "$LOG_DIR/mosquitto.log" /usr/sbin/mosquitto -c "$MQTT_DIR/mosquitto.conf"
  for ((i = 0; ; i++)); do
    if fg_port_in_use "$MQTT_PORT"; then break; fi
    if ! fg_alive mosquitto || [ "$i" -ge 100 ]; then
      tail -n 20 "$LOG_DIR/mosquitto.log" >&2 || true
      fg_die "mosquitto did not start (log: $LOG_DIR/mosquitto.log)"
    fi
    sleep 0.1
  done
  fg_log "mqtt      127.0.0.1:$MQTT_PORT (mosquitto; credentials and ACL in $MQTT_DIR)"
fi

# ----- services
for line in "${SERVICES[@]}"; do
  read -r name grpc_port metrics_port extra <<<"$line"
  bin="$(fg_service_binary "$name")"
  [ -x "$bin" ] || fg_die "$bin is missing; run without --skip-build"
  for port in "$grpc_port" "$metrics_port"; do
    if fg_port_in_use "$port"; then fg_die "127.0.0.1:$port ($name) is in use by another program"; fi
  done
  flags=(--grpc-address="127.0.0.1:$grpc_port" --metrics-address="127.0.0.1:$metrics_port"
    --redis-addr="127.0.0.1:$REDIS_PORT" --kafka-bootstrap="$BOOTSTRAP"
    --jwt-hs256-key-file="$DEV_KEY_FILE" --jwt-allow-hs256)
  if [ -s "$ACCOUNTS_PUBLIC_KEY_FILE" ]; then
    flags+=(--jwt-rs256-public-key-file="$ACCOUNTS_PUBLIC_KEY_FILE")
  fi
  if [ -f "config/${name}_rules.textproto" ] && [[ " ${extra:-} " != *" --rules-file="* ]]; then
    flags+=(--rules-file="config/${name}_rules.textproto")
  fi
  if [ "$name" = credit ]; then flags+=(--person-key-file="$PERSON_KEY_FILE"); fi
  if [ "$name" = monitoring ]; then
    flags+=(--mqtt-host=127.0.0.1 --mqtt-port="$MQTT_PORT"
      --mqtt-password-file="$MQTT_DIR/passwords/monitoring" --mqtt-client-id=monitoring-local
      --hazards-addr="127.0.0.1:$(fg_service_port hazards)"
      --notify-addr="127.0.0.1:$(fg_service_port notify)")
  fi
  if [ "$name" = gateway ]; then
    if fg_port_in_use "$GATEWAY_HTTP_PORT"; then
      fg_die "127.0.0.1:$GATEWAY_HTTP_PORT (gateway HTTP) is in use by another program"
    fi
    flags+=(--http-address=127.0.0.1)
    for svc in buildings hazards notify credit monitoring accounts; do
      if svc_port="$(fg_service_port "$svc")"; then flags+=("--$svc-addr=127.0.0.1:$svc_port"); fi
    done
  fi
  # shellcheck disable=SC2206  # extra flags are words by design
  [ -z "${extra:-}" ] || flags+=($extra)
  # The gateway's config with the Open311 demo channels' keys (in $STATE_DIR/open311-api-keys).
  if [ "$name" = gateway ]; then
    gateway_config="$(fg_open311_demo_config "$STATE_DIR")" ||
      fg_die "cannot write the gateway's configuration"
    flags+=(--config-file="$gateway_config")
  fi
  fg_start "$name" "$LOG_DIR/$name.log" "$bin" "${flags[@]}"
done
for line in "${SERVICES[@]}"; do
  read -r name grpc_port metrics_port _ <<<"$line"
  if ! fg_wait_for_line "$name" "$LOG_DIR/$name.log" '"msg":"listening"' 60 >/dev/null; then
    tail -n 20 "$LOG_DIR/$name.log" >&2 || true
    fg_die "firegrid-$name did not start (log: $LOG_DIR/$name.log)"
  fi
  for ((i = 0; ; i++)); do
    if "$FIREGRIDCTL" health --addr "127.0.0.1:$grpc_port" --timeout 2s >/dev/null 2>&1; then break; fi
    if ! fg_alive "$name" || [ "$i" -ge 120 ]; then
      "$FIREGRIDCTL" health --addr "127.0.0.1:$grpc_port" --timeout 2s >&2 || true
      tail -n 20 "$LOG_DIR/$name.log" >&2 || true
      fg_die "firegrid-$name is not healthy (log: $LOG_DIR/$name.log)"
    fi
    sleep 0.5
  done
  fg_log "$(printf '%-9s' "$name") grpc 127.0.0.1:$grpc_port  metrics http://127.0.0.1:$metrics_port/metrics  (healthy)"
done

# ----- demo data and a token to try it with
TOKEN_FILE="$STATE_DIR/dev-token"
TRIGGER_DIR="$STATE_DIR/devicesim-triggers"
if fg_alive buildings; then
  if [ "$DEMO" = 1 ]; then
    [ -x "$DEMO_LOADER" ] || fg_die "$DEMO_LOADER is missing; run without --skip-build"
    # The loader mints its own tokens (a district_admin for the buildings, one per role for the
    # hazards); a FIREGRID_TOKEN in the caller's environment (perhaps expired) must not
    # override that. The hazards are loaded when the hazards service runs.
    hazards_addr=""
    if fg_alive hazards; then hazards_addr="127.0.0.1:$(fg_service_port hazards)"; fi
    credit_addr=""
    if fg_alive credit; then credit_addr="127.0.0.1:$(fg_service_port credit)"; fi
    monitoring_addr=""
    if fg_alive monitoring; then monitoring_addr="127.0.0.1:$(fg_service_port monitoring)"; fi
    fg_rotate_log "$LOG_DIR/demo-loader.log"
    env -u FIREGRID_TOKEN "$DEMO_LOADER" --addr="127.0.0.1:$(fg_service_port buildings)" \
      --hazards-addr="$hazards_addr" --credit-addr="$credit_addr" \
      --monitoring-addr="$monitoring_addr" --key-file="$DEV_KEY_FILE" |
      tee "$LOG_DIR/demo-loader.log"
    # The demo fleet's devices report over MQTT: heartbeats, drifting values, a fault now and
    # then, a lasting low hydrant pressure (it becomes a hazard after 10 min) and a fire alarm
    # at once (it reaches the micro fire stations), then one every 15 min or so.
    if fg_alive monitoring && fg_alive mosquitto && [ -x "$DEVICESIM" ]; then
      mkdir -p "$TRIGGER_DIR"
      fg_start devicesim "$LOG_DIR/devicesim.log" "$DEVICESIM" --demo \
        --credentials-dir="$MQTT_DIR" --mqtt-port="$MQTT_PORT" --trigger-dir="$TRIGGER_DIR" \
        --low-pressure=bb0002-hyd --fire-alarm=bb0001-fap --fire-alarm-every=15m --seed="$RANDOM"
      if ! fg_wait_for_line devicesim "$LOG_DIR/devicesim.log" '"msg":"devicesim connected"' 30 \
        >/dev/null; then
        tail -n 20 "$LOG_DIR/devicesim.log" >&2 || true
        fg_die "firegrid-devicesim did not connect (log: $LOG_DIR/devicesim.log)"
      fi
      fg_log "devicesim the demo fleet publishes to 127.0.0.1:$MQTT_PORT (log: $LOG_DIR/devicesim.log)"
    fi
  fi
fi
(umask 077 && "$FIREGRIDCTL" token --role district_admin --tier-path 500109 --org-unit 500109 \
  --subject dev-admin --ttl 12h --key-file "$DEV_KEY_FILE" >"$TOKEN_FILE")

# Notify pushes to people: tokens for the urban management department's officer (the lead of the
# fire-access hazards) and for the grid worker of a community that has hazards.
DEPT_TOKEN_FILE="$STATE_DIR/dev-token-urban_management"
COMMUNITY_TOKEN_FILE="$STATE_DIR/dev-token-community"
community=""
if fg_alive notify; then
  (umask 077 && "$FIREGRIDCTL" token --role department_officer --tier-path 500109 \
    --org-unit 500109.urban_management --department urban_management \
    --subject dept-urban_management --ttl 12h --key-file "$DEV_KEY_FILE" >"$DEPT_TOKEN_FILE")
  if fg_alive hazards; then
    # The community of an assigned hazard (its tier path), else the first demo community.
    community="$(FIREGRID_TOKEN_FILE="$TOKEN_FILE" \
      FIREGRID_HAZARDS_ADDR="127.0.0.1:$(fg_service_port hazards)" "$FIREGRIDCTL" hazards list \
      --status assigned --page-size 1 --output json 2>/dev/null |
      sed -n 's/^ *"tier_path": "\([0-9]\{12\}\)".*/\1/p' | head -n 1)" || true
  fi
  community="${community:-500109001001}"
  (umask 077 && "$FIREGRIDCTL" token --role community_worker --tier-path "$community" \
    --org-unit "$community" --subject "grid-$community" --ttl 12h --key-file "$DEV_KEY_FILE" \
    >"$COMMUNITY_TOKEN_FILE")
fi

# The demo console users (one per role of the tokens above), signed in with the demo password
# and a TOTP code; their secrets go to $DEMO_USERS_FILE.
if [ "$DEMO" = 1 ] && fg_alive accounts; then
  [ -x "$DEMO_LOADER" ] || fg_die "$DEMO_LOADER is missing; run without --skip-build"
  (umask 077 && : >"$DEMO_USERS_FILE")
  env -u FIREGRID_TOKEN "$DEMO_LOADER" --only-accounts \
    --accounts-addr="127.0.0.1:$(fg_service_port accounts)" --key-file="$DEV_KEY_FILE" \
    --community="${community:-500109001001}" --demo-password="$DEMO_PASSWORD" \
    --users-file="$DEMO_USERS_FILE" | tee -a "$LOG_DIR/demo-loader.log"
fi

STARTED=1
CTL="${FIREGRIDCTL#"$FIREGRID_ROOT"/}"
example_id=""
if fg_alive buildings; then
  example_id="$(FIREGRID_TOKEN_FILE="$TOKEN_FILE" \
    FIREGRID_ADDR="127.0.0.1:$(fg_service_port buildings)" "$CTL" buildings list --tier 500109002 \
    --page-size 1 2>/dev/null | awk 'NR == 2 { print $1 }')" || true
fi
hazard_id=""
if fg_alive hazards; then
  hazard_id="$(FIREGRID_TOKEN_FILE="$TOKEN_FILE" \
    FIREGRID_HAZARDS_ADDR="127.0.0.1:$(fg_service_port hazards)" "$CTL" hazards list \
    --status assigned --page-size 1 2>/dev/null | awk 'NR == 2 { print $1 }')" || true
fi
cat <<MSG

firegrid is running. Logs: ${LOG_DIR#"$FIREGRID_ROOT"/}/, PIDs: ${PID_DIR#"$FIREGRID_ROOT"/}/.
Try it (a district_admin token for 北碚区 500109, valid 12 h, is in ${TOKEN_FILE#"$FIREGRID_ROOT"/}):

  export FIREGRID_TOKEN_FILE=$TOKEN_FILE
  alias firegridctl=$FIREGRIDCTL
MSG
if fg_alive buildings; then
  cat <<MSG
  firegridctl orgunits list --kind street
  firegridctl buildings list --tier 500109002 --class super_high_rise
  firegridctl buildings list --incomplete --page-size 10
  firegridctl ledger --tier 500109001
  firegridctl buildings get ${example_id:-<building id>}
  firegridctl nearby ${example_id:-<building id>} --kind station
  firegridctl call firegrid.buildings.v1.BuildingService/GetLedger '{"tier_path": "500109"}'
MSG
fi
if fg_alive hazards; then
  cat <<MSG
  firegridctl hazards list
  firegridctl hazards list --status submitted --department fire_rescue
  firegridctl hazards get ${hazard_id:-<hazard id>}
  firegridctl hazards stats
  firegridctl hazards stats --tier 500109001
  firegridctl hazards guidance
  firegridctl hazards guidance evacuation_blocked
MSG
fi
if fg_alive notify; then
  cat <<MSG

  # Notifications (隐患推送): the urban management officer's and community $community's grid
  # worker's inboxes and live pushes (tokens valid 12 h; watch ends with Ctrl-C)
  firegridctl inbox --token-file $DEPT_TOKEN_FILE
  firegridctl watch --token-file $DEPT_TOKEN_FILE
  firegridctl inbox --unread --token-file $COMMUNITY_TOKEN_FILE
  firegridctl watch --token-file $COMMUNITY_TOKEN_FILE --output json
  firegridctl inbox ack <notification id> --note 已安排核查 --token-file $COMMUNITY_TOKEN_FILE
  firegridctl plan list --department fire_rescue
  firegridctl plan overview
MSG
fi
if fg_alive credit; then
  cat <<MSG

  # Credit (信用评价): the blacklisted demo agency, rankings, the blacklist, the export
  firegridctl credit profile 91500109MA5UAX004F
  firegridctl credit ledger 91500109MA5UAX004F
  firegridctl credit ranking --type service_agency --tier 500109 --worst
  firegridctl credit blacklist list
  firegridctl credit export --format csv
  firegridctl credit rules
MSG
fi
if fg_alive monitoring; then
  cat <<MSG

  # Monitoring (物联监测): the demo fleet's devices and live alarms; a fire alarm or a fault on
  # demand (the simulator picks up a file named after the device)
  firegridctl monitoring devices list --tier 500109 --page-size 20
  firegridctl monitoring devices get bb0002-hyd
  firegridctl monitoring alarms list
  firegridctl monitoring alarms count --tier 500109
  echo fire_alarm > ${TRIGGER_DIR#"$FIREGRID_ROOT"/}/bb0003-smoke
  echo low_pressure > ${TRIGGER_DIR#"$FIREGRID_ROOT"/}/bb0004-spr
MSG
fi
if fg_alive accounts && [ -s "$DEMO_USERS_FILE" ]; then
  cat <<MSG

  # Console users (账号): password $DEMO_PASSWORD plus a TOTP code; the users and their
  # secrets are in ${DEMO_USERS_FILE#"$FIREGRID_ROOT"/} (district, worker.${community:-500109001001}, dept.urban_management, ...)
  firegridctl accounts totp-code --secret \$(awk '\$1 == "district" { print \$4 }' $DEMO_USERS_FILE)
  firegridctl accounts list
MSG
fi
if fg_alive gateway; then
  cat <<MSG

  # The web console (sign in as a console user above, or with a token: paste the content of ${TOKEN_FILE#"$FIREGRID_ROOT"/})
  console: http://127.0.0.1:$GATEWAY_HTTP_PORT/
MSG
fi
echo
if [ "$DETACH" = 1 ]; then
  echo "Running in the background. Stop it with: deploy/stop-local.sh"
  exit 0
fi
echo "Press Ctrl-C to stop."

# Wait; a process that exits on its own ends the run (and the EXIT trap stops the rest).
pids=()
for name in redis devbroker mosquitto devicesim $(for l in "${SERVICES[@]}"; do echo "${l%% *}"; done); do
  if fg_alive "$name"; then pids+=("$(fg_pid "$name")"); fi
done
set +e
wait -n "${pids[@]}"
code=$?
set -e
for name in redis devbroker mosquitto devicesim $(for l in "${SERVICES[@]}"; do echo "${l%% *}"; done); do
  if [ -f "$PID_DIR/$name.pid" ] && ! fg_alive "$name"; then
    echo "error: $name exited (status $code); see $LOG_DIR/$name.log" >&2
  fi
done
exit 1
