#!/usr/bin/env bash
# Builds one container image per service (buildings hazards notify credit monitoring accounts
# gateway) with buildah, then smoke-runs each image to a SERVING gRPC health check. Not part of
# the test command (it takes minutes); needs root, buildah, podman and debootstrap (installed
# when missing, with the build's packages of deploy/lib/packages.sh), and Debian's package
# mirror (the images' runtime packages). docs/adr/0008-images.md explains the design.
#
#   deploy/build-images.sh [--service NAME] [--tag TAG] [--no-smoke] [--keep] [--refresh-base]
#
#   --service NAME  only this service (repeatable; default all seven)
#   --tag TAG       the images' tag (default: git describe --tags --always --dirty); the k8s dev
#                   overlay expects `dev`
#   --no-smoke      build only
#   --keep          keep the smoke run's directory (logs, throwaway keys) and the build contexts
#   --refresh-base  make the debootstrapped base image again (e.g. for security updates)
#   -h, --help      print this text and do nothing else
#
# 1. Builds the services on the host, in build-images/ (RelWithDebInfo: the build type whose
#    objects ccache already holds; the image gets the binary stripped). Host and image are both
#    Debian 12, so the binary's shared libraries are the image's.
# 2. The base: FIREGRID_IMAGES_BASE when set; else debian:12-slim when a registry answers within
#    15 s; else a Debian 12 minbase made once with debootstrap (about a minute) and kept as the
#    image localhost/firegrid/base:bookworm, its root file system in the state directory.
# 3. Per service: the runtime packages derived from the binary (ldd, then dpkg -S of each
#    library), deploy/docker/Containerfile built with `buildah bud --isolation chroot`, tagged
#    docker.io/firegrid/<service>:TAG, the name k8s/base's `firegrid/<service>` stands for.
# 4. Smoke run: redis-server, the development Kafka broker and mosquitto on free 127.0.0.1
#    ports; each image's entrypoint runs in a container on the host network (buildah run
#    --isolation chroot) as its user 65532 with throwaway keys mounted, its ports and files
#    from FIREGRID_* variables as in k8s/base, until `firegridctl health` answers SERVING (and,
#    for the gateway, its console answers HTTP 200); its --help must show the port defaults of
#    the table below; then SIGTERM, and it must exit 0. Prints service / image / size / build
#    time / time to SERVING. Exit status 1 when any image fails, 2 for a wrong argument.
#
# Environment: FIREGRID_IMAGES_BUILD_DIR (default build-images/), FIREGRID_IMAGES_BUILD_TYPE
# (default RelWithDebInfo), FIREGRID_IMAGES_STATE_DIR (default .state/images), FIREGRID_IMAGES_BASE
# (a base image to use as is), FIREGRID_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

# shellcheck source=deploy/lib/usage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/usage.sh"

# The services and their ports: gRPC, metrics, HTTP (the gateway). The binaries have the same
# defaults (the smoke run checks their --help); EXPOSE in each image comes from here.
IMAGE_SERVICES=(
  "buildings  50051 9464"
  "hazards    50052 9465"
  "notify     50053 9466"
  "credit     50054 9467"
  "monitoring 50055 9468"
  "accounts   50056 9469"
  "gateway    50057 9470 8080"
)

