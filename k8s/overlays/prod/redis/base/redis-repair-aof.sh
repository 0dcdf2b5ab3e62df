#!/bin/sh
# Cuts a write torn by a crash off the end of a Redis append-only file, before Redis starts on it.
# Every Redis of firegrid starts through it: deploy/run-local.sh, the test harness
# (tests/support/redis_server.cc) and both Kubernetes overlays (a copy made by
# deploy/sync-k8s-config.sh).
#
# Why: a kill or a power loss can leave the AOF ending in the middle of a write. Redis 7.0 to 7.2
# (aof-load-truncated yes) load such a file and cut it after the last whole command; when the
# torn write was a transaction (MULTI ... EXEC, which is how a Lua script's writes are logged),
# that leaves a MULTI without EXEC at the end of the file, and the next start applies the torn
# transaction's commands with the next transaction appended after it, or drops every single
# command appended after it. redis-check-aof cuts before the MULTI. docs/reliability.md has the
# whole story.
#
#   deploy/redis-repair-aof.sh [-h | --help] DATA_DIR [APPENDDIRNAME]
#
#   DATA_DIR       Redis's `dir`
#   APPENDDIRNAME  its `appenddirname` (default appendonlydir)
#
# Only the last INCR file of the manifest is looked at: it is the only file Redis appends to (a
# BASE file is written whole by a rewrite). Damage that a crash cannot cause (bytes that are
# wrong, not missing) is left alone with a warning: Redis then refuses to start, and an operator
# decides (docs/backup-restore.md). The check reads the whole file once; the repair copies only
# the torn tail (to a temporary directory under DATA_DIR).
#
# Exit status: 0 nothing to do, repaired, or damage left to Redis (warned); 1 the check could not
# run (no redis-check-aof, unreadable file); 2 a wrong argument. POSIX sh: it runs in the Redis
# image too.
set -eu

usage() { sed -n '2,/^set -eu$/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  "" | -*)
    usage >&2
    exit 2
    ;;
esac
[ "$#" -le 2 ] || {
  usage >&2
  exit 2
}
DATA_DIR=$1
AOF_DIR="$DATA_DIR/${2:-appendonlydir}"
say() { echo "redis-repair-aof: $*" >&2; }

[ -d "$AOF_DIR" ] || exit 0 # no AOF yet: the first start
manifest=""
for m in "$AOF_DIR"/*.manifest; do
  [ -f "$m" ] && manifest=$m
done
[ -n "$manifest" ] || exit 0
if ! command -v redis-check-aof >/dev/null 2>&1; then
  say "redis-check-aof not found: cannot check $AOF_DIR"
  exit 1
fi
# Manifest lines: "file NAME seq N type b|h|i"; the last INCR one is the file Redis appends to.
incr=""
while read -r key name _ _ _ type; do
  if [ "$key" = file ] && [ "$type" = i ]; then incr=$name; fi
done <"$manifest"
[ -n "$incr" ] || exit 0
file="$AOF_DIR/$incr"
[ -s "$file" ] || exit 0

if out=$(redis-check-aof "$file" 2>&1); then
  exit 0
fi
ok_up_to=$(printf '%s\n' "$out" | sed -n 's/.*ok_up_to=\([0-9][0-9]*\).*/\1/p' | tail -n 1)
if [ -z "$ok_up_to" ]; then
  say "redis-check-aof could not check $file: $out"
  exit 1
fi
size=$(wc -c <"$file")

# Torn or damaged? The part after ok_up_to (the start of the first command that does not check,
# or of the transaction it is in) is checked alone, then again with bytes appended. A write
# torn by a crash fails where the file ends, so the appended bytes change what the check says;
# damage inside the file fails before the end, where appending changes nothing.
work=$(mktemp -d "$DATA_DIR/.redis-repair-aof.XXXXXX")
trap 'rm -rf "$work"' EXIT
tail -c +"$((ok_up_to + 1))" "$file" >"$work/tail.aof"
verdict() { redis-check-aof "$work/tail.aof" 2>&1 | grep -v -e '^Start checking' -e '^AOF analyzed' -e 'is not valid' || true; }
before=$(verdict)
printf 'xxxxxxxx' >>"$work/tail.aof"
after=$(verdict)
if [ "$before" = "$after" ]; then
  say "WARNING: $file does not check at byte $ok_up_to of $size, and not because a write was" \
    "torn: left as it is for Redis to report. redis-check-aof says: $before"
  exit 0
fi

say "$file ends in a torn write: cutting its last $((size - ok_up_to)) bytes (from byte" \
  "$ok_up_to, where the torn command or transaction begins)"
if ! printf 'y\n' | redis-check-aof --fix "$file" >/dev/null 2>&1 ||
  ! redis-check-aof "$file" >/dev/null 2>&1; then
  say "redis-check-aof --fix did not repair $file"
  exit 1
fi
