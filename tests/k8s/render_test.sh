#!/usr/bin/env bash
# Renders k8s/base and every overlay with kustomize and checks the properties the deployment
# relies on: native gRPC probes, non-root, read-only root filesystem, no privilege escalation,
# dropped capabilities, resource requests and limits, a PodDisruptionBudget per Deployment, the
# rules ConfigMap identical to config/, and what each overlay changes.
# Exit 77 (CTest SKIP) when neither kubectl nor kustomize is installed.
#
#   tests/k8s/render_test.sh [REPO_ROOT]
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
if command -v kubectl >/dev/null 2>&1; then
  render() { kubectl kustomize --load-restrictor LoadRestrictionsNone "$1"; }
elif command -v kustomize >/dev/null 2>&1; then
  render() { kustomize build --load-restrictor LoadRestrictionsNone "$1"; }
else
  echo "SKIP: neither kubectl nor kustomize is installed"
  exit 77
fi

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
failures=0
fail() {
  echo "FAIL [$1]: $2"
  failures=$((failures + 1))
}
count() { grep -c -E -- "$2" "$1" || true; }

# expect_each NAME FILE PATTERN WHAT — PATTERN occurs at least once per Deployment.
expect_each() {
  local n
  n="$(count "$2" "$3")"
  if [ "$n" -lt "$DEPLOYMENTS" ]; then fail "$1" "$4: $n for $DEPLOYMENTS Deployment(s)"; fi
}
expect() { grep -q -E -- "$3" "$2" || fail "$1" "$4"; }
expect_not() { if grep -q -E -- "$3" "$2"; then fail "$1" "$4"; fi; }

for target in base overlays/dev overlays/prod; do
  f="$OUT/${target//\//_}.yaml"
  if ! render "$ROOT/k8s/$target" >"$f" 2>"$f.err"; then
    fail "$target" "kustomize failed: $(cat "$f.err")"
    continue
  fi
  DEPLOYMENTS="$(count "$f" '^kind: Deployment$')"
  [ "$DEPLOYMENTS" -ge 1 ] || fail "$target" "no Deployment rendered"
  [ "$(count "$f" '^kind: PodDisruptionBudget$')" -eq "$DEPLOYMENTS" ] ||
    fail "$target" "one PodDisruptionBudget per Deployment"
  [ "$(count "$f" '^kind: Service$')" -ge "$DEPLOYMENTS" ] || fail "$target" "a Service per Deployment"
  expect_each "$target" "$f" '^ +livenessProbe:$' "livenessProbe"
  expect_each "$target" "$f" '^ +readinessProbe:$' "readinessProbe"
  # Every probe is a native gRPC probe on the gRPC port.
  probes="$(count "$f" '^ +(liveness|readiness|startup)Probe:$')"
  [ "$(count "$f" '^ +grpc:$')" -eq "$probes" ] || fail "$target" "every probe uses grpc:"
  [ "$(count "$f" '^ +port: 50051$')" -ge "$probes" ] || fail "$target" "probes on port 50051"
  expect_not "$target" "$f" '^ +(httpGet|tcpSocket):$' "no HTTP or TCP probes"
  expect_each "$target" "$f" '^ +runAsNonRoot: true$' "runAsNonRoot"
  expect_each "$target" "$f" '^ +runAsUser: 65532$' "runAsUser 65532"
  expect_each "$target" "$f" '^ +readOnlyRootFilesystem: true$' "readOnlyRootFilesystem"
  expect_each "$target" "$f" '^ +allowPrivilegeEscalation: false$' "allowPrivilegeEscalation false"
  expect_each "$target" "$f" '^ +- ALL$' "capabilities drop ALL"
  expect_each "$target" "$f" '^ +limits:$' "resource limits"
  expect_each "$target" "$f" '^ +requests:$' "resource requests"
  expect_not "$target" "$f" 'privileged: true' "nothing privileged"
  expect "$target" "$f" 'FIREGRID_KAFKA_BOOTSTRAP: ' "Kafka bootstrap in a ConfigMap"
  expect "$target" "$f" 'FIREGRID_REDIS_ADDR: ' "Redis address in a ConfigMap"
  expect "$target" "$f" 'FIREGRID_LOG_LEVEL: ' "log level in a ConfigMap"
  # The rules ConfigMap carries config/buildings_rules.textproto verbatim.
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    grep -q -F -- "    $line" "$f" || {
      fail "$target" "rules ConfigMap differs from config/buildings_rules.textproto at: $line"
      break
    }
  done <"$ROOT/config/buildings_rules.textproto"
  expect "$target" "$f" 'name: buildings-rules-[a-z0-9]+$' "rules ConfigMap generated (hashed name)"
done

dev="$OUT/overlays_dev.yaml"
prod="$OUT/overlays_prod.yaml"
base="$OUT/base.yaml"
if [ -f "$base" ]; then
  expect base "$base" '^  replicas: 2$' "base runs 2 replicas"
  expect base "$base" 'FIREGRID_JWT_RS256_PUBLIC_KEY_FILE' "base verifies RS256"
  expect base "$base" 'secretName: firegrid-jwt$' "base references the firegrid-jwt Secret"
  expect_not base "$base" '^kind: Secret$' "base includes no Secret"
fi
if [ -f "$dev" ]; then
  expect dev "$dev" '^  replicas: 1$' "dev runs 1 replica"
  expect_not dev "$dev" '^  replicas: [02-9]' "dev runs 1 replica everywhere"
  expect dev "$dev" 'image: firegrid/buildings:dev$' "dev image tag"
  expect dev "$dev" '^kind: Secret$' "dev generates its HS256 Secret"
  expect dev "$dev" 'hs256.key: ' "dev Secret holds hs256.key"
  expect dev "$dev" 'FIREGRID_JWT_HS256_KEY_FILE: /etc/firegrid/jwt/hs256.key' "dev verifies HS256"
  expect_not dev "$dev" 'FIREGRID_JWT_RS256_PUBLIC_KEY_FILE' "dev has no RS256 setting"
  expect dev "$dev" 'secretName: firegrid-jwt-[a-z0-9]+$' "dev mounts the generated Secret"
  expect dev "$dev" 'namespace: firegrid-dev$' "dev namespace"
fi
if [ -f "$prod" ]; then
  expect prod "$prod" '^  replicas: 3$' "prod runs 3 replicas"
  expect_not prod "$prod" '^  replicas: [0-24-9]' "prod runs 3 replicas everywhere"
  expect prod "$prod" 'image: registry.example.com/firegrid/buildings:0.1.0$' "prod image"
  expect prod "$prod" 'FIREGRID_JWT_RS256_PUBLIC_KEY_FILE: /etc/firegrid/jwt/public.pem' "prod verifies RS256"
  expect prod "$prod" 'secretName: firegrid-jwt$' "prod references the external Secret"
  expect_not prod "$prod" '^kind: Secret$' "prod includes no Secret"
  expect prod "$prod" '^ +memory: 1Gi$' "prod has higher memory limits"
  expect prod "$prod" 'namespace: firegrid$' "prod namespace"
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "k8s render: base, dev and prod render and pass every check"