SELECTED=()
TAG=""
SMOKE=1
KEEP=0
REFRESH_BASE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --service)
      [ $# -ge 2 ] || fg_usage_error "${BASH_SOURCE[0]}" "--service needs a name"
      known=0
      for line in "${IMAGE_SERVICES[@]}"; do
        if [ "${line%% *}" = "$2" ]; then known=1; fi
      done
      [ "$known" = 1 ] || fg_usage_error "${BASH_SOURCE[0]}" "unknown service $2"
      SELECTED+=("$2")
      shift 2
      ;;
    --tag)
      [ $# -ge 2 ] || fg_usage_error "${BASH_SOURCE[0]}" "--tag needs a value"
      [[ "$2" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
        fg_usage_error "${BASH_SOURCE[0]}" "bad tag \"$2\" (1-128 of A-Z a-z 0-9 _ . -)"
      TAG="$2"
      shift 2
      ;;
    --no-smoke) SMOKE=0; shift ;;
    --keep) KEEP=1; shift ;;
    --refresh-base) REFRESH_BASE=1; shift ;;
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument $1" ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGES_BUILD_DIR="${FIREGRID_IMAGES_BUILD_DIR:-$ROOT/build-images}"
IMAGES_STATE_DIR="${FIREGRID_IMAGES_STATE_DIR:-$ROOT/.state/images}"
MIRROR="${FIREGRID_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CONTAINERFILE="$ROOT/deploy/docker/Containerfile"
LOCAL_BASE=localhost/firegrid/base:bookworm
REGISTRY_BASE=docker.io/library/debian:12-slim

# shellcheck source=deploy/lib/packages.sh
source "$ROOT/deploy/lib/packages.sh"
# shellcheck source=deploy/lib/web.sh
source "$ROOT/deploy/lib/web.sh"

