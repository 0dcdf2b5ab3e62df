#!/usr/bin/env bash
# Stops what deploy/run-local.sh started (from the PID files in .state/pids/): the services,
# then the development broker, then Redis. Stale PID files are removed. Redis data stays.
set -euo pipefail
# shellcheck source=deploy/lib/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stack.sh"
if [ ! -d "$PID_DIR" ] || [ -z "$(ls -A "$PID_DIR" 2>/dev/null)" ]; then
  echo "nothing to stop (no PID files in $PID_DIR)"
  exit 0
fi
echo "stopping firegrid"
fg_stop_all all
