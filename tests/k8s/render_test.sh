#!/usr/bin/env bash
# Renders k8s/base and every overlay with kustomize and checks the properties the deployment
# relies on: native gRPC probes, non-root, read-only root filesystem, no privilege escalation,
# dropped capabilities, resource requests and limits, a PodDisruptionBudget per Deployment, the
# rules ConfigMap identical to config/, and what each overlay changes. Every service of
# SERVICES below is checked on its own: its Deployment (ports, probes on its gRPC port:
# liveness on the `liveness` service, readiness on the whole server), Service, PDB, its own
# ConfigMap and its rules ConfigMap carrying its config/ files verbatim, its ServiceAccount
# without a token, its headless Service, its NetworkPolicy (both ends of every gRPC flow of
# FLOWS, no other caller, DNS, Redis, Kafka, Prometheus). Each overlay has its Namespace and the
# gateway's Ingress; the dependencies (dev: Redis, Kafka, mosquitto; prod: Redis with Sentinel,
# prod/kafka's Strimzi resources) are checked, their topic lists against libs/events/topics.h;
# prod has an HPA per Deployment and the observability objects; every image is pinned; no
# Secret value is ever in the repository (the dev overlay's come from files deploy/k8s-dev-secrets.sh makes,
# here in a temporary copy of k8s/, so the test leaves nothing in the tree).
# Exit 77 (CTest SKIP) when neither kubectl nor kustomize is installed, or openssl or
# mosquitto_passwd (which the dev secrets script needs) is missing.
#
#   tests/k8s/render_test.sh [REPO_ROOT]
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
if command -v kubectl >/dev/null 2>&1; then
  render() { kubectl kustomize "$1"; }
elif command -v kustomize >/dev/null 2>&1; then
  render() { kustomize build "$1"; }
else
  echo "SKIP: neither kubectl nor kustomize is installed"
  exit 77
fi

for tool in openssl mosquitto_passwd; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed (deploy/k8s-dev-secrets.sh needs it)"
    exit 77
  fi
done

OUT="$(mktemp -d)"
trap '[ -n "${KEEP_OUT:-}" ] || rm -rf "$OUT"' EXIT
# Render a copy of k8s/ whose dev secrets are made afresh by the script operators run.
cp -r "$ROOT/k8s" "$OUT/k8s"
rm -rf "$OUT/k8s/overlays/dev/secrets"
SECRETS="$OUT/k8s/overlays/dev/secrets"
bash "$ROOT/deploy/k8s-dev-secrets.sh" "$SECRETS" >/dev/null
failures=0
fail() {
  echo "FAIL [$1]: $2"
  failures=$((failures + 1))
}
# The rules ConfigMaps are generated from copies of config/ in the kustomize tree: they must not
# drift from the files the services are tested with.
if ! bash "$ROOT/deploy/sync-k8s-config.sh" --check; then
  fail config-copies "a copy in k8s/ differs from config/ or deploy/observability/ (run deploy/sync-k8s-config.sh)"
fi
count() { grep -c -E -- "$2" "$1" || true; }

# expect_each NAME FILE PATTERN WHAT — PATTERN occurs at least once per Deployment.
expect_each() {
  local n
  n="$(count "$2" "$3")"
  if [ "$n" -lt "$DEPLOYMENTS" ]; then fail "$1" "$4: $n for $DEPLOYMENTS Deployment(s)"; fi
}
expect() { grep -q -E -- "$3" "$2" || fail "$1" "$4"; }
expect_not() { if grep -q -E -- "$3" "$2"; then fail "$1" "$4"; fi; }

# The services: name, gRPC port, metrics port, then the config/ files of its rules ConfigMap.
# Every rendered Deployment must be one of them: adding a service to k8s/ is adding its line.
SERVICES=(
  "buildings 50051 9464 buildings_rules.textproto"
  "hazards 50052 9465 hazards_rules.textproto hazards_guidance.textproto"
  "notify 50053 9466 plan_tasks.textproto"
  "credit 50054 9467 credit_rules.textproto"
  "monitoring 50055 9468 monitoring_rules.textproto"
  "accounts 50056 9469"
  "gateway 50057 9470 gateway.textproto"
)

# doc KIND NAME FILE — the rendered document of that kind whose metadata.name is NAME, or whose
# name is NAME-<hash> (generated ConfigMaps) when NAME ends in "-".
doc() {
  awk -v kind="$1" -v name="$2" '
    function flush() {
      if (buf ~ ("(^|\n)kind: " kind "\n") &&
          (buf ~ ("\n  name: " name "\n") || (name ~ /-$/ && buf ~ ("\n  name: " name "[a-z0-9]+\n"))))
        printf "%s", buf
      buf = ""
    }
    /^---$/ { flush(); next }
    { buf = buf $0 "\n" }
    END { flush() }' "$3"
}

# block KEY — the lines nested under the first "KEY:" line of stdin (deeper indentation).
block() {
  awk -v key="$1" '
    !found && $0 ~ ("^ *" key ":$") { found = 1; match($0, /^ */); ind = RLENGTH; next }
    found { match($0, /^ */); if (RLENGTH <= ind) exit; print }'
}

