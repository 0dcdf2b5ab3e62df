#!/usr/bin/env bash
# Runs every `firegridctl` example of README.md ("Trying it with firegridctl") against a private
# demo stack, so that the README stays true. The stack is deploy/run-local.sh --detach
# --skip-build with its own state directory, Redis port and service ports
# (FIREGRID_PORT_OFFSET); it is stopped by deploy/stop-local.sh (by PID) at the end.
#
# Placeholders are filled from the demo data as a reader would: <id> is a demo building,
# <hazard id> follows one reported hazard through its lifecycle (get, verify, assign, start,
# submit, review), reject takes another reported one, recategorize a verified one, merge and
# unmerge the two hazards the report examples made; <notification id> is the caller's newest
# notification; every `--version N` is replaced by the version the object has now. Streaming
# examples (watch, call …/Subscribe) run for a few seconds and pass when they printed and did
# not fail. Examples marked `# not run by tests: <why>` are skipped. A failure names the example.
#
#   tests/e2e/readme_examples_test.sh REPO_ROOT BUILD_DIR
set -euo pipefail

ROOT="$(cd "$1" && pwd)"
BUILD="$(cd "$2" && pwd)"
CTL="$BUILD/tools/firegridctl/firegridctl"
TMP="$(mktemp -d)"
export FIREGRID_STATE_DIR="$TMP/state" FIREGRID_BUILD_DIR="$BUILD"
export FIREGRID_RUN_SERVICES="buildings hazards notify credit monitoring accounts"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for ((try = 0; ; try++)); do
  [ "$try" -lt 50 ] || { echo "no free ports found"; exit 1; }
  offset=$((1000 + RANDOM % 14000))
  redis_port=$((20000 + RANDOM % 10000))
  ok=1
  for p in $((50051 + offset)) $((50052 + offset)) $((50053 + offset)) $((50054 + offset)) \
    $((50055 + offset)) $((50056 + offset)) $((9464 + offset)) $((9465 + offset)) \
    $((9466 + offset)) $((9467 + offset)) $((9468 + offset)) $((9469 + offset)) \
    $((1883 + offset)) "$redis_port"; do
    port_free "$p" || ok=0
  done
  [ "$ok" = 0 ] || break
done
export FIREGRID_PORT_OFFSET="$offset" FIREGRID_REDIS_PORT="$redis_port"

cleanup() {
  bash "$ROOT/deploy/stop-local.sh" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

if ! bash "$ROOT/deploy/run-local.sh" --detach --skip-build >"$TMP/run-local.out" 2>&1; then
  tail -n 40 "$TMP/run-local.out"
  echo "FAIL: the demo stack did not start"
  exit 1
fi

export FIREGRID_ADDR="127.0.0.1:$((50051 + offset))"
export FIREGRID_HAZARDS_ADDR="127.0.0.1:$((50052 + offset))"
export FIREGRID_NOTIFY_ADDR="127.0.0.1:$((50053 + offset))"
export FIREGRID_CREDIT_ADDR="127.0.0.1:$((50054 + offset))"
export FIREGRID_MONITORING_ADDR="127.0.0.1:$((50055 + offset))"
export FIREGRID_ACCOUNTS_ADDR="127.0.0.1:$((50056 + offset))"
unset FIREGRID_TOKEN FIREGRID_TOKEN_FILE FIREGRID_DEV_KEY_FILE
# The examples run where a reader runs them: a directory whose .state/ is the stack's state.
WORK="$TMP/work"
mkdir -p "$WORK"
ln -s "$FIREGRID_STATE_DIR" "$WORK/.state"
ln -s "$ROOT/docs" "$WORK/docs"  # examples use files of the repository (docs/samples/)
cd "$WORK"

# ----- the examples: the sh blocks of the firegridctl section, continuation lines joined.
python3 - "$ROOT/README.md" >"$TMP/examples" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text.split("## Trying it with firegridctl", 1)[1].split("\n## ", 1)[0]
in_block, pending = False, ""
for line in section.splitlines():
    if line.startswith("```"):
        in_block = line.strip() == "```sh" if not in_block else False
        continue
    if not in_block:
        continue
    if line.rstrip().endswith("\\"):
        pending += line.rstrip()[:-1] + " "
        continue
    line, pending = pending + line, ""
    if line.strip():
        print(line.strip())
PY

ctl() { "$CTL" --token-file "$FIREGRID_STATE_DIR/dev-token" "$@"; }  # the district admin
json_field() { jq -r "$1"; }

# Values read from the running stack.
BUILDING="$(ctl buildings list --tier 500109002 --page-size 1 --output json |
  json_field '.buildings[0].building_id')"
hazards_json() { ctl hazards list --all --output json "$@"; }
pick_hazard() {  # STATUS [EXCLUDED ID] — a general hazard in STATUS
  hazards_json --status "$1" |
    jq -r --arg not "${2:-}" '[.hazards[] | select(.severity == "general" and .hazard_id != $not)][0].hazard_id'
}
CHAIN="$(pick_hazard reported)"
REJECT="$(pick_hazard reported "$CHAIN")"
RECATEGORIZE="$(hazards_json --status verified |
  jq -r '[.hazards[] | select(.category != "gas_electrical")][0].hazard_id')"
for v in BUILDING CHAIN REJECT RECATEGORIZE; do
  if [ -z "${!v}" ] || [ "${!v}" = null ]; then
    echo "FAIL: the demo data has no value for $v"
    exit 1
  fi
done

# The hazards the report examples made on BUILDING (newest first), for merge and unmerge.
reported_on_building() {
  hazards_json --status reported |
    jq -r --arg b "$BUILDING" '[.hazards[] | select(.building_id == $b)] | .[].hazard_id'
}

