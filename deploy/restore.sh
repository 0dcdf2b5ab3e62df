#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh into the data directory of a STOPPED Redis
# instance, as of the backup or, with --to-time, as of an earlier point in time (the AOF cut
# after the last command at or before that second: redis-check-aof --truncate-to-timestamp,
# which needs the source to have run with aof-timestamp-enabled yes, and reaches back only to
# the AOF's last rewrite). The checksums are verified first. The data directory then holds an
# append-only directory that redis-server started with appendonly yes loads. A backup without
# an AOF is restored from its RDB (converted to an AOF by a temporary redis-server on a free
# loopback port, stopped again). An AOF that ends in a write torn while the backup copied it is
# cut before that write (deploy/redis-repair-aof.sh). docs/backup-restore.md.
#
#   deploy/restore.sh --backup DIR --data-dir DIR [--to-time T] [--force] [-h | --help]
#
#   --backup DIR    a directory made by deploy/backup.sh
#   --data-dir DIR  the stopped instance's data directory (created when missing)
#   --to-time T     the point in time: unix seconds or a date that `date -d` reads
#                   ("2026-12-06T23:30:00Z"); default: the backup's own time
#   --force         the data directory is not empty: move its content aside to
#                   DIR/pre-restore-<UTC time>/ (nothing is deleted)
#   -h, --help      print this text and do nothing else
#
# Exit status: 0 restored, 1 failed (nothing changed in the data directory unless it says so),
# 2 a wrong argument.
set -euo pipefail

# shellcheck source=deploy/lib/usage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/usage.sh"
BACKUP="" DATA_DIR="" TO_TIME="" FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    --force)
      FORCE=1
      shift
      ;;
    --backup | --data-dir | --to-time)
      [ $# -ge 2 ] || fg_usage_error "${BASH_SOURCE[0]}" "$1 needs a value"
      case "$1" in
        --backup) BACKUP="$2" ;;
        --data-dir) DATA_DIR="$2" ;;
        --to-time) TO_TIME="$2" ;;
      esac
      shift 2
      ;;
    *) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument $1" ;;
  esac
done
[ -n "$BACKUP" ] || fg_usage_error "${BASH_SOURCE[0]}" "--backup is required"
[ -n "$DATA_DIR" ] || fg_usage_error "${BASH_SOURCE[0]}" "--data-dir is required"
if [ -n "$TO_TIME" ] && ! [[ "$TO_TIME" =~ ^[0-9]+$ ]]; then
  TO_TIME="$(date -d "$TO_TIME" +%s 2>/dev/null)" ||
    fg_usage_error "${BASH_SOURCE[0]}" "--to-time: not a time: $TO_TIME"
fi

die() {
  echo "restore: $*" >&2
  exit 1
}

if [ ! -f "$BACKUP/MANIFEST" ] || [ ! -f "$BACKUP/SHA256SUMS" ]; then
  die "$BACKUP is not a backup of deploy/backup.sh (no MANIFEST, SHA256SUMS)"
fi
(cd "$BACKUP" && sha256sum --quiet -c SHA256SUMS) >&2 || die "$BACKUP fails its checksums"
snapshot="$(sed -n 's/^snapshot_unix //p' "$BACKUP/MANIFEST")"
has_aof=0
[ -d "$BACKUP/appendonlydir" ] && has_aof=1
if [ -n "$TO_TIME" ] && [ "$has_aof" = 0 ]; then
  die "--to-time needs the AOF, and this backup has none (the RDB is the backup's time only)"
fi

mkdir -p "$DATA_DIR"
work="$(mktemp -d "$DATA_DIR/.restore.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ "$has_aof" = 1 ]; then
  cp -r "$BACKUP/appendonlydir" "$work/appendonlydir"
  manifest="$(find "$work/appendonlydir" -maxdepth 1 -name '*.manifest' | head -n 1)"
  # A backup copied while Redis was writing can end in a torn write: cut off whole.
  sh "$(dirname "${BASH_SOURCE[0]}")/redis-repair-aof.sh" "$work" ||
    die "cannot check the backup's AOF (deploy/redis-repair-aof.sh)"
  if [ -n "$TO_TIME" ]; then
    grep -q '^#TS:' "$work"/appendonlydir/*.incr.aof 2>/dev/null ||
      die "the AOF has no timestamps (aof-timestamp-enabled was off): restore to the backup's time"
    redis-check-aof --truncate-to-timestamp "$TO_TIME" "$manifest" >"$work/truncate.log" 2>&1 ||
      die "cannot cut the AOF at $TO_TIME: $(tail -n 3 "$work/truncate.log")"
  fi
  redis-check-aof "$manifest" >"$work/check.log" 2>&1 ||
    die "the restored AOF does not check: $(tail -n 3 "$work/check.log")"
else
  # RDB only: a temporary redis-server loads it and writes it as an AOF, then stops.
  mkdir -p "$work/convert"
  cp "$BACKUP/dump.rdb" "$work/convert/dump.rdb"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$work/convert" --dbfilename dump.rdb \
    --appendonly no --save "" --daemonize no --logfile "$work/convert.log" &
  pid=$!
  started="$(date +%s)"
  until [ "$(redis-cli -p "$port" PING 2>/dev/null | tr -d '\r')" = PONG ]; do
    kill -0 "$pid" 2>/dev/null || die "the temporary redis-server did not start: $(tail -n 3 "$work/convert.log")"
    [ $(($(date +%s) - started)) -lt 120 ] || { kill "$pid"; die "the temporary redis-server did not answer"; }
    sleep 0.05
  done
  redis-cli -p "$port" CONFIG SET appendonly yes >/dev/null
  until redis-cli -p "$port" INFO persistence | tr -d '\r' |
    grep -q '^aof_rewrite_in_progress:0' && redis-cli -p "$port" INFO persistence | tr -d '\r' |
    grep -q '^aof_rewrite_scheduled:0' && [ -d "$work/convert/appendonlydir" ]; do
    [ $(($(date +%s) - started)) -lt 600 ] || { kill "$pid"; die "the AOF was not written"; }
    sleep 0.05
  done
  redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  wait "$pid" || true
  mv "$work/convert/appendonlydir" "$work/appendonlydir"
fi

# The data directory: moved aside when not empty (with --force), then the restored files in.
others="$(find "$DATA_DIR" -mindepth 1 -maxdepth 1 ! -name "$(basename "$work")" | head -n 1)"
if [ -n "$others" ]; then
  [ "$FORCE" = 1 ] || die "$DATA_DIR is not empty: stop the instance and give --force to move its content aside"
  aside="$DATA_DIR/pre-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir "$aside"
  find "$DATA_DIR" -mindepth 1 -maxdepth 1 ! -name "$(basename "$work")" \
    ! -name "$(basename "$aside")" ! -name 'pre-restore-*' -exec mv {} "$aside/" \;
  echo "moved the previous content of $DATA_DIR to $aside"
fi
mv "$work/appendonlydir" "$DATA_DIR/appendonlydir"
cp "$BACKUP/dump.rdb" "$DATA_DIR/dump.rdb"
if [ -n "$TO_TIME" ]; then
  # The RDB is the backup's time, after the cut: keep it out of the way of a start with
  # appendonly no.
  mv "$DATA_DIR/dump.rdb" "$DATA_DIR/dump.rdb.at-backup-time"
fi
at="${TO_TIME:-$snapshot}"
echo "restored $BACKUP into $DATA_DIR as of $(date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ)"
echo "start redis-server with --dir $DATA_DIR --appendonly yes --appenddirname appendonlydir"
