#!/bin/sh
# Starts one Redis of the set: a replica of the master the Sentinels name, or, while no Sentinel
# knows one (the first start of the set), of pod 0, which starts as the master.
set -eu
DOMAIN="redis-headless-$REDIS_OF.$NAMESPACE.svc.cluster.local"
ME="$POD_NAME.$DOMAIN"
MASTER="$(redis-cli -h "redis-sentinel-$REDIS_OF" -p 26379 --raw \
  sentinel get-master-addr-by-name "$REDIS_OF" 2>/dev/null | head -n 1 || true)"
[ -n "$MASTER" ] || MASTER="redis-$REDIS_OF-0.$DOMAIN"
set -- /etc/redis/redis.conf --replica-announce-ip "$ME"
[ "$MASTER" = "$ME" ] || set -- "$@" --replicaof "$MASTER" 6379
exec redis-server "$@"
