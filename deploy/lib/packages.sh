# shellcheck shell=bash
# The Debian 12 packages firegrid needs to build, test and run locally, and a function that
# installs the missing ones. Sourced by deploy/run-local.sh and deploy/test.sh.

FIREGRID_PACKAGES=(
  cmake g++ make pkg-config ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libhiredis-dev librdkafka-dev libjwt-dev nlohmann-json3-dev libcpp-httplib-dev
  libssl-dev libmosquitto-dev
  libjemalloc-dev  # the services' allocator (docs/adr/0015)
  libboost-dev  # Boost.Beast (header-only): the gateway's HTTP server
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server kcat jq
  mosquitto mosquitto-clients  # MQTT: the monitoring service's broker and its tools (tests)
  libargon2-dev  # Argon2id password hashes for console accounts (libs/accounts)
  openssl  # run-local generates the accounts service's RSA signing key
  prometheus  # promtool: the metrics, alert rule and dashboard checks
  nodejs  # the console (esbuild), the browser tests, buf (tools/buf); Node.js 20+ (lib/web.sh)
  chromium fonts-noto-cjk  # the browser tests (headless) and the Chinese they read
  clang  # libFuzzer and the sanitizers of the fuzz targets (bench/fuzz.sh)
)

# Prints the packages among "$@" that are not installed.
firegrid_missing_packages() {
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      echo "$p"
    fi
  done
}

# Installs what is missing of FIREGRID_PACKAGES (and any extra names given) with a
# non-interactive apt-get; through sudo when not root. Does nothing when all are present.
firegrid_ensure_packages() {
  local missing=()
  mapfile -t missing < <(firegrid_missing_packages "${FIREGRID_PACKAGES[@]}" "$@")
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing packages: ${missing[*]}; this is not a Debian system, install them by hand" >&2
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "error: missing packages: ${missing[*]}; run as root or install sudo" >&2
      return 1
    fi
    sudo=(sudo)
  fi
  echo "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}
