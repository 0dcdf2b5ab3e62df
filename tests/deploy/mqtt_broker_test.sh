#!/usr/bin/env bash
# The local MQTT broker as deploy/run-local.sh sets it up (deploy/mqtt-credentials.sh and
# deploy/lib/mosquitto.sh), against a real mosquitto on a free loopback port in a temporary
# directory: a gateway and a device publish on their own topics and the monitoring user's
# shared subscription receives both; publishing on another client's topic, a wrong password and
# a gateway reading signals are refused; passwords are mode 600 and survive a second run.
#
#   tests/deploy/mqtt_broker_test.sh [REPO_ROOT]
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TMP="$(mktemp -d)"
BROKER_PID=""
SUB_PID=""
cleanup() {
  if [ -n "$SUB_PID" ]; then kill "$SUB_PID" 2>/dev/null || true; fi
  if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
failures=0
fail() {
  echo "FAIL [$1]: $2"
  failures=$((failures + 1))
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

DIR="$TMP/mqtt"
bash "$ROOT/deploy/mqtt-credentials.sh" "$DIR" gateway:gw_test_1 device:dev_test_1 >/dev/null
first_password="$(cat "$DIR/passwords/gw_test_1")"
printf 'gateway gw_test_1\n# a comment\ngateway gw_test_2\ndevice dev_test_1\n' >"$TMP/clients"
bash "$ROOT/deploy/mqtt-credentials.sh" "$DIR" --clients-file "$TMP/clients" >/dev/null
[ "$(cat "$DIR/passwords/gw_test_1")" = "$first_password" ] ||
  fail rerun "a second run changed an existing password"
for f in "$DIR/passwords/"* "$DIR/passwd" "$DIR/acl"; do
  [ "$(stat -c %a "$f")" = 600 ] || fail modes "$f is mode $(stat -c %a "$f"), want 600"
done
[ "$(stat -c %a "$DIR")" = 700 ] || fail modes "$DIR is mode $(stat -c %a "$DIR"), want 700"
if ! grep -q "^gw_test_1:" "$DIR/passwd" || grep -q "$first_password" "$DIR/passwd"; then
  fail passwd "the password file does not hold gw_test_1 hashed"
fi
status=0
bash "$ROOT/deploy/mqtt-credentials.sh" "$DIR" gateway:bad/id >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail bad-id "an id with a slash exits $status, want 2"

# shellcheck source=/dev/null
source "$ROOT/deploy/lib/mosquitto.sh"
for attempt in $(seq 1 20); do
  PORT=$((20000 + RANDOM % 20000))
  port_in_use "$PORT" && continue
  fg_mosquitto_prepare "$DIR" "$PORT"
  /usr/sbin/mosquitto -c "$DIR/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 1 100); do
    port_in_use "$PORT" && break
    kill -0 "$BROKER_PID" 2>/dev/null || break
    sleep 0.05
  done
  if port_in_use "$PORT" && kill -0 "$BROKER_PID" 2>/dev/null; then break; fi
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
  [ "$attempt" -lt 20 ] || { cat "$TMP/mosquitto.log"; fail start "mosquitto did not start"; exit 1; }
done

pw() { cat "$DIR/passwords/$1"; }
pub() {  # pub USER PASSWORD TOPIC MESSAGE
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -i "pub-$1-$RANDOM" -u "$1" -P "$2" -q 1 -t "$3" -m "$4"
}
# shellcheck disable=SC2016  # $share is MQTT's, not the shell's
mosquitto_sub -h 127.0.0.1 -p "$PORT" -i sub-monitoring -u monitoring -P "$(pw monitoring)" -q 1 -v \
  -t '$share/monitoring/fg/v1/d/+/signal' -t '$share/monitoring/fg/v1/g/+/signals' \
  >"$TMP/received" 2>"$TMP/sub.err" &
SUB_PID=$!
# The subscription is in place once a retained-free probe published after it arrives: publish
# the gateway's own message until the subscriber has it.
for _ in $(seq 1 100); do
  pub gw_test_1 "$(pw gw_test_1)" fg/v1/g/gw_test_1/signals probe >/dev/null 2>&1 || true
  grep -q probe "$TMP/received" && break
  sleep 0.1
done
grep -q "^fg/v1/g/gw_test_1/signals probe$" "$TMP/received" ||
  fail own-topic "the monitoring user did not receive the gateway's signal: $(cat "$TMP/sub.err")"

pub gw_test_1 "$(pw gw_test_1)" fg/v1/g/gw_test_2/signals from-gw1-as-gw2 || true
pub gw_test_1 "$(pw gw_test_1)" fg/v1/d/dev_test_1/signal from-gw1-as-dev || true
pub dev_test_1 "$(pw dev_test_1)" fg/v1/d/dev_test_1/signal dev-own
status=0
pub dev_test_1 wrong-password fg/v1/d/dev_test_1/signal wrong-password 2>/dev/null || status=$?
[ "$status" != 0 ] || fail password "a wrong password was accepted"
status=0
timeout 5 mosquitto_sub -h 127.0.0.1 -p "$PORT" -u nobody -P x -t 'fg/v1/#' -C 1 -W 2 \
  >/dev/null 2>&1 || status=$?
[ "$status" != 0 ] || fail anonymous "an unknown user could subscribe"
# The device's own message comes after the refused ones: once it is in, they would be too.
for _ in $(seq 1 100); do
  grep -q dev-own "$TMP/received" && break
  sleep 0.05
done
grep -q "^fg/v1/d/dev_test_1/signal dev-own$" "$TMP/received" ||
  fail own-topic "the device's own signal did not arrive"
if grep -q "from-gw1\|wrong-password" "$TMP/received"; then
  fail acl "a message on another client's topic got through: $(grep "from-gw1\|wrong" "$TMP/received")"
fi
# A gateway cannot read what others publish.
timeout 10 stdbuf -oL mosquitto_sub -d -h 127.0.0.1 -p "$PORT" -i sub-gw -u gw_test_2 -P "$(pw gw_test_2)" \
  -t 'fg/v1/#' -q 1 >"$TMP/gw-read" 2>&1 &
gw_sub=$!
for _ in $(seq 1 100); do
  grep -qi "received SUBACK" "$TMP/gw-read" && break
  sleep 0.05
done
grep -qi "received SUBACK" "$TMP/gw-read" || fail acl-read "the gateway's subscription was not answered"
pub dev_test_1 "$(pw dev_test_1)" fg/v1/d/dev_test_1/signal dev-second
for _ in $(seq 1 100); do
  grep -q dev-second "$TMP/received" && break
  sleep 0.05
done
kill "$gw_sub" 2>/dev/null || true
wait "$gw_sub" 2>/dev/null || true
if grep -q "^dev-second$\|received PUBLISH" "$TMP/gw-read"; then
  fail acl-read "a gateway read signals: $(grep -A1 PUBLISH "$TMP/gw-read")"
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s); broker log:"
  tail -n 20 "$TMP/mosquitto.log"
  exit 1
fi
echo "mqtt broker: own topics only, shared subscription for the service, passwords kept and private"
