#!/bin/bash
# The backup sidecar of each Redis of the set (docs/backup-restore.md). Once a minute it looks
# for a backup in /backups (the pod's own PVC, not the data volume it protects) made within the
# last BACKUP_INTERVAL_MINUTES; when there is none, and this Redis is a replica (a master forks
# for no backup while it has a replica; one without replicas backs itself up), it runs
# deploy/backup.sh (bin/backup.sh, a copy made by deploy/sync-k8s-config.sh) on the data volume,
# mounted read-only, as the `backup` Redis user, and prunes /backups to the last KEEP_HOURS hours
# and each UTC day's first backup for KEEP_DAYS days. A failed backup is logged and tried again
# a minute later.
#
#   backup-loop.sh           in the pod: for ever
#   backup-loop.sh --once    one round, then exit (tests/k8s/redis_users_test.sh); BACKUP_DIR,
#                            DATA_DIR, REDIS_PORT, REDIS_AUTH_DIR and BACKUP_SCRIPT replace the
#                            pod's paths and port
set -u
BACKUPS="${BACKUP_DIR:-/backups}"
DATA="${DATA_DIR:-/data}"
PORT="${REDIS_PORT:-6379}"
SCRIPT="${BACKUP_SCRIPT:-/backup/bin/backup.sh}"
export FIREGRID_REDIS_USER=backup
REDISCLI_AUTH="$(cat "${REDIS_AUTH_DIR:-/etc/redis-auth}/backup" 2>/dev/null)"
export REDISCLI_AUTH
interval="${BACKUP_INTERVAL_MINUTES:-60}"
# info_field NAME — a field of this Redis's INFO replication.
info_field() {
  redis-cli --no-auth-warning --user backup -p "$PORT" INFO replication 2>/dev/null |
    tr -d '\r' | sed -n "s/^$1://p"
}
while :; do
  recent="$(find "$BACKUPS" -mindepth 1 -maxdepth 1 -type d -name 'firegrid-redis-*Z' \
    -mmin "-$interval" -print -quit 2>/dev/null)"
  role="$(info_field role)"
  if [ -z "$role" ]; then
    # Logged every round, and the pod keeps serving: a crashing sidecar would make it unready.
    echo "backup-loop: cannot read INFO as the Redis user backup (is the key backup in the" \
      "Secret redis-<service>?); no backup" >&2
  fi
  if [ -z "$recent" ] && { [ "$role" = slave ] ||
    { [ "$role" = master ] && [ "$(info_field connected_slaves)" = 0 ]; }; }; then
    if ! bash "$SCRIPT" --out "$BACKUPS" --port "$PORT" --data-dir "$DATA" \
      --keep-hours "${KEEP_HOURS:-48}" --keep-days "${KEEP_DAYS:-35}"; then
      echo "backup-loop: the backup failed; trying again in a minute" >&2
    fi
  fi
  [ "${1:-}" != --once ] || exit 0
  sleep 60
done