# check_service TARGET FILE NAME GRPC_PORT METRICS_PORT RULES_FILES...
check_service() {
  local target="$1" f="$2" name="$3" grpc="$4" metrics="$5" d probe cm line rules
  shift 5
  d="$OUT/$target-$name.deployment"
  doc Deployment "$name" "$f" >"$d"
  if [ ! -s "$d" ]; then
    fail "$target" "no Deployment $name"
    return
  fi
  expect "$target/$name" "$d" "^ +- containerPort: $grpc\$" "container gRPC port $grpc"
  expect "$target/$name" "$d" "^ +- containerPort: $metrics\$" "container metrics port $metrics"
  expect "$target/$name" "$d" "prometheus.io/port: \"$metrics\"\$" "scrape annotation on $metrics"
  for probe in startupProbe readinessProbe livenessProbe; do
    block "$probe" <"$d" >"$d.$probe"
  done
  if [ "$target" = overlays_prod ]; then
    # Prod's gRPC port speaks TLS, which gRPC probes cannot: the same readiness over HTTP on the
    # metrics port (/readyz, the readiness checks; /healthz, the process serves).
    for probe in startupProbe readinessProbe; do
      grep -q -E '^ +path: /readyz$' "$d.$probe" || fail "$target/$name" "$probe is not /readyz"
      grep -q -E '^ +port: metrics$' "$d.$probe" || fail "$target/$name" "$probe not on the metrics port"
    done
    grep -q -E '^ +path: /healthz$' "$d.livenessProbe" || fail "$target/$name" "livenessProbe is not /healthz"
    expect "$target/$name" "$d" "secretName: $name-tls\$" "mounts its TLS certificate $name-tls"
    expect "$target/$name" "$d" "^ +name: metrics\$" "names its metrics port (the probes use the name)"
  else
    for probe in startupProbe readinessProbe livenessProbe; do
      grep -q -E "^ +grpc:\$" "$d.$probe" || fail "$target/$name" "$probe is not a grpc probe"
      grep -q -E "^ +port: $grpc\$" "$d.$probe" || fail "$target/$name" "$probe not on port $grpc"
    done
    grep -q -E '^ +service: liveness$' "$d.livenessProbe" ||
      fail "$target/$name" "livenessProbe checks the liveness service"
    if grep -q -E '^ +service:' "$d.readinessProbe"; then
      fail "$target/$name" "readinessProbe checks the whole server (no service name)"
    fi
  fi
  expect "$target/$name" "$d" "name: $name-config-[a-z0-9]+\$" "envFrom its generated ConfigMap"
  # A service with rules files mounts them (accounts has none).
  if [ "$#" -gt 0 ]; then
    expect "$target/$name" "$d" "name: $name-rules-[a-z0-9]+\$" "mounts its generated rules ConfigMap"
  fi
  if [ "$target" = overlays_prod ]; then
    # Prod: the service is the `firegrid` ACL user of its Redis set, its password a file from the
    # Secret redis-<service> (the Redis set reads the same Secret).
    expect "$target/$name" "$d" "secretName: redis-$name\$" "Redis password from the Secret redis-$name"
    expect "$target/$name" "$d" "mountPath: /etc/firegrid/redis\$" "mounts the Redis password file"
  else
    expect_not "$target/$name" "$d" "secretName: redis-" "no Redis password outside prod"
  fi
  # Its own identity, with no API token mounted (it calls no Kubernetes API).
  expect "$target/$name" "$d" "^      serviceAccountName: $name\$" "runs as its ServiceAccount $name"
  expect "$target/$name" "$d" "^      automountServiceAccountToken: false\$" "mounts no API token"
  doc ServiceAccount "$name" "$f" >"$d.sa"
  [ -s "$d.sa" ] || fail "$target/$name" "no ServiceAccount $name"
  expect "$target/$name" "$d.sa" "^automountServiceAccountToken: false\$" "ServiceAccount $name mounts no token"
  doc Service "$name" "$f" >"$d.service"
  expect "$target/$name" "$d.service" "^ +port: $grpc\$" "Service gRPC port $grpc"
  expect "$target/$name" "$d.service" "^ +port: $metrics\$" "Service metrics port $metrics"
  # A headless Service beside it for clients that balance per call (round_robin over the pods'
  # addresses); the gateway's gRPC port answers health checks only and has none.
  if [ "$name" != gateway ]; then
    doc Service "$name-headless" "$f" >"$d.headless"
    [ -s "$d.headless" ] || fail "$target/$name" "no headless Service $name-headless"
    expect "$target/$name" "$d.headless" "^  clusterIP: None\$" "$name-headless is headless"
    expect "$target/$name" "$d.headless" "^ +port: $grpc\$" "$name-headless on gRPC port $grpc"
    expect "$target/$name" "$d.headless" "^    app.kubernetes.io/name: $name\$" "$name-headless selects $name"
  fi
  doc PodDisruptionBudget "$name" "$f" >"$d.pdb"
  [ -s "$d.pdb" ] || fail "$target/$name" "no PodDisruptionBudget $name"
  cm="$d.config"
  doc ConfigMap "$name-config-" "$f" >"$cm"
  expect "$target/$name" "$cm" "FIREGRID_GRPC_ADDRESS: 0.0.0.0:$grpc\$" "listens on $grpc"
  expect "$target/$name" "$cm" "FIREGRID_METRICS_ADDRESS: 0.0.0.0:$metrics\$" "metrics on $metrics"
  expect "$target/$name" "$cm" "FIREGRID_REDIS_ADDR: redis-$name:6379\$" "its own Redis"
  doc ConfigMap "$name-rules-" "$f" >"$d.rules"
  # The rules ConfigMap carries each config/ file verbatim, and the service is told where.
  for rules in "$@"; do
    grep -q -E "^  $rules: [|]" "$d.rules" || fail "$target/$name" "rules ConfigMap lacks $rules"
    grep -q -F "/etc/firegrid/rules/$rules" "$cm" ||
      fail "$target/$name" "$name-config does not point at /etc/firegrid/rules/$rules"
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      grep -q -F -- "    $line" "$d.rules" || {
        fail "$target/$name" "rules ConfigMap differs from config/$rules at: $line"
        break
      }
    done <"$ROOT/config/$rules"
  done
}

# split_deps FILE — moves the documents of the dependencies the overlays run (label
# firegrid.io/dependency: NAME — mosquitto, redis, kafka; not firegrid services: other ports,
# exec/TCP probes, StatefulSets) from FILE to FILE.dep-NAME, which check_dependency and the
# overlay checks below look at.
split_deps() {
  awk -v f="$1" '
    function flush(  m) {
      if (buf == "") return
      if (match(buf, /\n    firegrid.io\/dependency: [a-z0-9-]+\n/))
        printf "---\n%s", buf > (f ".dep-" substr(buf, RSTART + 29, RLENGTH - 30))
      else
        printf "---\n%s", buf > (f ".rest")
      buf = ""
    }
    /^---$/ { flush(); next }
    { buf = buf $0 "\n" }
    END { flush() }' "$1"
  touch "$1.rest"
  mv "$1.rest" "$1"
}

# each_doc FILE KIND_REGEX PREFIX — writes each document of a kind matching KIND_REGEX to
# PREFIX.1, PREFIX.2, ... and prints their names.
each_doc() {
  awk -v kind="$2" -v prefix="$3" '
    function flush() {
      if (buf ~ ("(^|\n)kind: (" kind ")\n")) { n++; printf "%s", buf > (prefix "." n); print prefix "." n }
      buf = ""
    }
    /^---$/ { flush(); next }
    { buf = buf $0 "\n" }
    END { flush() }' "$1"
}

# check_dependency TARGET FILE — every workload of a dependency runs like the services: its own
# ServiceAccount without a token, non-root, read-only root filesystem, no privilege escalation,
# all capabilities dropped, RuntimeDefault seccomp, requests and limits, a pinned image.
check_dependency() {
  local target="$1" w name
  while IFS= read -r w; do
    name="$(sed -n -E 's/^  name: (.*)$/\1/p' "$w" | head -n 1)"
    expect "$target/$name" "$w" '^      serviceAccountName: [a-z]' "its own ServiceAccount"
    expect "$target/$name" "$w" '^      automountServiceAccountToken: false$' "mounts no API token"
    expect "$target/$name" "$w" '^ +runAsNonRoot: true$' "runAsNonRoot"
    expect "$target/$name" "$w" '^ +readOnlyRootFilesystem: true$' "readOnlyRootFilesystem"
    expect "$target/$name" "$w" '^ +allowPrivilegeEscalation: false$' "no privilege escalation"
    expect "$target/$name" "$w" '^ +- ALL$' "capabilities drop ALL"
    expect "$target/$name" "$w" '^ +type: RuntimeDefault$' "RuntimeDefault seccomp"
    expect "$target/$name" "$w" '^ +limits:$' "resource limits"
    expect "$target/$name" "$w" '^ +requests:$' "resource requests"
  done < <(each_doc "$2" 'Deployment|StatefulSet|Job' "$2.workload")
}

