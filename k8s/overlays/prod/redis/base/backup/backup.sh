#!/usr/bin/env bash
# Backs up a Redis instance of firegrid: a fresh RDB snapshot (BGSAVE, waited for through INFO
# persistence) and the append-only files (Redis 7 multi-part AOF: the manifest and every file it
# names), copied into a new timestamped directory under OUT with a MANIFEST and SHA256SUMS.
# Run it where the instance's data directory is readable (the Redis host or pod; --data-dir
# when CONFIG GET is not allowed). docs/backup-restore.md.
#
#   deploy/backup.sh --out DIR [--host H] [--port P] [--data-dir DIR] [--timeout S]
#                    [--keep-hours H --keep-days D] [-h | --help]
#
#   --out DIR        where the backup directory firegrid-redis-<UTC time> is created
#   --host H         Redis host (default 127.0.0.1)
#   --port P         Redis port (default 6380, deploy/run-local.sh's)
#   --data-dir DIR   the instance's data directory (default: CONFIG GET dir)
#   --timeout S      how long to wait for the snapshot (default 600)
#   --keep-hours H   after the backup, prune OUT: keep every backup of the last H hours ...
#   --keep-days D    ... and the first backup of each UTC day of the last D days; delete the
#                    other firegrid-redis-* directories of OUT (and .partial ones a day old, left
#                    by a backup that was killed). Both or neither; without them nothing is pruned
#   -h, --help       print this text and do nothing else
#
# Environment: REDISCLI_AUTH (the password),
# FIREGRID_REDIS_USER (an ACL user allowed BGSAVE, INFO, CONFIG GET, LASTSAVE). Prints the
# backup directory on the last line of stdout. Exit status: 0 backed up, 1 failed, 2 a wrong
# argument.
set -euo pipefail

# shellcheck source=deploy/lib/usage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/usage.sh"
OUT="" HOST=127.0.0.1 PORT=6380 DATA_DIR="" TIMEOUT=600 KEEP_HOURS="" KEEP_DAYS=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    --out | --host | --port | --data-dir | --timeout | --keep-hours | --keep-days)
      [ $# -ge 2 ] || fg_usage_error "${BASH_SOURCE[0]}" "$1 needs a value"
      case "$1" in
        --out) OUT="$2" ;;
        --host) HOST="$2" ;;
        --port) PORT="$2" ;;
        --data-dir) DATA_DIR="$2" ;;
        --timeout) TIMEOUT="$2" ;;
        --keep-hours) KEEP_HOURS="$2" ;;
        --keep-days) KEEP_DAYS="$2" ;;
      esac
      shift 2
      ;;
    *) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument $1" ;;
  esac
done
[ -n "$OUT" ] || fg_usage_error "${BASH_SOURCE[0]}" "--out is required"
[[ "$PORT" =~ ^[0-9]+$ ]] || fg_usage_error "${BASH_SOURCE[0]}" "--port must be a number"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || fg_usage_error "${BASH_SOURCE[0]}" "--timeout must be seconds"
if [ -n "$KEEP_HOURS$KEEP_DAYS" ]; then
  [[ "$KEEP_HOURS" =~ ^[0-9]+$ ]] || fg_usage_error "${BASH_SOURCE[0]}" "--keep-hours must be hours"
  [[ "$KEEP_DAYS" =~ ^[0-9]+$ ]] || fg_usage_error "${BASH_SOURCE[0]}" "--keep-days must be days"
fi

die() {
  echo "backup: $*" >&2
  exit 1
}
cli() {
  local user=()
  [ -z "${FIREGRID_REDIS_USER:-}" ] || user=(--user "$FIREGRID_REDIS_USER")
  redis-cli --no-auth-warning -h "$HOST" -p "$PORT" "${user[@]}" "$@"
}
# info_field NAME — a field of INFO persistence.
info_field() {
  cli INFO persistence | tr -d '\r' | sed -n "s/^$1://p"
}
config_get() {
  cli CONFIG GET "$1" | tr -d '\r' | sed -n 2p
}

[ "$(cli PING 2>&1 | tr -d '\r')" = PONG ] || die "no Redis answers PING at $HOST:$PORT"
if [ -z "$DATA_DIR" ]; then
  DATA_DIR="$(config_get dir)"
  [ -n "$DATA_DIR" ] || die "CONFIG GET dir is not allowed: give --data-dir"
fi
DBFILENAME="$(config_get dbfilename)"
DBFILENAME="${DBFILENAME:-dump.rdb}"
APPENDDIRNAME="$(config_get appenddirname)"
APPENDDIRNAME="${APPENDDIRNAME:-appendonlydir}"
AOF_ENABLED="$(info_field aof_enabled)"
[ -d "$DATA_DIR" ] || die "data directory $DATA_DIR is not readable here"

# A snapshot of our own: rdb_saves counts the snapshots made since the start (LASTSAVE has
# one-second resolution, so it cannot tell a snapshot made in the same second before ours).
saves_before="$(info_field rdb_saves)"
[ -n "$saves_before" ] || die "INFO persistence has no rdb_saves (Redis 7 or later is needed)"
started="$(date +%s)"
while :; do
  reply="$(cli BGSAVE SCHEDULE 2>&1 | tr -d '\r')"
  case "$reply" in
    *started* | *scheduled*) break ;;
    *NOPERM* | *NOAUTH* | *WRONGPASS*) die "BGSAVE is not allowed: $reply" ;;
  esac
  [ $(($(date +%s) - started)) -lt "$TIMEOUT" ] || die "BGSAVE was refused for $TIMEOUT s: $reply"
  sleep 0.2
