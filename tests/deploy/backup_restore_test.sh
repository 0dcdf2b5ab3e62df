#!/usr/bin/env bash
# deploy/backup.sh and deploy/restore.sh against a real redis-server on a free loopback port in
# a temporary directory (AOF on, appendfsync always, aof-timestamp-enabled yes, as
# deploy/run-local.sh runs it): writes A, a time T, writes B, a backup; restored to T, A is there
# and B is not; restored to the backup's time, both are; a backup whose checksums fail is refused;
# a backup whose AOF ends in a torn transaction (copied mid-write) is restored without it; a
# backup of an instance without AOF is restored from its RDB; --keep-hours/--keep-days prune
# the older backups. Every server is stopped by PID.
#
#   tests/deploy/backup_restore_test.sh [REPO_ROOT]
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
failures=0
fail() {
  echo "FAIL [$1]: $2"
  failures=$((failures + 1))
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# start_redis DIR PORT [ARGS...] — a redis-server in the foreground of a background job; waits
# for PING.
start_redis() {
  local dir="$1" port="$2" _
  shift 2
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --daemonize no \
    --logfile "$dir/redis.log" "$@" &
  PIDS+=($!)
  for _ in $(seq 1 600); do
    [ "$(redis-cli -p "$port" PING 2>/dev/null)" = PONG ] && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "redis-server on $port did not start: $(tail -n 5 "$dir/redis.log")"
  exit 1
}
stop_redis() {
  local pid="${PIDS[-1]}"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  unset 'PIDS[-1]'
}

# ---- the source: A, T, B.
SRC="$TMP/src"
PORT="$(free_port)"
start_redis "$SRC" "$PORT" --appendonly yes --appendfsync always --aof-timestamp-enabled yes
redis-cli -p "$PORT" SET fg:test:a written-before-T >/dev/null
redis-cli -p "$PORT" HSET fg:test:agg:500109 buildings 4 >/dev/null
T="$(date +%s)"
# B in a later second than T (the AOF's timestamps have one-second resolution).
while [ "$(date +%s)" -le "$T" ]; do sleep 0.05; done
redis-cli -p "$PORT" SET fg:test:b written-after-T >/dev/null
redis-cli -p "$PORT" HSET fg:test:agg:500109 buildings 5 >/dev/null

out="$(bash "$ROOT/deploy/backup.sh" --port "$PORT" --out "$TMP/backups")" ||
  { echo "FAIL [backup]: $out"; exit 1; }
BK="$(echo "$out" | tail -n 1)"
[ -d "$BK" ] || fail backup "no backup directory: $out"
[ -f "$BK/dump.rdb" ] || fail backup "no RDB"
ls "$BK"/appendonlydir/*.manifest >/dev/null 2>&1 || fail backup "no AOF manifest"
(cd "$BK" && sha256sum --quiet -c SHA256SUMS) || fail backup "checksums do not verify"
grep -q '^snapshot_unix [0-9]' "$BK/MANIFEST" || fail backup "MANIFEST has no snapshot time"
stop_redis

# restore_and_read NAME ARGS... — restores into a fresh data dir, starts a server on it and prints
# "a|b|buildings".
restore_and_read() {
  local name="$1" port
  shift
  bash "$ROOT/deploy/restore.sh" --backup "$BK" --data-dir "$TMP/$name" "$@" \
    >"$TMP/$name.out" 2>&1 || { fail "$name" "restore failed: $(cat "$TMP/$name.out")"; return; }
  port="$(free_port)"
  start_redis "$TMP/$name" "$port" --appendonly yes
  echo "$(redis-cli -p "$port" GET fg:test:a)|$(redis-cli -p "$port" GET fg:test:b)|$(redis-cli -p "$port" HGET fg:test:agg:500109 buildings)"
  stop_redis
}

got="$(restore_and_read at-T --to-time "$T")"
[ "$got" = "written-before-T||4" ] || fail at-T "restored to T: got '$got', want A without B"
got="$(restore_and_read at-backup)"
[ "$got" = "written-before-T|written-after-T|5" ] || fail at-backup "restored to the backup: got '$got'"

# A backup copied while Redis was writing: its AOF ends in a torn transaction, cut off whole.
cp -r "$BK" "$TMP/torn"
incr="$(find "$TMP/torn/appendonlydir" -name '*.incr.aof' | sort | tail -n 1)"
printf '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$9\r\nfg:test:b\r\n$4\r\ntorn\r\n*3\r\n$3\r\nSET\r\n$9\r\nfg:te' \
  >>"$incr"
(cd "$TMP/torn" && find . -type f ! -name SHA256SUMS -exec sha256sum {} + >SHA256SUMS)
got="$(BK="$TMP/torn" restore_and_read from-torn)"
[ "$got" = "written-before-T|written-after-T|5" ] || fail from-torn "restored from a torn copy: got '$got'"
grep -q "ends in a torn write" "$TMP/from-torn.out" || fail from-torn "the cut was not said"

# Not into a data directory in use without --force; with it, the old content is moved aside.
bash "$ROOT/deploy/restore.sh" --backup "$BK" --data-dir "$TMP/at-backup" >"$TMP/busy.out" 2>&1 &&
  fail busy "a non-empty data directory was overwritten without --force"
grep -q "not empty" "$TMP/busy.out" || fail busy "the refusal does not say why: $(cat "$TMP/busy.out")"
bash "$ROOT/deploy/restore.sh" --backup "$BK" --data-dir "$TMP/at-backup" --force \
  >"$TMP/forced.out" 2>&1 || fail forced "$(cat "$TMP/forced.out")"
ls -d "$TMP"/at-backup/pre-restore-*/appendonlydir >/dev/null 2>&1 ||
  fail forced "the previous content was not moved aside"

# A damaged backup is refused before anything is written.
cp -r "$BK" "$TMP/damaged"
echo garbage >>"$TMP/damaged/dump.rdb"
if bash "$ROOT/deploy/restore.sh" --backup "$TMP/damaged" --data-dir "$TMP/from-damaged" \
  >"$TMP/damaged.out" 2>&1; then
  fail damaged "a backup failing its checksums was restored"
fi
[ ! -e "$TMP/from-damaged/appendonlydir" ] || fail damaged "files were written"

# An instance without AOF: the RDB is the backup, restored as an AOF; --to-time is refused.
RDB_SRC="$TMP/rdb-src"
PORT="$(free_port)"
start_redis "$RDB_SRC" "$PORT" --appendonly no
redis-cli -p "$PORT" SET fg:test:a only-in-the-rdb >/dev/null
out="$(bash "$ROOT/deploy/backup.sh" --port "$PORT" --out "$TMP/rdb-backups")" ||
  { echo "FAIL [rdb-backup]: $out"; exit 1; }
BK="$(echo "$out" | tail -n 1)"

# Pruning (--keep-hours 48 --keep-days 35), among backups made earlier (their names are their
# times): the last 48 hours all, before that each UTC day's first for 35 days, nothing else of
# this script's; a .partial left a day ago goes, a fresh one (a backup under way) stays.
PR="$TMP/pruned"
mkdir -p "$PR/notes"
now="$(date -u +%s)"
at() { date -u -d "@$1" +%Y%m%dT%H%M%SZ; }
day3="$(date -u -d "@$((now - 3 * 86400))" +%Y%m%d)"
day40="$(date -u -d "@$((now - 40 * 86400))" +%Y%m%d)"
keep=("firegrid-redis-$(at $((now - 3 * 3600)))" "firegrid-redis-${day3}T000500Z" notes
  "firegrid-redis-$(at $((now - 60))).partial")
gone=("firegrid-redis-${day3}T120000Z" "firegrid-redis-${day40}T000500Z"
  "firegrid-redis-${day3}T130000Z.partial")
for d in "${keep[@]}" "${gone[@]}"; do mkdir -p "$PR/$d"; done
touch -d "2 days ago" "$PR/firegrid-redis-${day3}T130000Z.partial"
out="$(bash "$ROOT/deploy/backup.sh" --port "$PORT" --out "$PR" --keep-hours 48 --keep-days 35)" ||
  { echo "FAIL [prune]: $out"; exit 1; }
[ -d "$(echo "$out" | tail -n 1)" ] || fail prune "the new backup is not the last line: $out"
echo "$out" | grep -q "pruned 3 old backups" || fail prune "not 3 pruned: $out"
for d in "${keep[@]}"; do [ -d "$PR/$d" ] || fail prune "$d was deleted"; done
for d in "${gone[@]}"; do [ ! -e "$PR/$d" ] || fail prune "$d was kept"; done
status=0
bash "$ROOT/deploy/backup.sh" --port "$PORT" --out "$PR" --keep-hours 48 >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail prune "--keep-hours without --keep-days exits $status, want 2"

stop_redis
[ ! -d "$BK/appendonlydir" ] || fail rdb-backup "an AOF directory in the backup of an instance without AOF"
got="$(restore_and_read from-rdb)"
[ "$got" = "only-in-the-rdb||" ] || fail from-rdb "restored from the RDB: got '$got'"
bash "$ROOT/deploy/restore.sh" --backup "$BK" --data-dir "$TMP/rdb-at-T" --to-time "$T" \
  >"$TMP/rdb-at-T.out" 2>&1 && fail rdb-at-T "--to-time without an AOF was accepted"

# The command-line contract.
bash "$ROOT/deploy/backup.sh" --help | grep -q "deploy/backup.sh" || fail help "backup --help"
bash "$ROOT/deploy/restore.sh" --help | grep -q "deploy/restore.sh" || fail help "restore --help"
status=0
bash "$ROOT/deploy/restore.sh" --no-such-flag >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail usage "an unknown argument exits $status, want 2"

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "backup and restore: to a point in time, to the backup, from an RDB; damaged backups refused; pruning"