log() { printf '%s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (buildah keeps its images in /var/lib/containers)"
# The build's packages, and the image tools.
firegrid_ensure_packages buildah podman debootstrap

cd "$ROOT"
if [ -z "$TAG" ]; then TAG="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"; fi
SERVICES=()  # "name grpc metrics [http]" of the services this run builds
for line in "${IMAGE_SERVICES[@]}"; do
  name="${line%% *}"
  if [ "${#SELECTED[@]}" -eq 0 ] || [[ " ${SELECTED[*]} " == *" $name "* ]]; then
    SERVICES+=("$line")
  fi
done
image_name() { echo "docker.io/firegrid/$1:$TAG"; }
has_service() {
  local l
  for l in "${SERVICES[@]}"; do
    if [ "${l%% *}" = "$1" ]; then return 0; fi
  done
  return 1
}

WORK="$(mktemp -d /tmp/firegrid-images.XXXXXX)"
chmod 755 "$WORK"
CONTAINERS=()  # buildah working containers this run made (removed at exit)
STARTED=0      # set once the smoke stack's processes may be running
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local code=$? c
  if [ "$STARTED" = 1 ]; then fg_stop_all owned >/dev/null 2>&1 || true; fi
  for c in "${CONTAINERS[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  if [ "$KEEP" = 1 ]; then
    log "kept: $WORK (build contexts, smoke logs and keys)"
  else
    rm -rf "$WORK"
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ----- 1. the binaries, on the host
start=$SECONDS
targets=(firegridctl firegrid-devbroker)
for line in "${SERVICES[@]}"; do targets+=("firegrid-${line%% *}"); done
log "building ${targets[*]} in ${IMAGES_BUILD_DIR#"$ROOT"/}"
cmake -S "$ROOT" -B "$IMAGES_BUILD_DIR" -DCMAKE_BUILD_TYPE="${FIREGRID_IMAGES_BUILD_TYPE:-RelWithDebInfo}" \
  -DFIREGRID_BUILD_BENCH=OFF >/dev/null
nice cmake --build "$IMAGES_BUILD_DIR" -j"$(nproc)" --target "${targets[@]}" >"$WORK/build.log" 2>&1 || {
  tail -n 40 "$WORK/build.log" >&2
  die "the build failed (log: $WORK/build.log)"
}
if has_service gateway; then fg_web_setup console >"$WORK/console.log" 2>&1 || {
  tail -n 20 "$WORK/console.log" >&2
  die "the console did not build"
}; fi
COMPILE_SECONDS=$((SECONDS - start))
log "binaries built in ${COMPILE_SECONDS}s"

# ----- 2. the base image
# make_local_base — a Debian 12 minbase (debootstrap) without documentation, manuals and
# locales (what debian:12-slim leaves out), with bookworm-updates and bookworm-security in its
# sources and their updates applied, committed as $LOCAL_BASE. Its root file system stays in
# the state directory, so that a lost image is imported again without debootstrap.
make_local_base() {
  local dir="$IMAGES_STATE_DIR/base" tarball="$IMAGES_STATE_DIR/base/rootfs.tar" c
  mkdir -p "$dir"
  if [ "$REFRESH_BASE" = 1 ] || [ ! -s "$tarball" ]; then
    log "making the Debian 12 base with debootstrap (about a minute)"
    rm -rf "$dir/rootfs" "$tarball"
    debootstrap --variant=minbase bookworm "$dir/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
      tail -n 20 "$WORK/debootstrap.log" >&2
      die "debootstrap failed (log: $WORK/debootstrap.log)"
    }
    cat >"$dir/rootfs/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
SOURCES
    cat >"$dir/rootfs/etc/dpkg/dpkg.cfg.d/firegrid-slim" <<'SLIM'
# Written by deploy/build-images.sh: what debian:12-slim leaves out.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
SLIM
    find "$dir/rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
    find "$dir/rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$dir/rootfs"/usr/share/{man,groff,info,lintian,locale}/* \
      "$dir/rootfs"/var/cache/apt/archives/*.deb "$dir/rootfs"/var/cache/apt/*.bin \
      "$dir/rootfs"/var/lib/apt/lists/* "$dir/rootfs"/var/log/*.log "$dir/rootfs"/var/log/apt/*
    tar -C "$dir/rootfs" --numeric-owner -cf "$tarball" .
    rm -rf "$dir/rootfs"
    buildah rmi "$LOCAL_BASE" >/dev/null 2>&1 || true
  fi
  if buildah inspect --type image "$LOCAL_BASE" >/dev/null 2>&1; then return 0; fi
  log "importing the base (${tarball#"$ROOT"/}) and applying Debian's updates"
  podman import --quiet "$tarball" localhost/firegrid/base-import:bookworm >/dev/null
  c="$(buildah from --pull-never localhost/firegrid/base-import:bookworm)"
  CONTAINERS+=("$c")
  buildah run --isolation chroot --network host "$c" -- sh -c 'apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -q && apt-get clean &&
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log' \
    >"$WORK/base-upgrade.log" 2>&1 || {
    tail -n 20 "$WORK/base-upgrade.log" >&2
    die "updating the base failed (log: $WORK/base-upgrade.log)"
  }
  buildah config --created-by "deploy/build-images.sh: debootstrap minbase bookworm" "$c"
  buildah commit --quiet --squash --rm "$c" "$LOCAL_BASE" >/dev/null
  CONTAINERS=("${CONTAINERS[@]/$c/}")
  buildah rmi localhost/firegrid/base-import:bookworm >/dev/null 2>&1 || true
}

start=$SECONDS
if [ -n "${FIREGRID_IMAGES_BASE:-}" ]; then
  BASE="$FIREGRID_IMAGES_BASE"
elif timeout 15 buildah pull --quiet "$REGISTRY_BASE" >"$WORK/pull.log" 2>&1; then
  BASE="$REGISTRY_BASE"
else
  log "no registry answered for $REGISTRY_BASE; using the debootstrapped base"
  make_local_base
  BASE="$LOCAL_BASE"
fi
BASE_SECONDS=$((SECONDS - start))
log "base image: $BASE (${BASE_SECONDS}s)"

# ----- 3. one image per service
# runtime_packages BINARY — the Debian packages of the shared libraries BINARY loads.
runtime_packages() {
  local lib pkg
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
    while read -r lib; do
      # dpkg knows a library by the path its package installed (/lib or /usr/lib: Debian 12
      # has a merged /usr, its packages still use both).
      pkg="$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
        dpkg -S "${lib#/usr}" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null)" || {
        echo "error: no Debian package has $lib (linked by $1)" >&2
        return 1
      }
      echo "${pkg%%:*}"
    done | sort -u | paste -sd ' '
}

declare -A IMAGE_SIZE IMAGE_SECONDS SERVING_SECONDS RESULT
failed=0
for line in "${SERVICES[@]}"; do
  read -r name grpc_port metrics_port http_port <<<"$line"
  start=$SECONDS
  bin="$IMAGES_BUILD_DIR/services/$name/firegrid-$name"
  ctx="$WORK/context-$name"
  mkdir -p "$ctx"
  strip -o "$ctx/firegrid-service" "$bin"
  cp -r "$ROOT/config" "$ctx/config"
  target=runtime
  if [ "$name" = gateway ]; then
    target=gateway
    cp -r "$ROOT/console/dist" "$ctx/console"
    mkdir -p "$ctx/evidence"
  fi
  packages="$(runtime_packages "$bin")" || die "cannot derive the runtime packages of $name"
  log "$name: image $(image_name "$name") (packages: $packages)"
  if buildah bud --isolation chroot --layers --pull-never -f "$CONTAINERFILE" --target "$target" \
    --build-arg BASE_IMAGE="$BASE" --build-arg SERVICE="$name" \
    --build-arg PACKAGES="$packages" --build-arg PORTS="$grpc_port $metrics_port${http_port:+ $http_port}" \
    -t "$(image_name "$name")" "$ctx" >"$WORK/image-$name.log" 2>&1; then
    IMAGE_SECONDS[$name]=$((SECONDS - start))
    IMAGE_SIZE[$name]="$(podman image inspect --format '{{.Size}}' "$(image_name "$name")")"
    RESULT[$name]=built
  else
    tail -n 30 "$WORK/image-$name.log" >&2
    log "$name: the image did not build (log: $WORK/image-$name.log)"
    RESULT[$name]="build failed"
    failed=1
  fi
done

# ----- 4. smoke run
# container_process PID PROGRAM — the PID of the process under PID (buildah run) whose
# executable is PROGRAM inside the container.
container_process() {
  local p exe
  for p in $(pgrep -P "$1"); do
    exe="$(readlink "/proc/$p/exe" 2>/dev/null || true)"
    if [[ "$exe" == *"$2" ]]; then
      echo "$p"
      return 0
    fi
    if container_process "$p" "$2"; then return 0; fi
  done
  return 1
}

# smoke SERVICE GRPC METRICS HTTP — runs the image of SERVICE to SERVING; sets
# SERVING_SECONDS[SERVICE]; fails with a message on stderr.
smoke() {
  local name="$1" grpc="$2" metrics="$3" http="$4" image c entrypoint help i t0 pid code env=()
  image="$(image_name "$name")"
  c="$(buildah from --pull-never --name "firegrid-smoke-$name-$$" "$image")"
  CONTAINERS+=("$c")
  entrypoint="$(buildah inspect --format '{{index .OCIv1.Config.Entrypoint 0}}' "$c")"
  # The binary's defaults are the ports of the table (what k8s/base and EXPOSE say).
  help="$(buildah run --isolation chroot --network host "$c" -- "$entrypoint" --help 2>&1)" || {
    echo "$help" | tail -n 5 >&2
    echo "$name: $entrypoint --help failed in the image" >&2
    return 1
  }
  if ! grep -q "FIREGRID_GRPC_ADDRESS, default \"0.0.0.0:$grpc\"" <<<"$help" ||
    ! grep -q "FIREGRID_METRICS_ADDRESS, default \"0.0.0.0:$metrics\"" <<<"$help"; then
    echo "$name: the binary's default ports are not $grpc/$metrics" >&2
    return 1
  fi
  if [ -n "$http" ] && ! grep -q "FIREGRID_HTTP_PORT, default $http)" <<<"$help"; then
    echo "$name: the binary's default HTTP port is not $http" >&2
    return 1
  fi
  # Its ports moved by the offset, on 127.0.0.1; dependencies and keys as the k8s dev overlay
  # sets them (a throwaway HS256 key, which a service accepts only with FIREGRID_JWT_ALLOW_HS256).
  env=(-e "FIREGRID_GRPC_ADDRESS=127.0.0.1:$((grpc + OFFSET))"
    -e "FIREGRID_METRICS_ADDRESS=127.0.0.1:$((metrics + OFFSET))"
    -e "FIREGRID_REDIS_ADDR=127.0.0.1:$REDIS_PORT" -e "FIREGRID_KAFKA_BOOTSTRAP=$BOOTSTRAP"
    -e "FIREGRID_JWT_HS256_KEY_FILE=/etc/firegrid/jwt/hs256.key" -e FIREGRID_JWT_ALLOW_HS256=true
    -e "FIREGRID_JWT_RS256_PUBLIC_KEY_FILE=/etc/firegrid/jwt/public.pem")
  case "$name" in
    credit) env+=(-e "FIREGRID_PERSON_KEY_FILE=/etc/firegrid/person-key/key") ;;
    accounts) env+=(-e "FIREGRID_SIGNING_KEY_FILE=/etc/firegrid/signing-key/key.pem") ;;
    monitoring)
      env+=(-e FIREGRID_MQTT_HOST=127.0.0.1 -e "FIREGRID_MQTT_PORT=$MQTT_PORT"
        -e FIREGRID_MQTT_USERNAME=monitoring -e FIREGRID_MQTT_PASSWORD_FILE=/etc/firegrid/mqtt/password
        -e "FIREGRID_HAZARDS_ADDR=127.0.0.1:$((50052 + OFFSET))"
        -e "FIREGRID_NOTIFY_ADDR=127.0.0.1:$((50053 + OFFSET))")
      ;;
    gateway)
      env+=(-e FIREGRID_HTTP_ADDRESS=127.0.0.1 -e "FIREGRID_HTTP_PORT=$((http + OFFSET))"
        -e "FIREGRID_BUILDINGS_ADDR=127.0.0.1:$((50051 + OFFSET))"
        -e "FIREGRID_HAZARDS_ADDR=127.0.0.1:$((50052 + OFFSET))"
        -e "FIREGRID_NOTIFY_ADDR=127.0.0.1:$((50053 + OFFSET))"
        -e "FIREGRID_CREDIT_ADDR=127.0.0.1:$((50054 + OFFSET))"
        -e "FIREGRID_MONITORING_ADDR=127.0.0.1:$((50055 + OFFSET))"
        -e "FIREGRID_ACCOUNTS_ADDR=127.0.0.1:$((50056 + OFFSET))")
      ;;
  esac
  t0=$(date +%s.%N)
  fg_start "$name" "$LOG_DIR/$name.log" buildah run --isolation chroot --network host \
    -v "$SECRETS/jwt:/etc/firegrid/jwt:ro" -v "$SECRETS/person-key:/etc/firegrid/person-key:ro" \
    -v "$SECRETS/signing-key:/etc/firegrid/signing-key:ro" -v "$SECRETS/mqtt:/etc/firegrid/mqtt:ro" \
    --mount type=tmpfs,destination=/tmp "${env[@]}" "$c" -- "$entrypoint"
  for ((i = 0; ; i++)); do
    # Exits 0 only when the server answers SERVING.
    if "$FIREGRIDCTL" health --addr "127.0.0.1:$((grpc + OFFSET))" --timeout 2s >/dev/null 2>&1; then
      break
    fi
    if ! fg_alive "$name" || [ "$i" -ge 240 ]; then
      tail -n 20 "$LOG_DIR/$name.log" >&2
      echo "$name: not SERVING (log: $LOG_DIR/$name.log)" >&2
      fg_stop "$name" >/dev/null
      return 1
    fi
    sleep 0.25
  done
  SERVING_SECONDS[$name]="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
  # Its dependencies through the image's libraries: Kafka (librdkafka) for every service, the
  # MQTT broker (libmosquitto, the password file) for monitoring.
  local deps=(firegrid.kafka) dep
  if [ "$name" = monitoring ]; then deps+=(firegrid.monitoring.mqtt); fi
  for dep in "${deps[@]}"; do
    for ((i = 0; ; i++)); do
      if "$FIREGRIDCTL" health --addr "127.0.0.1:$((grpc + OFFSET))" --service "$dep" \
        --timeout 2s >/dev/null 2>&1; then
        break
      fi
      if ! fg_alive "$name" || [ "$i" -ge 240 ]; then
        tail -n 20 "$LOG_DIR/$name.log" >&2
        echo "$name: $dep not SERVING (log: $LOG_DIR/$name.log)" >&2
        fg_stop "$name" >/dev/null
        return 1
      fi
      sleep 0.25
    done
  done
  pid="$(fg_pid "$name")"
  local service_pid uid
  service_pid="$(container_process "$pid" "$entrypoint")" || {
    fg_stop "$name" >/dev/null
    echo "$name: no process of $entrypoint under buildah run (PID $pid)" >&2
    return 1
  }
  # The image's user, not root.
  uid="$(awk '/^Uid:/ { print $2 }' "/proc/$service_pid/status")"
  if [ "$uid" != 65532 ]; then
    fg_stop "$name" >/dev/null
    echo "$name: runs as uid $uid, not 65532" >&2
    return 1
  fi
  if [ "$name" = gateway ]; then
    local url="http://127.0.0.1:$((http + OFFSET))/"
    code="$(curl -s -o "$WORK/gateway-index.html" -w '%{http_code}' --max-time 5 "$url")" || true
    if [ "$code" != 200 ] || ! grep -qi '<html' "$WORK/gateway-index.html"; then
      echo "gateway: GET $url answered $code, not the console" >&2
      fg_stop "$name" >/dev/null
      return 1
    fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
      "http://127.0.0.1:$((metrics + OFFSET))/healthz")" || true
    if [ "$code" != 200 ]; then
      echo "gateway: /healthz answered $code" >&2
      fg_stop "$name" >/dev/null
      return 1
    fi
  fi
  # SIGTERM to the service (buildah would not pass its own on, it kills the container): the
  # service drains and exits 0, and so does buildah run.
  kill -TERM "$service_pid"
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    fg_stop "$name" >/dev/null
    echo "$name: did not stop within 20 s of SIGTERM" >&2
    return 1
  fi
  code=0
  wait "$pid" || code=$?
  rm -f "$PID_DIR/$name.pid"
  if [ "$code" != 0 ]; then
    tail -n 10 "$LOG_DIR/$name.log" >&2
    echo "$name: exited with status $code after SIGTERM" >&2
    return 1
  fi
}

if [ "$SMOKE" = 1 ]; then
  SMOKE_DIR="$WORK/smoke"
  export FIREGRID_STATE_DIR="$SMOKE_DIR" FIREGRID_BUILD_DIR="$IMAGES_BUILD_DIR"
  # shellcheck source=deploy/lib/stack.sh
  source "$ROOT/deploy/lib/stack.sh"
  # shellcheck source=deploy/lib/mosquitto.sh
  source "$ROOT/deploy/lib/mosquitto.sh"
  mkdir -p "$PID_DIR" "$LOG_DIR" "$SMOKE_DIR/redis"
  # Free ports: every service's own ports moved by one offset, Redis and MQTT.
  port_free() { ! fg_port_in_use "$1"; }
  for ((try = 0; ; try++)); do
    [ "$try" -lt 50 ] || die "no free ports found"
    OFFSET=$((1000 + RANDOM % 14000))
    REDIS_PORT=$((20000 + RANDOM % 10000))
    MQTT_PORT=$((REDIS_PORT + 1))
    ok=1
    for line in "${IMAGE_SERVICES[@]}"; do
      read -r _ a b c <<<"$line"
      for p in $a $b $c; do port_free $((p + OFFSET)) || ok=0; done
    done
    port_free "$REDIS_PORT" || ok=0
    port_free "$MQTT_PORT" || ok=0
    [ "$ok" = 0 ] || break
  done
  # Throwaway keys, owned by the images' user as a Secret volume with fsGroup would be.
  SECRETS="$SMOKE_DIR/secrets"
  mkdir -p "$SECRETS"/{jwt,person-key,signing-key,mqtt}
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRETS/jwt/hs256.key"
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRETS/person-key/key"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$SECRETS/signing-key/key.pem" 2>/dev/null
  openssl pkey -in "$SECRETS/signing-key/key.pem" -pubout -out "$SECRETS/jwt/public.pem" 2>/dev/null
  bash "$ROOT/deploy/mqtt-credentials.sh" "$SMOKE_DIR/mqtt" >/dev/null
  cp "$SMOKE_DIR/mqtt/passwords/monitoring" "$SECRETS/mqtt/password"
  chown -R 65532:65532 "$SECRETS"
  chmod -R go-rwx "$SECRETS"
  chmod 755 "$SMOKE_DIR" "$SECRETS"

  STARTED=1
  fg_start redis "$LOG_DIR/redis.log" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
    --dir "$SMOKE_DIR/redis" --save "" --appendonly no --daemonize no --logfile ""
  for ((i = 0; ; i++)); do
    if [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null || true)" = PONG ]; then break; fi
    { fg_alive redis && [ "$i" -lt 300 ]; } || die "redis-server did not start (log: $LOG_DIR/redis.log)"
    sleep 0.1
  done
  fg_start devbroker "$LOG_DIR/devbroker.log" "$DEVBROKER" --bootstrap-file="$BOOTSTRAP_FILE"
  if ! fg_wait_for_line devbroker "$LOG_DIR/devbroker.log" '^devbroker bootstrap=' 30 >/dev/null ||
    [ ! -s "$BOOTSTRAP_FILE" ]; then
    die "firegrid-devbroker did not start (log: $LOG_DIR/devbroker.log)"
  fi
  BOOTSTRAP="$(tr -d '\n' <"$BOOTSTRAP_FILE")"
  fg_mosquitto_prepare "$SMOKE_DIR/mqtt" "$MQTT_PORT"
  fg_start mosquitto "$LOG_DIR/mosquitto.log" /usr/sbin/mosquitto -c "$SMOKE_DIR/mqtt/mosquitto.conf"
  for ((i = 0; ; i++)); do
    if fg_port_in_use "$MQTT_PORT"; then break; fi
    { fg_alive mosquitto && [ "$i" -lt 100 ]; } || die "mosquitto did not start (log: $LOG_DIR/mosquitto.log)"
    sleep 0.1
  done
  log "smoke stack: redis 127.0.0.1:$REDIS_PORT, kafka $BOOTSTRAP, mqtt 127.0.0.1:$MQTT_PORT; service ports +$OFFSET"

  for line in "${SERVICES[@]}"; do
    read -r name grpc_port metrics_port http_port <<<"$line"
    [ "${RESULT[$name]}" = built ] || continue
    if smoke "$name" "$grpc_port" "$metrics_port" "${http_port:-}"; then
      RESULT[$name]=SERVING
      log "$name: SERVING after ${SERVING_SECONDS[$name]}s, stopped cleanly"
    else
      RESULT[$name]="smoke failed"
      failed=1
    fi
  done
fi

# ----- the table
echo
printf '%-11s %-42s %9s %8s %10s  %s\n' service image size build serving result
for line in "${SERVICES[@]}"; do
  name="${line%% *}"
  size=""
  if [ -n "${IMAGE_SIZE[$name]:-}" ]; then
    size="$(awk -v b="${IMAGE_SIZE[$name]}" 'BEGIN { printf "%.0f MB", b / 1e6 }')"
  fi
  printf '%-11s %-42s %9s %8s %10s  %s\n' "$name" "$(image_name "$name")" "$size" \
    "${IMAGE_SECONDS[$name]:+${IMAGE_SECONDS[$name]}s}" \
    "${SERVING_SECONDS[$name]:+${SERVING_SECONDS[$name]}s}" "${RESULT[$name]}"
done
echo "binaries ${COMPILE_SECONDS}s, base ${BASE_SECONDS}s, total ${SECONDS}s"
exit "$failed"