done
while :; do
  saves="$(info_field rdb_saves)"
  if [ "$saves" -gt "$saves_before" ] && [ "$(info_field rdb_bgsave_in_progress)" = 0 ]; then
    break
  fi
  [ $(($(date +%s) - started)) -lt "$TIMEOUT" ] || die "the snapshot did not finish in $TIMEOUT s"
  sleep 0.1
done
[ "$(info_field rdb_last_bgsave_status)" = ok ] || die "the snapshot failed (INFO persistence)"
snapshot_time="$(cli LASTSAVE | tr -d '\r')"

name="firegrid-redis-$(date -u +%Y%m%dT%H%M%SZ)"
dest="$OUT/$name"
[ ! -e "$dest" ] || die "$dest exists already"
mkdir -p "$dest.partial"
trap 'rm -rf "$dest.partial"' EXIT
cp "$DATA_DIR/$DBFILENAME" "$dest.partial/dump.rdb"

# The AOF: the manifest, then the files it names; when a rewrite replaced them meanwhile (the
# manifest changed), again. The last INCR file is copied while Redis appends to it: a command
# cut at the end of the copy is dropped (redis-check-aof --fix), the rest is the AOF at the time
# of the copy.
aof_files=()
if [ "$AOF_ENABLED" = 1 ]; then
  aof_dir="$DATA_DIR/$APPENDDIRNAME"
  manifest="$(find "$aof_dir" -maxdepth 1 -name '*.manifest' | head -n 1)"
  [ -n "$manifest" ] || die "no AOF manifest in $aof_dir"
  for attempt in 1 2 3 4 5; do
    rm -rf "$dest.partial/appendonlydir"
    mkdir -p "$dest.partial/appendonlydir"
    cp "$manifest" "$dest.partial/appendonlydir/"
    aof_files=()
    ok=1
    while read -r _ file _; do
      aof_files+=("$file")
      cp "$aof_dir/$file" "$dest.partial/appendonlydir/" 2>/dev/null || ok=0
    done < <(grep '^file ' "$manifest")
    if [ "$ok" = 1 ] && cmp -s "$manifest" "$dest.partial/appendonlydir/$(basename "$manifest")"; then
      break
    fi
    [ "$attempt" -lt 5 ] || die "the AOF kept being rewritten during the copy"
  done
  copied_manifest="$dest.partial/appendonlydir/$(basename "$manifest")"
  if ! redis-check-aof "$copied_manifest" >"$dest.partial/check-aof.log" 2>&1; then
    echo y | redis-check-aof --fix "$copied_manifest" >>"$dest.partial/check-aof.log" 2>&1 ||
      die "the copied AOF does not check (see $dest.partial/check-aof.log)"
  fi
fi

{
  echo "created $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "source $HOST:$PORT"
  echo "redis_version $(cli INFO server | tr -d '\r' | sed -n 's/^redis_version://p')"
  echo "snapshot_unix $snapshot_time"
  echo "rdb dump.rdb"
  echo "aof $([ "$AOF_ENABLED" = 1 ] && echo appendonlydir || echo none)"
  for f in "${aof_files[@]}"; do echo "aof_file $f"; done
} >"$dest.partial/MANIFEST"
sums="$(cd "$dest.partial" && find . -type f -printf '%P\n' | sort | xargs sha256sum)"
echo "$sums" >"$dest.partial/SHA256SUMS"
mv "$dest.partial" "$dest"
trap - EXIT

# Pruning, relative to this backup's time: its name is the newest.
if [ -n "$KEEP_HOURS" ]; then
  now="$(date -u +%s)"
  pruned=0
  previous_day=""
  # Oldest first (the names sort by time), so the first seen of a day is its daily backup.
  while read -r dir; do
    stamp="${dir#firegrid-redis-}"
    if ! t="$(date -u -d "${stamp:0:8} ${stamp:9:2}:${stamp:11:2}:${stamp:13:2}" +%s 2>/dev/null)"; then
      continue # not a name this script gives
    fi
    day="${stamp:0:8}"
    keep=0
    [ $((now - t)) -ge $((KEEP_HOURS * 3600)) ] || keep=1
    if [ "$day" != "$previous_day" ] && [ $((now - t)) -lt $((KEEP_DAYS * 86400)) ]; then keep=1; fi
    previous_day="$day"
    if [ "$keep" = 0 ]; then
      rm -rf "${OUT:?}/$dir"
      pruned=$((pruned + 1))
    fi
  done < <(find "$OUT" -mindepth 1 -maxdepth 1 -type d -name 'firegrid-redis-*Z' -printf '%f\n' | sort)
  # What a killed backup left (a running one is younger than a day).
  while read -r dir; do
    rm -rf "${OUT:?}/$dir"
    pruned=$((pruned + 1))
  done < <(find "$OUT" -mindepth 1 -maxdepth 1 -type d -name 'firegrid-redis-*Z.partial' -mmin +1440 -printf '%f\n')
  echo "pruned $pruned old backups of $OUT (kept: the last $KEEP_HOURS h, a day's first for $KEEP_DAYS days)"
fi
echo "backup of $HOST:$PORT (snapshot at $(date -u -d "@$snapshot_time" +%Y-%m-%dT%H:%M:%SZ)) in"
echo "$dest"
