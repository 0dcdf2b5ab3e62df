#!/usr/bin/env bash
# deploy/redis-repair-aof.sh on AOF directories written here byte by byte (redis-check-aof is the
# only program it runs; no server): an AOF cut at every byte is cut back to the end of its last
# whole command outside a transaction, so a torn MULTI ... EXEC goes whole; a whole AOF, a torn
# timestamp line (harmless: Redis reads it as a comment) and no AOF at all are left as they are;
# bytes damaged inside the file are left for Redis to report, with a warning; a manifest with
# only a BASE file is not looked into; without redis-check-aof it exits 1; --help and a wrong
# argument. tests/support/redis_server_test.cc proves the repair against a real redis-server.
#
#   tests/deploy/redis_repair_aof_test.sh [REPO_ROOT]
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SCRIPT="$ROOT/deploy/redis-repair-aof.sh"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() {
  echo "FAIL [$1]: $2"
  failures=$((failures + 1))
}

# resp ARGS... — one command as Redis logs it.
resp() {
  local a
  printf '*%d\r\n' "$#"
  for a in "$@"; do printf '$%d\r\n%s\r\n' "${#a}" "$a"; done
}
# The AOF and the offsets at which each part ends.
AOF="$TMP/incr.aof"
{ printf '#TS:1796632930\r\n'; } >"$AOF"
TS_END=$(wc -c <"$AOF")
resp SELECT 0 >>"$AOF"
SELECT_END=$(wc -c <"$AOF")
resp SET a 1 >>"$AOF"
A_END=$(wc -c <"$AOF")
{
  resp MULTI
  resp SET b 2
  resp SET c 3
  resp EXEC
} >>"$AOF"
TX_END=$(wc -c <"$AOF")
resp SET d 4 >>"$AOF"
SIZE=$(wc -c <"$AOF")

# dir_with NAME [BYTES] — a data directory whose AOF is the first BYTES bytes of $AOF (all when
# not given); prints its path.
dir_with() {
  local dir="$TMP/$1"
  rm -rf "$dir"
  mkdir -p "$dir/appendonlydir"
  head -c "${2:-$SIZE}" "$AOF" >"$dir/appendonlydir/appendonly.aof.1.incr.aof"
  echo "file appendonly.aof.1.incr.aof seq 1 type i" >"$dir/appendonlydir/appendonly.aof.manifest"
  echo "$dir"
}
# repair NAME EXPECTED_STATUS DIR — runs the script; stderr in $TMP/NAME.err.
repair() {
  local status=0
  sh "$SCRIPT" "$3" 2>"$TMP/$1.err" >/dev/null || status=$?
  [ "$status" -eq "$2" ] || fail "$1" "exit status $status, want $2: $(cat "$TMP/$1.err")"
}
aof_size() { wc -c <"$1/appendonlydir/appendonly.aof.1.incr.aof"; }

# Cut at every byte: back to the last whole command outside the transaction.
for ((cut = 1; cut < SIZE; cut++)); do
  if ((cut < TS_END)); then
    want=$cut # a torn timestamp line: a comment to Redis, left as it is
  elif ((cut < SELECT_END)); then
    want=$TS_END
  elif ((cut < A_END)); then
    want=$SELECT_END
  elif ((cut < TX_END)); then
    want=$A_END # inside MULTI ... EXEC (Redis alone keeps its whole commands)
  else
    want=$TX_END
  fi
  dir=$(dir_with "cut-$cut" "$cut")
  repair "cut-$cut" 0 "$dir"
  got=$(aof_size "$dir")
  [ "$got" -eq "$want" ] || fail "cut-$cut" "cut to $got bytes, want $want"
  if ((want < cut)); then
    grep -q "ends in a torn write" "$TMP/cut-$cut.err" || fail "cut-$cut" "the repair was not said"
  fi
  rm -rf "$dir"
done

dir=$(dir_with whole)
repair whole 0 "$dir"
[ "$(aof_size "$dir")" -eq "$SIZE" ] || fail whole "a whole AOF was changed"
[ ! -s "$TMP/whole.err" ] || fail whole "said something about a whole AOF: $(cat "$TMP/whole.err")"
[ -z "$(find "$dir" -name '.redis-repair-aof.*')" ] || fail whole "left its temporary directory"

# A damaged byte before the end (not a torn write): left for Redis, with a warning.
for at in $((SELECT_END + 1)) $((A_END + 20)); do
  dir=$(dir_with "damaged-$at")
  printf 'Q' | dd of="$dir/appendonlydir/appendonly.aof.1.incr.aof" bs=1 seek="$at" conv=notrunc 2>/dev/null
  repair "damaged-$at" 0 "$dir"
  [ "$(aof_size "$dir")" -eq "$SIZE" ] || fail "damaged-$at" "a damaged AOF was cut"
  grep -q "WARNING: .* not because a write was torn" "$TMP/damaged-$at.err" ||
    fail "damaged-$at" "no warning: $(cat "$TMP/damaged-$at.err")"
  [ -z "$(find "$dir" -name '.redis-repair-aof.*')" ] || fail "damaged-$at" "left its temporary directory"
done

repair no-aof 0 "$TMP/empty-data-dir"
dir=$(dir_with base-only)
echo "file appendonly.aof.1.base.rdb seq 1 type b" >"$dir/appendonlydir/appendonly.aof.manifest"
head -c "$((SIZE - 3))" "$AOF" >"$dir/appendonlydir/appendonly.aof.1.base.rdb"
repair base-only 0 "$dir"
[ "$(wc -c <"$dir/appendonlydir/appendonly.aof.1.base.rdb")" -eq "$((SIZE - 3))" ] ||
  fail base-only "a BASE file was changed"

# Without redis-check-aof the AOF cannot be checked: exit 1, saying so.
dir=$(dir_with no-tool "$((SIZE - 3))")
status=0
env PATH=/nonexistent /bin/sh "$SCRIPT" "$dir" 2>"$TMP/no-tool.err" || status=$?
[ "$status" -eq 1 ] || fail no-tool "exit status $status, want 1"
grep -q "redis-check-aof not found" "$TMP/no-tool.err" || fail no-tool "did not say why"
[ "$(aof_size "$dir")" -eq "$((SIZE - 3))" ] || fail no-tool "changed the AOF"

for flag in --help -h; do
  out=$(sh "$SCRIPT" "$flag") || fail "$flag" "exit status $?"
  grep -q "deploy/redis-repair-aof.sh" <<<"$out" || fail "$flag" "the usage does not name the script"
done
for args in "" "--bogus" "a b c"; do
  status=0
  # shellcheck disable=SC2086  # the words are the arguments
  sh "$SCRIPT" $args >/dev/null 2>"$TMP/args.err" || status=$?
  [ "$status" -eq 2 ] || fail "args '$args'" "exit status $status, want 2"
  grep -q "deploy/redis-repair-aof.sh" "$TMP/args.err" || fail "args '$args'" "no usage on stderr"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "redis-repair-aof: $((SIZE - 1)) cuts, whole, damaged, base-only, no AOF, no tool and arguments pass"
