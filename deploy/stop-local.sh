#!/usr/bin/env bash
# Stops what deploy/run-local.sh started (from the PID files in .state/pids/): the device
# simulator, the services, then the MQTT broker and the development Kafka broker, then Redis.
# Stale PID files are removed. Redis data, the MQTT credentials and the
# logs stay.
#
#   deploy/stop-local.sh [-h | --help]
#
#   -h, --help  print this text and do nothing else
#
# Environment: FIREGRID_STATE_DIR (default .state/). Exit status: 0 stopped (or nothing to
# stop), 2 a wrong argument.
set -euo pipefail

# shellcheck source=deploy/lib/usage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/usage.sh"
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument $arg" ;;
  esac
done
# shellcheck source=deploy/lib/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stack.sh"
if [ ! -d "$PID_DIR" ] || [ -z "$(ls -A "$PID_DIR" 2>/dev/null)" ]; then
  echo "nothing to stop (no PID files in $PID_DIR)"
  exit 0
fi
echo "stopping firegrid"
fg_stop_all all