# The topics libs/events/topics.h declares, "name partitions" (AllTopics: each domain topic
# with kDomainTopicPartitions, its kDlqSuffix topic with kDlqTopicPartitions).
topics_h="$ROOT/libs/events/topics.h"
domain_partitions="$(sed -n -E 's/.*kDomainTopicPartitions = ([0-9]+);.*/\1/p' "$topics_h")"
dlq_partitions="$(sed -n -E 's/.*kDlqTopicPartitions = ([0-9]+);.*/\1/p' "$topics_h")"
dlq_suffix="$(sed -n -E 's/.*kDlqSuffix = "([^"]+)";.*/\1/p' "$topics_h")"
TOPICS="$(sed -n -E 's/.*k[A-Za-z]+Topic = "([^"]+)";.*/\1/p' "$topics_h" |
  while read -r t; do echo "$t $domain_partitions"; echo "$t$dlq_suffix $dlq_partitions"; done | sort)"
if [ "$(echo "$TOPICS" | wc -l)" -lt 2 ] || [ -z "$domain_partitions" ]; then
  fail topics "could not read the topics from libs/events/topics.h"
fi

# The gRPC flows of docs/architecture.md: "caller target". Nothing else may reach a service's
# gRPC port (the gateway's is health only: the kubelet's probes).
FLOWS=(
  "gateway buildings" "gateway hazards" "gateway notify" "gateway credit" "gateway monitoring"
  "gateway accounts" "monitoring hazards" "monitoring notify"
)
# admits FLAT DIRECTION POD_LABELS PEER PORT — true when a NetworkPolicy that applies to a pod
# with POD_LABELS (every label of its podSelector among them) and has DIRECTION (Ingress or
# Egress) among its types has a rule admitting PEER (exactly, or a rule without peers: anyone)
# on PORT (or a rule without ports: every port). FLAT is netpol_flat.awk's output.
admits() {
  awk -v dir="$(echo "$2" | tr '[:lower:]' '[:upper:]')" -v type="$2" -v labels=" $3 " -v peer="$4" -v port="$5" '
    $2 == "SELECT" { ok = 1; for (i = 3; i <= NF; i++) if ($i != "*" && index(labels, " " $i " ") == 0) ok = 0
                     sel[$1] = ok }
    $2 == "TYPES" { types[$1] = $0 " " }
    $2 == dir { rules[$1 SUBSEP $3] = 1 }
    $2 == dir && $4 == "PEER" { peers[$1 SUBSEP $3] = 1; p = $0; sub(/^[^.]*[.] /, "", p)
                                if (p == peer) hit[$1 SUBSEP $3] = 1 }
    $2 == dir && $4 == "PORT" { ports[$1 SUBSEP $3] = 1; if ($5 == port) portok[$1 SUBSEP $3] = 1 }
    END {
      for (k in rules) {
        split(k, a, SUBSEP)
        if (sel[a[1]] && index(types[a[1]], " " type " ") && (hit[k] || !peers[k]) &&
            (portok[k] || !ports[k])) found = 1
      }
      exit !found
    }' "$1"
}
pod_labels() { echo "app.kubernetes.io/name=$1 app.kubernetes.io/component=service app.kubernetes.io/part-of=firegrid"; }

# check_network TARGET FILE KAFKA_PEER KAFKA_PORT MQTT_PEER — default deny, DNS, the gRPC flows (both
# ends) and no others, Redis, Kafka, Prometheus, the ingress controller, webhooks, MQTT.
check_network() {
  local target="$1" f="$2" kafka_peer="$3" kafka_port="$4" mqtt_peer="$5" flat="$2.netpol" svc name caller
  awk -f "$ROOT/tests/k8s/netpol_flat.awk" "$f" >"$flat"
  awk '$2 == "SELECT" && $3 == "*" { all[$1] = 1 } $2 == "TYPES" && /Ingress/ && /Egress/ { both[$1] = 1 }
       $2 == "INGRESS" || $2 == "EGRESS" { rules[$1] = 1 }
       END { for (p in all) if (both[p] && !rules[p]) found = 1; exit !found }' "$flat" ||
    fail "$target" "no default-deny NetworkPolicy (every pod, Ingress and Egress, no rule)"
  for svc in "${SERVICES[@]}"; do
    name="${svc%% *}"
    # shellcheck disable=SC2086  # the line is words by design: name, gRPC port, metrics port
    set -- $svc
    admits "$flat" Egress "$(pod_labels "$name")" \
      "namespaceSelector:kubernetes.io/metadata.name=kube-system podSelector:k8s-app=kube-dns" 53 ||
      fail "$target/$name" "NetworkPolicy: no DNS egress"
    admits "$flat" Egress "$(pod_labels "$name")" "podSelector:firegrid.io/redis-of=$name" 6379 ||
      fail "$target/$name" "NetworkPolicy: no egress to its Redis"
    admits "$flat" Egress "$(pod_labels "$name")" "$kafka_peer" "$kafka_port" ||
      fail "$target/$name" "NetworkPolicy: no egress to Kafka ($kafka_peer:$kafka_port)"
    admits "$flat" Ingress "$(pod_labels "$name")" \
      "namespaceSelector:kubernetes.io/metadata.name=monitoring podSelector:app.kubernetes.io/name=prometheus" "$3" ||
      fail "$target/$name" "NetworkPolicy: Prometheus cannot scrape metrics port $3"
    # Every service that is not its caller is refused on its gRPC port, at both ends.
    for caller in "${SERVICES[@]}"; do
      caller="${caller%% *}"
      if printf '%s\n' "${FLOWS[@]}" | grep -q -x -F "$caller $name"; then
        admits "$flat" Ingress "$(pod_labels "$name")" "podSelector:app.kubernetes.io/name=$caller" "$2" ||
          fail "$target/$name" "NetworkPolicy: $caller cannot reach $name on $2"
        admits "$flat" Egress "$(pod_labels "$caller")" "podSelector:app.kubernetes.io/name=$name" "$2" ||
          fail "$target/$caller" "NetworkPolicy: $caller may not connect to $name on $2"
      elif admits "$flat" Ingress "$(pod_labels "$name")" "podSelector:app.kubernetes.io/name=$caller" "$2"; then
        fail "$target/$name" "NetworkPolicy: $caller, not a caller of $name, is admitted on $2"
      fi
    done
  done
  admits "$flat" Ingress "$(pod_labels gateway)" \
    "namespaceSelector:kubernetes.io/metadata.name=ingress-nginx podSelector:app.kubernetes.io/name=ingress-nginx" 8080 ||
    fail "$target/gateway" "NetworkPolicy: the ingress controller cannot reach the gateway's HTTP port"
  admits "$flat" Egress "$(pod_labels notify)" "ipBlock:0.0.0.0/0" 443 ||
    fail "$target/notify" "NetworkPolicy: no HTTPS egress for webhooks"
  if admits "$flat" Egress "$(pod_labels notify)" "ipBlock:0.0.0.0/0" 6379; then
    fail "$target/notify" "NetworkPolicy: egress to public addresses beyond 443"
  fi
  admits "$flat" Egress "$(pod_labels monitoring)" "$mqtt_peer" 1883 ||
    fail "$target/monitoring" "NetworkPolicy: no egress to the MQTT broker"
}

# check_redis TARGET FILE NAME REPLICAS — per service: the StatefulSet redis-<service> (pods
# app.kubernetes.io/name=NAME) with REPLICAS pods, AOF and a PVC, the Service redis-<service>
# on 6379 (FIREGRID_REDIS_ADDR), and a NetworkPolicy that admits that service and no other.
check_redis() {
  local target="$1" f="$2" svc name other r="$2.redis"
  awk -f "$ROOT/tests/k8s/netpol_flat.awk" "$f" >"$f.netpol"
  for svc in "${SERVICES[@]}"; do
    name="${svc%% *}"
    doc StatefulSet "redis-$name" "$f" >"$r"
    if [ ! -s "$r" ]; then
      fail "$target/redis" "no StatefulSet redis-$name"
      continue
    fi
    expect "$target/redis-$name" "$r" "^  replicas: $4\$" "$4 Redis"
    expect "$target/redis-$name" "$r" '^  volumeClaimTemplates:$' "data on a PVC"
    expect "$target/redis-$name" "$r" "^    firegrid.io/redis-of: $name\$" "labelled firegrid.io/redis-of: $name"
    doc ConfigMap "redis-config-$name-" "$f" | grep -q -E '^ +appendonly yes$' ||
      fail "$target/redis-$name" "AOF on (appendonly yes)"
    doc ConfigMap "redis-config-$name-" "$f" | grep -q -E '^ +aof-timestamp-enabled yes$' ||
      fail "$target/redis-$name" "AOF timestamps for point-in-time restores (aof-timestamp-enabled yes)"
    doc Service "redis-$name" "$f" | grep -q -E '^ +port: 6379$' ||
      fail "$target/redis-$name" "no Service redis-$name on 6379"
    admits "$f.netpol" Ingress "app.kubernetes.io/name=$3 app.kubernetes.io/component=redis firegrid.io/redis-of=$name" \
      "podSelector:app.kubernetes.io/name=$name" 6379 ||
      fail "$target/redis-$name" "NetworkPolicy: $name cannot reach its Redis"
    for other in "${SERVICES[@]}"; do
      other="${other%% *}"
      [ "$other" != "$name" ] || continue
      if admits "$f.netpol" Ingress "app.kubernetes.io/name=$3 app.kubernetes.io/component=redis firegrid.io/redis-of=$name" \
        "podSelector:app.kubernetes.io/name=$other" 6379; then
        fail "$target/redis-$name" "NetworkPolicy: $other may reach the Redis of $name"
      fi
    done
  done
}

for target in base overlays/dev overlays/prod; do
  f="$OUT/${target//\//_}.yaml"
  if ! render "$OUT/k8s/$target" >"$f" 2>"$f.err"; then
    fail "$target" "kustomize failed: $(cat "$f.err")"
    continue
  fi
  split_deps "$f"
  for dep in "$f".dep-*; do
    [ -e "$dep" ] && check_dependency "$target/${dep##*.dep-}" "$dep"
  done
  # Every image is pinned to a tag (the last path element has one), never :latest.
  while IFS= read -r image; do
    if ! [[ "${image##*/}" =~ :[A-Za-z0-9._-]+$ ]] || [[ "$image" == *:latest ]]; then
      fail "$target" "image $image is not pinned to a tag"
    fi
  done < <(cat "$f" "$f".dep-* 2>/dev/null | sed -n -E 's/^ +(- )?image: "?([^" ]+)"?$/\2/p' | sort -u)
  DEPLOYMENTS="$(count "$f" '^kind: Deployment$')"
  [ "$DEPLOYMENTS" -ge 1 ] || fail "$target" "no Deployment rendered"
  [ "$(count "$f" '^kind: PodDisruptionBudget$')" -eq "$DEPLOYMENTS" ] ||
    fail "$target" "one PodDisruptionBudget per Deployment"
  [ "$(count "$f" '^kind: Service$')" -ge "$DEPLOYMENTS" ] || fail "$target" "a Service per Deployment"
  expect_each "$target" "$f" '^ +livenessProbe:$' "livenessProbe"
  expect_each "$target" "$f" '^ +readinessProbe:$' "readinessProbe"
  # Every probe is a native gRPC probe (ports: per service, below); prod's, whose gRPC ports
  # speak TLS, are HTTP probes on the metrics port (check_service).
  probes="$(count "$f" '^ +(liveness|readiness|startup)Probe:$')"
  if [ "$target" = overlays/prod ]; then
    [ "$(count "$f" '^ +httpGet:$')" -eq "$probes" ] || fail "$target" "every probe uses httpGet:"
    expect_not "$target" "$f" '^ +(grpc|tcpSocket):$' "no gRPC or TCP probes on TLS ports"
  else
    [ "$(count "$f" '^ +grpc:$')" -eq "$probes" ] || fail "$target" "every probe uses grpc:"
    expect_not "$target" "$f" '^ +(httpGet|tcpSocket):$' "no HTTP or TCP probes"
  fi
  [ "$DEPLOYMENTS" -eq "${#SERVICES[@]}" ] ||
    fail "$target" "$DEPLOYMENTS Deployment(s) for ${#SERVICES[@]} service(s)"
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
  expect "$target" "$f" 'FIREGRID_RATE_LIMIT: ' "per-principal rate limit in a ConfigMap"
  # Every address a service calls another by names a rendered Service on that port.
  while IFS=' ' read -r key host port; do
    doc Service "$host" "$f" | grep -q -E "^ +port: $port\$" ||
      fail "$target" "$key points at $host:$port, which is no Service port"
  done < <(sed -n -E 's|^  (FIREGRID_[A-Z]+_ADDR): (dns:///)?([a-z0-9-]+):([0-9]+)$|\1 \3 \4|p' "$f" |
           grep -v '^FIREGRID_REDIS_ADDR ' | sort -u)
  for svc in "${SERVICES[@]}"; do
    # shellcheck disable=SC2086  # the line is words by design
    check_service "${target//\//_}" "$f" $svc
  done
  case "$target" in
    overlays/prod)
      check_network "$target" "$f" "namespaceSelector:kubernetes.io/metadata.name=kafka podSelector:strimzi.io/cluster=firegrid podSelector:strimzi.io/kind=Kafka" 9093 "ipBlock:0.0.0.0/0" ;;
    *) check_network "$target" "$f" "podSelector:app.kubernetes.io/name=kafka" 9092 "podSelector:app.kubernetes.io/name=mosquitto" ;;
  esac
done

dev="$OUT/overlays_dev.yaml"
prod="$OUT/overlays_prod.yaml"
base="$OUT/base.yaml"
if [ -f "$base" ]; then
  expect base "$base" 'FIREGRID_DRAIN_GRACE: 5s$' "services report NOT_SERVING for 5 s before they stop taking calls"
  expect_not base "$base" 'preStop:' "no preStop sleep (the drain grace is the service's own)"
  expect base "$base" '^  replicas: 2$' "base runs 2 replicas"
  expect base "$base" 'FIREGRID_JWT_RS256_PUBLIC_KEY_FILE' "base verifies RS256"
  expect base "$base" 'secretName: firegrid-jwt$' "base references the firegrid-jwt Secret"
  expect_not base "$base" '^kind: Secret$' "base includes no Secret"
fi
if [ -f "$dev" ]; then
  expect dev "$dev" '^  replicas: 1$' "dev runs 1 replica"
  expect_not dev "$dev" '^  replicas: [02-9]' "dev runs 1 replica everywhere"
  for svc in "${SERVICES[@]}"; do
    expect dev "$dev" "image: firegrid/${svc%% *}:dev\$" "dev image tag of ${svc%% *}"
  done
  expect dev "$dev" '^kind: Secret$' "dev generates its HS256 Secret"
  expect dev "$dev" 'hs256.key: ' "dev Secret holds hs256.key"
  expect dev "$dev" 'FIREGRID_JWT_HS256_KEY_FILE: /etc/firegrid/jwt/hs256.key' "dev verifies HS256"
  expect dev "$dev" 'FIREGRID_JWT_ALLOW_HS256: "true"' "dev allows HS256 (services refuse it otherwise)"
  expect dev "$dev" 'FIREGRID_JWT_RS256_PUBLIC_KEY_FILE: /etc/firegrid/jwt/public.pem' \
    "dev verifies the accounts service's RS256 tokens"
  expect dev "$dev" 'secretName: firegrid-jwt-[a-z0-9]+$' "dev mounts the generated Secret"
  for secret in accounts-signing-key credit-person-key monitoring-mqtt; do
    expect dev "$dev" "secretName: $secret-[a-z0-9]+\$" "dev generates and mounts $secret"
  done
  expect dev "$dev" 'namespace: firegrid-dev$' "dev namespace"
  # Dev keeps one replica and no autoscaler (nothing to scale; no metrics server needed).
  expect_not dev "$dev" '^kind: HorizontalPodAutoscaler$' "dev has no HPA"
  # Every value of every Secret dev renders is one of the files the script made in the copy.
  declare -A made=()
  while IFS= read -r -d "" file; do [ ! -s "$file" ] || made["$(base64 -w0 <"$file")"]=1; done \
    < <(find "$SECRETS" -type f -print0)
  secrets="$OUT/dev.secrets"
  awk 'function flush() { if (buf ~ /(^|\n)kind: Secret\n/) printf "%s", buf; buf = "" }
       /^---$/ { flush(); next } { buf = buf $0 "\n" } END { flush() }' "$dev" |
    awk 'function out() { if (v != "") print v; v = "" }
         /^[a-z]/ { out(); d = /^(data|stringData):$/; next }
         d && /^  [^ ]/ { out(); v = ($2 ~ /^[|>]/) ? "" : $2; next }
         d && /^    / { v = v $1 }  # a long value is folded into a block
         END { out() }' >"$secrets"
  [ -s "$secrets" ] || fail dev "no Secret data rendered"
  while IFS= read -r value; do
    [ -n "${made[$value]:-}" ] || fail dev "a Secret value that is not from deploy/k8s-dev-secrets.sh's files"
  done <"$secrets"
  # The MQTT broker of the monitoring service: mosquitto without anonymous clients, its
  # password file and ACL from the generated Secret mosquitto-auth (referenced, not included).
  broker="$dev.dep-mosquitto"
  expect dev/mosquitto "$broker" '^kind: Deployment$' "a mosquitto Deployment"
  expect dev/mosquitto "$broker" '^kind: Service$' "a mosquitto Service"
  expect dev/mosquitto "$broker" '^kind: PodDisruptionBudget$' "a mosquitto PodDisruptionBudget"
  expect dev/mosquitto "$broker" '^ +- containerPort: 1883$' "listens on 1883"
  expect dev/mosquitto "$broker" 'allow_anonymous false' "no anonymous clients"
  expect dev/mosquitto "$broker" 'acl_file /mosquitto/auth/acl' "an ACL"
  expect dev/mosquitto "$broker" 'password_file /mosquitto/auth/passwd' "a password file"
  expect dev/mosquitto "$broker" 'secretName: mosquitto-auth-[a-z0-9]+$' "credentials from the generated Secret"
  expect dev/mosquitto "$broker" '^      serviceAccountName: mosquitto$' "its own ServiceAccount"
  awk -f "$ROOT/tests/k8s/netpol_flat.awk" "$broker" >"$broker.netpol"
  admits "$broker.netpol" Ingress "app.kubernetes.io/name=mosquitto" "podSelector:app.kubernetes.io/name=monitoring" 1883 ||
    fail dev/mosquitto "NetworkPolicy: the monitoring service cannot reach the broker on 1883"
  expect dev/mosquitto "$broker" '^ +runAsNonRoot: true$' "runAsNonRoot"
  expect dev/mosquitto "$broker" '^ +readOnlyRootFilesystem: true$' "readOnlyRootFilesystem"
  expect dev/mosquitto "$broker" '^ +allowPrivilegeEscalation: false$' "no privilege escalation"
  expect dev/mosquitto "$broker" '^ +- ALL$' "capabilities drop ALL"
  expect dev/mosquitto "$broker" '^ +limits:$' "resource limits"
  # A Redis per service (AOF on a PVC) that admits only that service, and a one-node Kafka with
  # firegrid's topics that admits the services: what base's addresses name.
  check_redis dev "$dev.dep-redis" redis 1
  # Every Redis starts through deploy/redis-repair-aof.sh, a copy of which its ConfigMap holds.
  [ "$(count "$dev.dep-redis" '^ +- sh /etc/redis/redis-repair-aof.sh /data && exec redis-server /etc/redis/redis.conf$')" -eq "${#SERVICES[@]}" ] ||
    fail dev/redis "each Redis runs redis-repair-aof.sh before redis-server"
  [ "$(count "$dev.dep-redis" '^  redis-repair-aof.sh: \|')" -eq "${#SERVICES[@]}" ] ||
    fail dev/redis "each Redis's ConfigMap holds redis-repair-aof.sh"
  # kind's and minikube's storage offers ReadWriteOnce only: every dev claim asks for it.
  expect_not dev "$dev" '^  - ReadWriteMany$' "dev claims ReadWriteOnce volumes only"
  kafka="$dev.dep-kafka"
  doc StatefulSet kafka "$kafka" >"$kafka.sts"
  expect dev/kafka "$kafka.sts" '^  replicas: 1$' "one Kafka node"
  expect dev/kafka "$kafka.sts" '^  volumeClaimTemplates:$' "its log on a PVC"
  expect dev/kafka "$kafka" 'process.roles=broker,controller' "KRaft, no ZooKeeper"
  expect dev/kafka "$kafka" 'advertised.listeners=PLAINTEXT://kafka-bootstrap:9092' "advertises kafka-bootstrap:9092"
  doc Service kafka-bootstrap "$kafka" | grep -q -E '^ +port: 9092$' ||
    fail dev/kafka "no Service kafka-bootstrap on 9092"
  expect dev "$dev" 'FIREGRID_KAFKA_BOOTSTRAP: kafka-bootstrap:9092$' "services use the dev Kafka"
  awk -f "$ROOT/tests/k8s/netpol_flat.awk" "$kafka" >"$kafka.netpol"
  admits "$kafka.netpol" Ingress "app.kubernetes.io/name=kafka app.kubernetes.io/component=kafka" \
    "podSelector:app.kubernetes.io/component=service" 9092 ||
    fail dev/kafka "NetworkPolicy: the services cannot reach Kafka on 9092"
  # The topics Job creates exactly the topics of libs/events/topics.h.
  made_topics="$(doc Job kafka-topics "$kafka" | sed -n -E 's/^ +(firegrid\.[a-z0-9.]+) ([0-9]+)$/\1 \2/p' | sort)"
  [ "$made_topics" = "$TOPICS" ] ||
    fail dev/kafka "the kafka-topics Job's topics differ from libs/events/topics.h: ${made_topics//$'\n'/, }"
  expect dev "$dev" 'FIREGRID_MQTT_HOST: mosquitto$' "monitoring uses the dev broker"
  expect dev "$dev" 'FIREGRID_SERVICE_TOKEN_FILE: ""$' "dev monitoring mints its service token"
fi
if [ -f "$prod" ]; then
  expect prod "$prod" 'FIREGRID_REDIS_USER: firegrid$' "prod services are the firegrid Redis ACL user"
  [ "$(count "$prod" '^  FIREGRID_REDIS_WAIT_REPLICAS: "1"$')" -eq 4 ] ||
    fail prod "buildings, hazards, notify and credit wait for a replica (WAIT) before acknowledging"
  expect prod "$prod" 'FIREGRID_TLS_CERT_FILE: /etc/firegrid/tls/tls.crt$' "prod serves gRPC over TLS"
  expect prod "$prod" 'FIREGRID_TLS_CA_FILE: /etc/firegrid/tls/ca.crt$' "prod clients verify the services' CA"
  for svc in "${SERVICES[@]}"; do
    doc Certificate "${svc%% *}-tls" "$prod" >"$OUT/prod-${svc%% *}.certificate"
    expect "prod/${svc%% *}" "$OUT/prod-${svc%% *}.certificate" "^  - ${svc%% *}-headless\$" \
      "certificate names the headless Service (round robin dials it)"
    expect "prod/${svc%% *}" "$OUT/prod-${svc%% *}.certificate" '^    name: firegrid-internal$' \
      "certificate from the internal CA"
  done
  expect prod "$prod" 'FIREGRID_REDIS_PASSWORD_FILE: /etc/firegrid/redis/password$' \
    "prod services read the Redis password from a file"
  expect prod "$prod" 'FIREGRID_REDIS_USER: firegrid$' "prod services are the firegrid Redis ACL user"
  expect prod "$prod" 'FIREGRID_TLS_CERT_FILE: /etc/firegrid/tls/tls.crt$' "prod serves gRPC over TLS"
  expect prod "$prod" 'FIREGRID_TLS_CA_FILE: /etc/firegrid/tls/ca.crt$' "prod clients verify the services' CA"
  for svc in "${SERVICES[@]}"; do
    doc Certificate "${svc%% *}-tls" "$prod" >"$OUT/prod-${svc%% *}.certificate"
    expect "prod/${svc%% *}" "$OUT/prod-${svc%% *}.certificate" "^  - ${svc%% *}-headless\$" \
      "certificate names the headless Service (round robin dials it)"
    expect "prod/${svc%% *}" "$OUT/prod-${svc%% *}.certificate" '^    name: firegrid-internal$' \
      "certificate from the internal CA"
  done
  expect prod "$prod" 'FIREGRID_REDIS_PASSWORD_FILE: /etc/firegrid/redis/password$' \
    "prod services read the Redis password from a file"
  # HS256 is the local stack's: in prod every token comes from the identity provider.
  expect_not prod "$prod" 'FIREGRID_JWT_HS256|FIREGRID_JWT_ALLOW_HS256|hs256\.key' "prod neither verifies nor mints HS256 tokens"
  # The HPAs own the replica count: no Deployment sets one, each has an HPA on CPU, 3 or more.
  expect_not prod "$prod" '^  replicas: ' "prod Deployments leave the replica count to the HPA"
  [ "$(count "$prod" '^kind: HorizontalPodAutoscaler$')" -eq "${#SERVICES[@]}" ] ||
    fail prod "one HPA per Deployment"
  for svc in "${SERVICES[@]}"; do
    hpa="$OUT/prod-${svc%% *}.hpa"
    doc HorizontalPodAutoscaler "${svc%% *}" "$prod" >"$hpa"
    expect "prod/${svc%% *}" "$hpa" '^apiVersion: autoscaling/v2$' "HPA autoscaling/v2"
    expect "prod/${svc%% *}" "$hpa" "^    name: ${svc%% *}\$" "HPA scales Deployment ${svc%% *}"
    expect "prod/${svc%% *}" "$hpa" '^  minReplicas: [3-9]$' "HPA keeps at least 3 replicas"
    expect "prod/${svc%% *}" "$hpa" '^ +name: cpu$' "HPA on CPU"
  done
  for svc in "${SERVICES[@]}"; do
    expect prod "$prod" "image: registry.example.com/firegrid/${svc%% *}:0.1.0\$" \
      "prod image of ${svc%% *}"
  done
  expect prod "$prod" 'FIREGRID_JWT_RS256_PUBLIC_KEY_FILE: /etc/firegrid/jwt/public.pem' "prod verifies RS256"
  expect prod "$prod" 'secretName: firegrid-jwt$' "prod references the external Secret"
  expect prod "$prod" 'FIREGRID_JWT_ISSUER: https://' "prod requires the token issuer (iss)"
  expect prod "$prod" 'FIREGRID_JWT_AUDIENCE: [a-z]' "prod requires the token audience (aud)"
  expect_not prod "$prod" '^kind: Secret$' "prod includes no Secret"
  expect prod "$prod" '^ +memory: 1Gi$' "prod has higher memory limits"
  expect prod "$prod" 'namespace: firegrid$' "prod namespace"
  [ ! -e "$prod.dep-mosquitto" ] || fail prod "prod runs no MQTT broker of its own"
  # Observability: a ServiceMonitor per service scraping its Service's metrics port as the job
  # firegrid-<service> (what alerts.yml expects), the PrometheusRule with every alert of
  # deploy/observability/alerts.yml, the dashboard ConfigMap for Grafana's sidecar.
  for svc in "${SERVICES[@]}"; do
    sm="$OUT/prod-${svc%% *}.servicemonitor"
    doc ServiceMonitor "${svc%% *}" "$prod" >"$sm"
    if [ ! -s "$sm" ]; then
      fail "prod/${svc%% *}" "no ServiceMonitor ${svc%% *}"
      continue
    fi
    expect "prod/${svc%% *}" "$sm" "^      app.kubernetes.io/name: ${svc%% *}\$" "ServiceMonitor selects the Service ${svc%% *}"
    expect "prod/${svc%% *}" "$sm" '^ +port: metrics$' "ServiceMonitor scrapes the port metrics"
    expect "prod/${svc%% *}" "$sm" "^ +(- )?replacement: firegrid-${svc%% *}\$" "job firegrid-${svc%% *}"
    doc Service "${svc%% *}" "$prod" | grep -q -E '^    name: metrics$' ||
      fail "prod/${svc%% *}" "the Service ${svc%% *} has no port named metrics"
  done
  doc PrometheusRule firegrid-alerts "$prod" >"$prod.rule"
  [ -s "$prod.rule" ] || fail prod "no PrometheusRule firegrid-alerts"
  while IFS= read -r alert; do
    grep -q -E "^ +- alert: $alert\$" "$prod.rule" || fail prod "PrometheusRule lacks the alert $alert"
  done < <(sed -n -E 's/^ +- alert: ([A-Za-z0-9]+)$/\1/p' "$ROOT/deploy/observability/alerts.yml")
  [ "$(count "$prod.rule" '^ +- alert: ')" -eq "$(count "$ROOT/deploy/observability/alerts.yml" '^ +- alert: ')" ] ||
    fail prod "PrometheusRule and alerts.yml differ in their number of alerts"
  doc ConfigMap firegrid-grafana-dashboard- "$prod" >"$prod.dashboard"
  expect prod "$prod.dashboard" '^    grafana_dashboard: "1"$' "dashboard ConfigMap labelled for Grafana's sidecar"
  expect prod "$prod.dashboard" "$(grep -m1 '"uid":' "$ROOT/deploy/observability/grafana-dashboard.json" | sed 's/^ *//')" \
    "dashboard ConfigMap holds deploy/observability/grafana-dashboard.json"

  # A Redis set per service: 3 Redis, 3 Sentinels (quorum 2), AOF on PVCs.
  check_redis prod "$prod.dep-redis" redis-ha 3
  for svc in "${SERVICES[@]}"; do
    doc StatefulSet "redis-sentinel-${svc%% *}" "$prod.dep-redis" | grep -q -E '^  replicas: 3$' ||
      fail "prod/redis-${svc%% *}" "no StatefulSet redis-sentinel-${svc%% *} of 3 Sentinels"
    # The backup sidecar: its loop, the data volume read-only, the backups on a PVC of their own.
    doc StatefulSet "redis-${svc%% *}" "$prod.dep-redis" >"$prod.backup"
    expect "prod/redis-${svc%% *}" "$prod.backup" '^ +name: backup$' "a backup sidecar"
    expect "prod/redis-${svc%% *}" "$prod.backup" '^ +- /backup/backup-loop.sh$' \
      "the sidecar runs backup-loop.sh"
    grep -A 2 -E '^ +- mountPath: /data$' "$prod.backup" | grep -q 'readOnly: true' ||
      fail "prod/redis-${svc%% *}" "the sidecar mounts the data volume read-only"
    expect "prod/redis-${svc%% *}" "$prod.backup" '^ +name: backups$' "the backups on a PVC of their own"
  done
  # Every Redis starts through deploy/redis-repair-aof.sh (redis.sh runs the copy beside it).
  # shellcheck disable=SC2016  # the script's own words, literally
  [ "$(count "$prod.dep-redis" '^ +sh "\$\(dirname "\$0"\)/redis-repair-aof.sh" /data$')" -eq "${#SERVICES[@]}" ] ||
    fail prod/redis "each Redis's redis.sh runs redis-repair-aof.sh before redis-server"
  [ "$(count "$prod.dep-redis" '^  redis-repair-aof.sh: \|')" -eq "${#SERVICES[@]}" ] ||
    fail prod/redis "each Redis's scripts ConfigMap holds redis-repair-aof.sh"
  # Through a file: grep -q would stop reading a pipe from a ConfigMap this size (pipefail).
  doc ConfigMap "redis-backup-scripts-buildings-" "$prod.dep-redis" >"$prod.backup-scripts"
  expect prod/redis "$prod.backup-scripts" 'firegrid-redis-' \
    "the backup scripts ConfigMap holds deploy/backup.sh"
  expect prod/redis "$prod.dep-redis" 'user backup on .* -@all \+ping \+info \+bgsave \+lastsave' \
    "prod Redis: the backup user may only PING, INFO, BGSAVE and LASTSAVE"
  # shellcheck disable=SC2016  # the script's own variables, literally
  expect prod/redis "$prod.dep-redis" 'sentinel monitor \$REDIS_OF \$MASTER 6379 2' "Sentinel quorum 2"
  expect prod/redis "$prod.dep-redis" 'user default on nopass resetchannels -@all \+ping' \
    "prod Redis: the default user may only PING (the probes)"
  expect prod/redis "$prod.dep-redis" 'aclfile \$RUN/users.acl' \
    "prod Redis loads the users redis.sh writes"
  expect prod/redis "$prod.dep-redis" 'firegrid-user.acl' "prod Redis ships the firegrid user's rules"
  expect prod/redis "$prod.dep-redis" 'sentinel auth-user \$REDIS_OF replication' \
    "prod Sentinels log in as the replication user"
  [ "$(cat "$prod" "$prod.dep-redis" | count /dev/stdin '^ +secretName: redis-(buildings|hazards|notify|credit|monitoring|accounts|gateway)$')" -eq $((3 * ${#SERVICES[@]})) ] ||
    fail prod "each service's Redis Secret mounted by the service, its Redis and its Sentinels"
  expect prod "$prod" 'FIREGRID_KAFKA_BOOTSTRAP: firegrid-kafka-bootstrap.kafka.svc:9093$' \
    "services use the Strimzi cluster firegrid's TLS listener (prod/kafka)"
  expect_not prod "$prod" 'FIREGRID_MQTT_HOST: mosquitto$' "prod points at an external MQTT broker"
fi

# prod/kafka: the Strimzi custom resources, in the namespace kafka: the cluster firegrid (KRaft
# node pool of 3, a TLS listener on 9093 with SCRAM-SHA-512), a KafkaTopic per topic of
# libs/events/topics.h with its partitions and a retention, a KafkaUser per service.
strimzi="$OUT/prod_kafka.yaml"
if ! render "$OUT/k8s/overlays/prod/kafka" >"$strimzi" 2>"$strimzi.err"; then
  fail prod/kafka "kustomize failed: $(cat "$strimzi.err")"
else
  doc Kafka firegrid "$strimzi" >"$strimzi.kafka"
  expect prod/kafka "$strimzi.kafka" '^apiVersion: kafka.strimzi.io/v1beta2$' "a Strimzi Kafka firegrid"
  expect prod/kafka "$strimzi.kafka" 'strimzi.io/kraft: enabled$' "KRaft"
  expect prod/kafka "$strimzi.kafka" '^ +port: 9093$' "listener on 9093"
  expect prod/kafka "$strimzi.kafka" '^ +tls: true$' "TLS listener"
  expect prod/kafka "$strimzi.kafka" '^ +type: scram-sha-512$' "SCRAM-SHA-512 authentication"
  expect prod/kafka "$strimzi.kafka" 'min.insync.replicas: 2$' "2 replicas in sync"
  expect prod/kafka "$strimzi" '^kind: KafkaNodePool$' "a KafkaNodePool"
  expect prod/kafka "$strimzi" '^  replicas: 3$' "3 nodes"
  others="$(grep -E '^  namespace: ' "$strimzi" | grep -v -c -E '^  namespace: kafka$' || true)"
  [ "$others" -eq 0 ] || fail prod/kafka "$others object(s) outside namespace kafka"
  strimzi_topics="$(each_doc "$strimzi" KafkaTopic "$strimzi.topic" | while IFS= read -r t; do
    grep -q -E '^    retention.ms: "?[0-9]+"?$' "$t" || echo "no-retention"
    echo "$(sed -n -E 's/^  topicName: (.*)$/\1/p' "$t") $(sed -n -E 's/^  partitions: ([0-9]+)$/\1/p' "$t")"
  done | sort)"
  [ "$strimzi_topics" = "$TOPICS" ] ||
    fail prod/kafka "KafkaTopics (name partitions, with retention) differ from libs/events/topics.h: ${strimzi_topics//$'\n'/, }"
  for svc in "${SERVICES[@]}"; do
    doc KafkaUser "firegrid-${svc%% *}" "$strimzi" | grep -q -E '^    type: scram-sha-512$' ||
      fail prod/kafka "no SCRAM-SHA-512 KafkaUser firegrid-${svc%% *}"
  done
  # Each user may write only its own topic (and dead-letter topics of what it reads).
  each_doc "$strimzi" KafkaUser "$strimzi.user" | while IFS= read -r u; do
    user="$(sed -n -E 's/^  name: firegrid-(.*)$/\1/p' "$u")"
    awk '/^    - operations:$/ { w = 0 } /^      - Write$/ { w = 1 } w && /^        name: / { print $2 }' "$u" |
      grep -v -x -E "firegrid\.$user\.events\.v1|firegrid\.[a-z]+\.events\.v1\.dlq" |
      sed "s/^/FAIL [prod\/kafka]: KafkaUser firegrid-$user may write /"
  done | grep . && failures=$((failures + 1))
fi

# check_ingress TARGET FILE HOST SECRET_PATTERN — the gateway's Ingress: TLS for HOST from the
# Secret, its HTTP port behind ingress-nginx, timeouts and no buffering for the event streams.
check_ingress() {
  local target="$1" ing="$2.ingress"
  doc Ingress gateway "$2" >"$ing"
  if [ ! -s "$ing" ]; then
    fail "$target" "no Ingress gateway"
    return
  fi
  expect "$target/ingress" "$ing" '^apiVersion: networking.k8s.io/v1$' "networking.k8s.io/v1"
  expect "$target/ingress" "$ing" '^  ingressClassName: nginx$' "ingressClassName nginx (the annotations are ingress-nginx's)"
  expect "$target/ingress" "$ing" "^  - host: $3\$" "rule for host $3"
  expect "$target/ingress" "$ing" "^    - $3\$" "TLS for host $3"
  expect "$target/ingress" "$ing" "^    secretName: $4\$" "TLS certificate from the Secret $4"
  expect "$target/ingress" "$ing" '^            name: gateway$' "backend: the gateway Service"
  expect "$target/ingress" "$ing" '^              name: http$' "backend: the gateway's http port"
  expect "$target/ingress" "$ing" 'nginx.ingress.kubernetes.io/proxy-read-timeout: "(3[6-9][0-9]{2}|[4-9][0-9]{3}|[0-9]{5,})"$' \
    "read timeout of an hour or more for the event streams"
  expect "$target/ingress" "$ing" 'nginx.ingress.kubernetes.io/proxy-buffering: "off"$' "no response buffering (SSE)"
  expect "$target/ingress" "$ing" 'nginx.ingress.kubernetes.io/ssl-redirect: "true"$' "HTTP redirected to HTTPS"
}
[ ! -f "$OUT/overlays_dev.yaml" ] ||
  check_ingress dev "$OUT/overlays_dev.yaml" firegrid.dev.localhost 'gateway-tls-[a-z0-9]+'
if [ -f "$OUT/overlays_prod.yaml" ]; then
  check_ingress prod "$OUT/overlays_prod.yaml" firegrid.example.gov.cn firegrid-gateway-tls
  expect prod/ingress "$OUT/overlays_prod.yaml.ingress" '^    cert-manager.io/cluster-issuer: ' \
    "cert-manager issues the certificate (example annotation)"
fi

# Each overlay creates its namespace, and everything namespaced is in it.
for target in dev:firegrid-dev prod:firegrid; do
  f="$OUT/overlays_${target%%:*}.yaml"
  [ -f "$f" ] || continue
  [ "$(count "$f" '^kind: Namespace$')" -eq 1 ] || fail "${target%%:*}" "one Namespace object"
  doc Namespace "${target#*:}" "$f" | grep -q . || fail "${target%%:*}" "Namespace ${target#*:}"
  others="$(grep -E '^  namespace: ' "$f" | grep -v -c -E "^  namespace: ${target#*:}\$" || true)"
  [ "$others" -eq 0 ] || fail "${target%%:*}" "$others object(s) outside namespace ${target#*:}"
done

# ignored PATH — true when git ignores PATH (relative to ROOT); outside a git checkout (an
# unpacked archive), when a directory of .gitignore ("/dir/") holds it.
ignored() {
  if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$ROOT" check-ignore -q --no-index "$1"
  else
    local dir
    while IFS= read -r dir; do
      [[ "/$1" != "$dir"* ]] || return 0
    done < <(grep -E '^/.*/$' "$ROOT/.gitignore")
    return 1
  fi
}
# No Secret value in git: a secretGenerator takes files only (no literals, no envs), and each
# of its files is ignored by git; no manifest is a Secret.
while IFS= read -r -d '' k; do
  rel="${k#"$ROOT"/}"
  awk '/^[a-zA-Z]/ { in_gen = ($0 ~ /^secretGenerator:/) } in_gen && /^ +(literals|envs):/' "$k" |
    grep -q . && fail "$rel" "a secretGenerator with literals or envs (secret values in git)"
  while IFS= read -r src; do
    ignored "$(dirname "$rel")/$src" || fail "$rel" "secretGenerator file $src is not ignored by git"
  done < <(awk '/^[a-zA-Z]/ { in_gen = ($0 ~ /^secretGenerator:/) }
               in_gen && /^ +- [^ ]+$/ { sub(/^ +- /, ""); sub(/^.*=/, ""); print }' "$k")
done < <(find "$ROOT/k8s" -name kustomization.yaml -print0)
# No image anywhere in k8s/ on :latest (the rendered ones are checked for a tag above).
if grep -r -n -E 'image: *"?[^" ]+:latest"?$' "$ROOT/k8s" --include='*.yaml'; then
  fail k8s "an image on :latest in k8s/"
fi
if grep -r -l -E '^kind: Secret$' "$ROOT/k8s" --include='*.yaml' --include='*.yml' |
   grep -q .; then
  fail k8s "a Secret manifest in k8s/"
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
names=()
for svc in "${SERVICES[@]}"; do names+=("${svc%% *}"); done
echo "k8s render: base, dev and prod render and pass every check (services: ${names[*]})"
