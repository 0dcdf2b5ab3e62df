#!/usr/bin/env bash
# Copies the rules the services load from config/ (the one home of the rules) into the
# kustomize tree, k8s/base/<service>/config/, so that the overlays render with plain
# `kubectl kustomize` (kustomize reads no file outside its root). Run it after changing a
# rules file; the k8s render test fails while a copy differs from config/.
#
#   deploy/sync-k8s-config.sh [--check] [-h | --help]
#
#   --check     change nothing; exit 1 naming every copy that differs from config/
#   -h, --help  print this text and do nothing else
#
# Exit status: 0 in sync (or synced), 1 a copy differs (--check), 2 a wrong argument.
set -euo pipefail

# shellcheck source=deploy/lib/usage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/usage.sh"
check=0
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    --check) check=1 ;;
    *) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument: $arg" ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# service: the config/ files its rules ConfigMap holds
declare -A FILES=(
  [buildings]="buildings_rules.textproto"
  [hazards]="hazards_rules.textproto hazards_guidance.textproto"
  [notify]="plan_tasks.textproto"
  [credit]="credit_rules.textproto"
  [monitoring]="monitoring_rules.textproto"
  [gateway]="gateway.textproto"
)
status=0
for service in "${!FILES[@]}"; do
  for file in ${FILES[$service]}; do
    src="$ROOT/config/$file"
    dst="$ROOT/k8s/base/$service/config/$file"
    if cmp -s "$src" "$dst"; then continue; fi
    if [ "$check" -eq 1 ]; then
      echo "k8s/base/$service/config/$file differs from config/$file: run deploy/sync-k8s-config.sh" >&2
      status=1
    else
      mkdir -p "$(dirname "$dst")"
      cp "$src" "$dst"
      echo "copied config/$file to k8s/base/$service/config/"
    fi
  done
done
exit "$status"
