#!/usr/bin/env bash
# Copies the Secrets Strimzi makes for firegrid from the Kafka namespace into firegrid's, where
# the prod services mount them: each service's KafkaUser password (`firegrid-<service>`, key
# `password`) and the cluster CA (`firegrid-cluster-ca-cert`, key `ca.crt`). Only those keys are
# copied (never the CA's private key). Run it after the Kafka cluster and its users are ready,
# and again after Strimzi rotates a password or the CA (then restart the services).
#
#   deploy/k8s-copy-kafka-secrets.sh [--from NS] [--to NS] [--print]
#
#   --from NS    the namespace Strimzi runs the cluster in (default kafka)
#   --to NS      firegrid's namespace (default firegrid)
#   --print      print the Secrets instead of applying them (review them first)
#   -h, --help   print this text and do nothing else
#
# Needs kubectl with access to both namespaces. Exit status: 2 for a wrong argument, 1 when a
# Secret or a key is missing (nothing after it is applied).
set -euo pipefail

# shellcheck source=deploy/lib/usage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/usage.sh"
FROM=kafka
TO=firegrid
print=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    --from | --to)
      [ "$#" -ge 2 ] || fg_usage_error "${BASH_SOURCE[0]}" "$1 needs a namespace"
      if [ "$1" = --from ]; then FROM="$2"; else TO="$2"; fi
      shift
      ;;
    --print) print=1 ;;
    *) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument: $1" ;;
  esac
  shift
done
command -v kubectl >/dev/null 2>&1 || { echo "error: kubectl is missing" >&2; exit 1; }

SERVICES=(buildings hazards notify credit monitoring accounts gateway)
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
umask 077

# copy NAME KEY — the Secret NAME's KEY from $FROM into a Secret NAME with that one key in $TO.
copy() {
  local name="$1" key="$2" value
  # jsonpath escapes the dot of a key such as ca.crt.
  value="$(kubectl -n "$FROM" get secret "$name" -o "jsonpath={.data.${key//./\\.}}")" || {
    echo "error: no Secret $name in namespace $FROM (is the KafkaUser ready?)" >&2
    exit 1
  }
  if [ -z "$value" ]; then
    echo "error: the Secret $name in namespace $FROM has no key $key" >&2
    exit 1
  fi
  printf '%s' "$value" | base64 -d >"$TMP/$key"
  kubectl -n "$TO" create secret generic "$name" --from-file="$key=$TMP/$key" \
    --dry-run=client -o yaml >"$TMP/$name.yaml"
  rm -f "$TMP/$key"
  if [ "$print" -eq 1 ]; then
    echo "---"
    cat "$TMP/$name.yaml"
  else
    kubectl apply -f "$TMP/$name.yaml" >/dev/null
    echo "copied $FROM/$name ($key) to $TO/$name"
  fi
  rm -f "$TMP/$name.yaml"
}

copy firegrid-cluster-ca-cert ca.crt
for svc in "${SERVICES[@]}"; do copy "firegrid-$svc" password; done