# firegridctl as the examples call it: `--version N` becomes the object's current version.
firegridctl() {
  local args=("$@") i kind="" id=""
  case "${args[0]:-} ${args[1]:-}" in
    "buildings update" | "buildings file" | "fire-access set") kind=buildings id="${args[2]:-}" ;;
    "hazards "*) kind=hazards id="${args[2]:-}" ;;
  esac
  if [ -z "$id" ] && [ "${args[0]:-}" = fire-access ]; then id="${args[2]:-}"; fi
  for ((i = 0; i + 1 < ${#args[@]}; i++)); do
    if [ "${args[i]}" = --version ] && [ -n "$kind" ]; then
      args[i + 1]="$(ctl "$kind" get "$id" --output json | json_field .version)"
    fi
  done
  case "${args[0]:-} ${args[1]:-}" in
    "watch "* | "call firegrid.notify.v1.NotifyService/Subscribe")
      local status=0
      timeout 5 "$CTL" "${args[@]}" || status=$?
      [ "$status" = 124 ] # ran until stopped: it streamed without failing
      return
      ;;
  esac
  timeout 60 "$CTL" "${args[@]}"
}

# Fills the placeholders of one example into FILLED (not in a subshell: merge remembers the
# hazard it merged for unmerge).
fill() {
  local line="$1" notification merged target
  MERGED="${MERGED:-}"
  line="${line//<id>/$BUILDING}"
  case "$line" in
    *"hazards reject <hazard id>"*) line="${line//<hazard id>/$REJECT}" ;;
    *"hazards recategorize <hazard id>"*) line="${line//<hazard id>/$RECATEGORIZE}" ;;
    *"hazards merge <hazard id> --into <other hazard id>"*)
      mapfile -t merged < <(reported_on_building)
      target="${merged[1]:-}"
      MERGED="${merged[0]:-}"
      line="${line//<other hazard id>/$target}"
      line="${line//<hazard id>/$MERGED}"
      ;;
    *"hazards unmerge <hazard id>"*) line="${line//<hazard id>/${MERGED:-}}" ;;
    *) line="${line//<hazard id>/$CHAIN}" ;;
  esac
  if [[ "$line" == *"<entry id>"* ]]; then
    # The entry the propose example opened (the newest of that subject).
    line="${line//<entry id>/$(ctl credit profile 91500109MA5URT002P --output json |
      json_field '.blacklist[0].entry_id')}"
  fi
  if [[ "$line" == *"<blacklisted entry id>"* ]]; then
    # The demo's blacklisted agency's entry in effect.
    line="${line//<blacklisted entry id>/$(ctl credit profile 91500109MA5UAX004F --output json |
      json_field '.blacklist[0].entry_id')}"
  fi
  if [[ "$line" == *"<cursor>"* ]]; then
    # Where a first page of one record ends.
    line="${line//<cursor>/$(ctl credit export --limit 1 2>&1 >/dev/null |
      sed -n 's/^next cursor: \([^ ]*\).*/\1/p')}"
  fi
  if [[ "$line" == *"<alarm id>"* ]]; then
    # The demo's fire alarm (the simulator raises it on bb0001-fap once it is connected).
    alarm=""
    for _ in $(seq 1 120); do
      alarm="$(ctl monitoring alarms list --tier 500109 --type fire --output json |
        json_field '.alarms[0].alarm_id // empty')"
      [ -z "$alarm" ] || break
      sleep 0.5
    done
    line="${line//<alarm id>/$alarm}"
  fi
  if [[ "$line" == *"<notification id>"* ]]; then
    # The caller's (the example's token) newest notification.
    notification="$("$CTL" inbox --all --output json |
      json_field '.notifications[0].notification_id')"
    line="${line//<notification id>/$notification}"
  fi
  # The README's addresses are the default ports; this stack's are moved.
  line="${line//127.0.0.1:50051/$FIREGRID_ADDR}"
  line="${line//127.0.0.1:50052/$FIREGRID_HAZARDS_ADDR}"
  line="${line//127.0.0.1:50053/$FIREGRID_NOTIFY_ADDR}"
  line="${line//127.0.0.1:50054/$FIREGRID_CREDIT_ADDR}"
  line="${line//127.0.0.1:50055/$FIREGRID_MONITORING_ADDR}"
  line="${line//127.0.0.1:50056/$FIREGRID_ACCOUNTS_ADDR}"
  FILLED="$line"
}

ran=0 skipped=0 failures=0
while IFS= read -r example; do
  case "$example" in
    "#"*) continue ;;
    *"# not run by tests:"*)
      skipped=$((skipped + 1))
      continue
      ;;
    "alias firegridctl="*) continue ;;
  esac
  fill "$example"
  filled="$FILLED"
  if [[ "$filled" == *"<"*">"* ]] && [[ "$filled" != *"'"* ]]; then
    echo "FAIL [$example]: a placeholder is left: $filled"
    failures=$((failures + 1))
    continue
  fi
  ran=$((ran + 1))
  status=0
  eval "$filled" >"$TMP/out" 2>"$TMP/err" </dev/null || status=$?
  if [ "$status" -ne 0 ]; then
    echo "FAIL [$example] (exit $status)"
    echo "  ran: $filled"
    sed 's/^/  | /' "$TMP/err" | head -n 5
    failures=$((failures + 1))
  fi
done <"$TMP/examples"

echo "README examples: $ran run, $skipped marked as not run by tests, $failures failed"
[ "$ran" -gt 50 ] || { echo "FAIL: too few examples found in README.md"; exit 1; }
[ "$failures" -eq 0 ]
