#!/bin/sh
# Starts one Sentinel of the set, monitoring the master the other Sentinels name (or pod 0 of
# the Redis StatefulSet on the first start); a quorum of 2 of the 3 decides a failover.
set -eu
DOMAIN="redis-headless-$REDIS_OF.$NAMESPACE.svc.cluster.local"
ME="$POD_NAME.$DOMAIN"
MASTER="$(redis-cli -h "redis-sentinel-$REDIS_OF" -p 26379 --raw \
  sentinel get-master-addr-by-name "$REDIS_OF" 2>/dev/null | head -n 1 || true)"
[ -n "$MASTER" ] || MASTER="redis-$REDIS_OF-0.$DOMAIN"
# The Sentinels reach the Redis of the set as its `replication` user (the Secret
# redis-<service>, key `replication`, mounted at /etc/redis-auth; redis.sh).
umask 077
cat >/data/sentinel.conf <<CONF
port 26379
dir /data
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $ME
sentinel monitor $REDIS_OF $MASTER 6379 2
sentinel auth-user $REDIS_OF replication
sentinel auth-pass $REDIS_OF $(cat /etc/redis-auth/replication)
sentinel down-after-milliseconds $REDIS_OF 5000
sentinel failover-timeout $REDIS_OF 60000
sentinel parallel-syncs $REDIS_OF 1
CONF
exec redis-sentinel /data/sentinel.conf
