#!/usr/bin/env bash
# The prod Redis sets' users (k8s/overlays/prod/redis/base/redis.sh) loaded into a real
# redis-server on loopback: the default user may only PING (the probes), `firegrid` (the
# services) may read and write but not run Redis's dangerous commands, a wrong password is
# refused, a replica of it syncs as the `replication` user, and the backup sidecar's round
# (backup-loop.sh) backs up the replica as the `backup` user (INFO, BGSAVE, LASTSAVE only).
#
#   tests/k8s/redis_users_test.sh [REPO_ROOT]
# Exit 77 (CTest SKIP) without redis-server / redis-cli.
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BASE="$ROOT/k8s/overlays/prod/redis/base"
for tool in redis-server redis-cli sha256sum python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool is not installed"; exit 77; }
done

TMP="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
failures=0
fail() {
  echo "FAIL: $1"
  failures=$((failures + 1))
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_for WHAT COMMAND... — runs COMMAND until it succeeds (30 s at most).
wait_for() {
  local what="$1" i
  shift
  for i in $(seq 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "$what (gave up after 30 s)"
  return 1
}

mkdir -p "$TMP/auth" "$TMP/run" "$TMP/conf"
printf 'service-password\n' >"$TMP/auth/password"
printf 'replication-password' >"$TMP/auth/replication"
printf 'backup-password\n' >"$TMP/auth/backup"
# The set's redis.conf, its data directory (which Redis enters as it reads the line) replaced.
sed "s|^dir /data\$|dir $TMP|" "$BASE/redis.conf" >"$TMP/conf/redis.conf"
cp "$BASE/firegrid-user.acl" "$TMP/conf/"
REDIS_AUTH_DIR="$TMP/auth" REDIS_CONF_DIR="$TMP/conf" REDIS_RUN_DIR="$TMP/run" \
  sh "$BASE/redis.sh" --users-only
grep -q 'service-password' "$TMP/run/users.acl" && fail "the users file holds a password in clear"
[ "$(stat -c %a "$TMP/run/users.acl")" = 600 ] || fail "the users file is readable by others"

# start NAME PORT ARGS... — a redis-server on 127.0.0.1:PORT with the generated config (its
# port, address and directory replaced for the test).
start() {
  local name="$1" port="$2"
  shift 2
  mkdir -p "$TMP/$name"
  redis-server "$TMP/run/redis.conf" --port "$port" --bind 127.0.0.1 --dir "$TMP/$name" \
    --appendonly no --save "" --daemonize no "$@" >"$TMP/$name.log" 2>&1 &
  pids+=("$!")
}
MASTER="$(free_port)"
start master "$MASTER"
wait_for "the master answers PING without a password" redis-cli -p "$MASTER" ping || {
  cat "$TMP/master.log"
  exit 1
}

cli() { redis-cli --no-auth-warning -p "$MASTER" "$@" 2>&1; }
as_firegrid() { cli --user firegrid --pass service-password "$@"; }
[ "$(cli ping)" = PONG ] || fail "default user: PING"
[[ "$(cli get k)" == *NOPERM* ]] || fail "default user: GET is refused"
[ "$(as_firegrid set k v)" = OK ] || fail "firegrid: SET"
[ "$(as_firegrid get k)" = v ] || fail "firegrid: GET"
[ "$(as_firegrid eval "return redis.call('incr', KEYS[1])" 1 n)" = 1 ] || fail "firegrid: scripts"
[[ "$(as_firegrid role)" == master* ]] || fail "firegrid: ROLE (the pool's master check)"
[[ "$(as_firegrid flushall)" == *NOPERM* ]] || fail "firegrid: FLUSHALL is refused"
[[ "$(as_firegrid config get dir)" == *NOPERM* ]] || fail "firegrid: CONFIG is refused"
[[ "$(as_firegrid keys '*')" == *NOPERM* ]] || fail "firegrid: KEYS is refused"
[[ "$(cli --user firegrid --pass wrong get k)" == *WRONGPASS* ]] || fail "a wrong password is refused"
[[ "$(cli --user replication --pass replication-password get k)" == *NOPERM* ]] ||
  fail "replication: GET is refused"
as_backup() { cli --user backup --pass backup-password "$@"; }
[[ "$(as_backup get k)" == *NOPERM* ]] || fail "backup: GET is refused"
[[ "$(as_backup config get masterauth)" == *NOPERM* ]] || fail "backup: CONFIG is refused"
[[ "$(as_backup lastsave)" =~ ^[0-9]+$ ]] || fail "backup: LASTSAVE"

# A replica of the master, with the same generated config: it syncs as `replication`.
REPLICA="$(free_port)"
start replica "$REPLICA" --replicaof 127.0.0.1 "$MASTER"
linked() {
  redis-cli --no-auth-warning -p "$REPLICA" --user replication --pass replication-password \
    info replication | grep -q '^master_link_status:up'
}
wait_for "the replica syncs from the master as the replication user" linked || cat "$TMP/replica.log"
[ "$(redis-cli --no-auth-warning -p "$REPLICA" --user firegrid --pass service-password get k)" = v ] ||
  fail "the replica has the master's data"

# A Secret without the key `backup` (made before the user existed): the user is off, not one
# whose password hash is of nothing.
mkdir -p "$TMP/old-auth" "$TMP/old-run"
cp "$TMP/auth/password" "$TMP/auth/replication" "$TMP/old-auth/"
REDIS_AUTH_DIR="$TMP/old-auth" REDIS_CONF_DIR="$TMP/conf" REDIS_RUN_DIR="$TMP/old-run" \
  sh "$BASE/redis.sh" --users-only 2>/dev/null
grep -q '^user backup off ' "$TMP/old-run/users.acl" ||
  fail "without the key backup the backup user is not off: $(grep '^user backup' "$TMP/old-run/users.acl")"

# Without the key `replication` (or `password`) redis.sh refuses to write the users at all.
mkdir -p "$TMP/bad-auth"
cp "$TMP/auth/password" "$TMP/bad-auth/"
if REDIS_AUTH_DIR="$TMP/bad-auth" REDIS_CONF_DIR="$TMP/conf" REDIS_RUN_DIR="$TMP/old-run" \
  sh "$BASE/redis.sh" --users-only 2>/dev/null; then
  fail "redis.sh wrote users without the key replication"
fi

# The backup sidecar's round (backup-loop.sh --once) as the `backup` user: the replica is backed
# up (deploy/backup.sh, its data directory given), once per interval; the master, which has a
# replica, is not.
backup_round() {
  BACKUP_DIR="$TMP/backups-$1" DATA_DIR="$TMP/$1" REDIS_PORT="$2" REDIS_AUTH_DIR="$TMP/auth" \
    BACKUP_SCRIPT="$ROOT/deploy/backup.sh" bash "$BASE/backup-loop.sh" --once >"$TMP/round.log" 2>&1
}
backups_of() { find "$TMP/backups-$1" -mindepth 1 -maxdepth 1 -name 'firegrid-redis-*Z' | wc -l; }
mkdir -p "$TMP/backups-replica" "$TMP/backups-master"
backup_round replica "$REPLICA" || fail "backup round on the replica: $(cat "$TMP/round.log")"
[ "$(backups_of replica)" = 1 ] || fail "the replica was not backed up: $(cat "$TMP/round.log")"
bk="$(find "$TMP/backups-replica" -mindepth 1 -maxdepth 1 -name 'firegrid-redis-*Z')"
if ! [ -s "$bk/dump.rdb" ] || ! (cd "$bk" && sha256sum --quiet -c SHA256SUMS); then
  fail "the replica's backup has no RDB or does not verify"
fi
backup_round replica "$REPLICA" || fail "second backup round on the replica: $(cat "$TMP/round.log")"
[ "$(backups_of replica)" = 1 ] || fail "a second backup within the interval"
backup_round master "$MASTER" || fail "backup round on the master: $(cat "$TMP/round.log")"
[ "$(backups_of master)" = 0 ] || fail "the master was backed up while it has a replica"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "redis users: default PING only, firegrid without dangerous commands, replication syncs a replica, backup backs up a replica only"

