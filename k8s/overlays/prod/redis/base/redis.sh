#!/bin/sh
# Starts one Redis of the set: a replica of the master the Sentinels name, or, while no Sentinel
# knows one (the first start of the set), of pod 0, which starts as the master.
#
# Users (ACL), from the Secret redis-<service> mounted at /etc/redis-auth:
#   default      PING only, without a password (the probes)
#   firegrid     the service (key `password`), with the rules of firegrid-user.acl
#   replication  the replicas of the set (masteruser) and its Sentinels (key `replication`)
#   backup       the backup sidecar (key `backup`): INFO, BGSAVE, LASTSAVE and PING only
# Only SHA-256 hashes of the passwords go into the users file; it and the generated config live
# in /run/redis (memory, rebuilt on every start), never on the data volume.
#
#   redis.sh               in the pod: write the users and the config, then run Redis
#   redis.sh --users-only  write them and stop (tests/k8s/redis_users_test.sh loads them into a
#                          real redis-server); REDIS_AUTH_DIR, REDIS_CONF_DIR and REDIS_RUN_DIR
#                          replace the pod's paths
set -eu
AUTH="${REDIS_AUTH_DIR:-/etc/redis-auth}"
CONF="${REDIS_CONF_DIR:-/etc/redis}"
RUN="${REDIS_RUN_DIR:-/run/redis}"

# hash FILE — the SHA-256 of the file's contents without trailing line breaks (as the services
# read a password file).
hash() { printf '%s' "$(cat "$1")" | sha256sum | cut -d ' ' -f 1; }
umask 077
# The set cannot work without these; a missing one must not become a password hash of nothing.
for key in password replication; do
  if [ ! -s "$AUTH/$key" ]; then
    echo "redis.sh: no key $key in the Secret mounted at $AUTH" >&2
    exit 1
  fi
done
{
  echo "user default on nopass resetchannels -@all +ping"
  echo "user firegrid on #$(hash "$AUTH/password") $(grep -v '^#' "$CONF/firegrid-user.acl" | tr '\n' ' ')"
  # A Secret made before the backup user existed has no key `backup`: the user is then off (no
  # password hash of nothing), and the sidecar logs that it cannot log in.
  if [ -s "$AUTH/backup" ]; then
    echo "user backup on #$(hash "$AUTH/backup") resetchannels -@all +ping +info +bgsave +lastsave"
  else
    echo "user backup off resetchannels -@all"
  fi
  echo "user replication on #$(hash "$AUTH/replication") resetchannels &__sentinel__:hello -@all +psync +replconf +ping +multi +exec +slaveof +replicaof +config|rewrite +role +publish +subscribe +info +client|setname +client|kill +script|kill"
} >"$RUN/users.acl"
{
  echo "include $CONF/redis.conf"
  echo "aclfile $RUN/users.acl"
  echo "masteruser replication"
  echo "masterauth $(cat "$AUTH/replication")"
} >"$RUN/redis.conf"
[ "${1:-}" != --users-only ] || exit 0

DOMAIN="redis-headless-$REDIS_OF.$NAMESPACE.svc.cluster.local"
ME="$POD_NAME.$DOMAIN"
MASTER="$(redis-cli -h "redis-sentinel-$REDIS_OF" -p 26379 --raw \
  sentinel get-master-addr-by-name "$REDIS_OF" 2>/dev/null | head -n 1 || true)"
[ -n "$MASTER" ] || MASTER="redis-$REDIS_OF-0.$DOMAIN"

set -- "$RUN/redis.conf" --replica-announce-ip "$ME"
[ "$MASTER" = "$ME" ] || set -- "$@" --replicaof "$MASTER" 6379
# A write torn by a crash is cut off the AOF whole before Redis reads it (redis-repair-aof.sh
# says why); when the AOF cannot even be checked, the pod fails here, saying so.
sh "$(dirname "$0")/redis-repair-aof.sh" /data
exec redis-server "$@"
