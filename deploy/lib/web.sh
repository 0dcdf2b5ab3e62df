# shellcheck shell=bash
# The web side of the local stack and of the test command: the Node.js packages of the console
# (console/, built by esbuild into console/dist/) and of the browser tests (tests/browser/,
# playwright-core driving Debian's chromium), the browser suite, and the demo API keys of the
# gateway's Open311 channels. Sourced by deploy/run-local.sh and deploy/test.sh (after
# deploy/lib/packages.sh).

FIREGRID_WEB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The Open311 demo channels (Open311Channel.name in protos/firegrid/config/v1/gateway.proto).
FIREGRID_OPEN311_DEMO_CHANNELS=(wechat hotline12345 web)

# Fails unless Node.js 20 or newer and npm are there (Debian 12's nodejs is 18: install 20 from
# NodeSource or nodejs.org).
fg_web_require_node() {
  local major
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "error: node and npm (Node.js 20 or newer) are needed for the console and the browser tests" >&2
    return 1
  fi
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    echo "error: Node.js $(node --version) is too old; the console and the browser tests need 20 or newer" >&2
    return 1
  fi
}

# fg_web_npm_ci DIR — `npm ci` in DIR from its committed package-lock.json, unless node_modules
# was already installed from this very lock file (a stamp with the lock's SHA-256).
fg_web_npm_ci() {
  local dir="$1" sum stamp
  stamp="$dir/node_modules/.firegrid-lock-sha256"
  sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  echo "npm ci in ${dir#"$FIREGRID_WEB_ROOT"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline) || return 1
  echo "$sum" >"$stamp"
}

# fg_web_setup [console] [browser-tests] [buf] — installs the console's packages and builds it
# into console/dist/ ("console"), installs the browser tests' packages ("browser-tests") and the
# pinned buf CLI of the proto checks (tools/buf, "buf"). A part
# whose package.json is not there (yet) is skipped with a note.
fg_web_setup() {
  local part dir
  fg_web_require_node || return 1
  for part in "$@"; do
    case "$part" in
      console) dir="$FIREGRID_WEB_ROOT/console" ;;
      browser-tests) dir="$FIREGRID_WEB_ROOT/tests/browser" ;;
      buf) dir="$FIREGRID_WEB_ROOT/tools/buf" ;;
      *)
        echo "error: fg_web_setup: unknown part $part" >&2
        return 1
        ;;
    esac
    if [ ! -f "$dir/package.json" ]; then
      echo "${dir#"$FIREGRID_WEB_ROOT"/}/package.json is not there: $part skipped"
      continue
    fi
    fg_web_npm_ci "$dir" || return 1
    if [ "$part" = console ]; then
      echo "building the console into console/dist"
      (cd "$dir" && npm run --silent build) || return 1
    fi
  done
}

# True when deploy/test.sh runs the browser suite: always in CI (CI=true); otherwise unless
# FIREGRID_BROWSER_TESTS=0, or ctest arguments narrowed the run (e.g. `-L unit`) and
# FIREGRID_BROWSER_TESTS=1 does not ask for it anyway.
fg_browser_suite_wanted() {
  if [ "${CI:-}" = true ]; then return 0; fi
  case "${FIREGRID_BROWSER_TESTS:-}" in
    0) return 1 ;;
    1) return 0 ;;
  esac
  [ "$#" -eq 0 ]
}

# fg_browser_suite BUILD_DIR — runs tests/browser (its own private demo stack on free ports,
# stopped at the end) and prints how long it took. Fails when a test fails.
# fg_console_tests — the console's own unit tests (console/test: the API client, the event
# stream parser, role rules, charts, CSV, languages) with node's test runner; prints its time.
fg_console_tests() {
  local start=$SECONDS status=0
  echo "console suite: console/test (node --test)"
  (cd "$FIREGRID_WEB_ROOT/console" && npm test --silent) || status=$?
  if [ "$status" = 0 ]; then
    echo "console suite passed in $((SECONDS - start))s"
  else
    echo "console suite FAILED in $((SECONDS - start))s"
  fi
  return "$status"
}

fg_browser_suite() {
  local build_dir="$1" start=$SECONDS status=0
  echo "browser suite: tests/browser (chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
  FIREGRID_BUILD_DIR="$build_dir" node "$FIREGRID_WEB_ROOT/tests/browser/run.mjs" || status=$?
  if [ "$status" = 0 ]; then
    echo "browser suite passed in $((SECONDS - start))s"
  else
    echo "browser suite FAILED in $((SECONDS - start))s"
  fi
  return "$status"
}

# fg_open311_demo_config STATE_DIR — the gateway's configuration for a local run: the committed
# config/gateway.textproto (FIREGRID_GATEWAY_CONFIG names another) with a random API key per
# Open311 channel instead of the keys it lists, so that no key a repository shows opens a
# running stack. The keys are made on the first start and kept in STATE_DIR/open311-api-keys
# ("<channel> <key>" a line, mode 600: what each channel would be given); the configuration
# lists only their SHA-256. Without channels in the base, the demo channels
# (FIREGRID_OPEN311_DEMO_CHANNELS) are added, and without a jurisdiction, the demo district's.
# Writes STATE_DIR/gateway.textproto and prints its path.
fg_open311_demo_config() {
  local keys="$1/open311-api-keys" out="$1/gateway.textproto" channel key extra="" names
  local protoc=(protoc -I"$FIREGRID_WEB_ROOT/protos"
    "$FIREGRID_WEB_ROOT/protos/firegrid/config/v1/gateway.proto")
  local type=firegrid.config.v1.GatewayConfig
  local base="${FIREGRID_GATEWAY_CONFIG:-$FIREGRID_WEB_ROOT/config/gateway.textproto}"
  local merged="$1/gateway.textproto.tmp"
  # The base in protoc's canonical text (fields in number order, two-space indents), plus what
  # it lacks (two encodings one after the other parse as one message with both merged).
  {
    if [ -f "$base" ]; then "${protoc[@]}" --encode="$type" <"$base" || return 1; fi
  } >"$merged.bin" || return 1
  "${protoc[@]}" --decode="$type" <"$merged.bin" >"$merged" || return 1
  grep -q '^  jurisdiction_id:' "$merged" || extra+=' jurisdiction_id: "firegrid.500109"'
  if ! grep -q '^  channels {' "$merged"; then
    for channel in "${FIREGRID_OPEN311_DEMO_CHANNELS[@]}"; do
      extra+=" channels { name: \"$channel\" }"
    done
  fi
  if [ -n "$extra" ]; then
    "${protoc[@]}" --encode="$type" <<<"open311 {$extra }" >>"$merged.bin" || return 1
    "${protoc[@]}" --decode="$type" <"$merged.bin" >"$merged" || return 1
  fi
  rm -f "$merged.bin"
  names="$(awk '/^  channels \{$/ { c = 1 } c && /^    name: / { gsub(/"/, "", $2); print $2 }
    /^  \}$/ { c = 0 }' "$merged")"
  # A key for every channel that has none yet.
  (umask 077 && touch "$keys")
  chmod 600 "$keys"
  for channel in $names; do
    if ! grep -q "^$channel " "$keys"; then
      echo "$channel $(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$keys"
    fi
  done
  # Each channel's api_key_sha256 becomes its key's (after its name: canonical order).
  while read -r channel key; do
    [ -n "$channel" ] && echo "$channel $(printf '%s' "$key" | sha256sum | cut -d' ' -f1)"
  done <"$keys" >"$merged.hashes"
  awk -v hashes="$merged.hashes" '
    BEGIN { while ((getline line < hashes) > 0) { split(line, f, " "); h[f[1]] = f[2] } }
    /^  channels \{$/ { c = 1; print; next }
    c && /^    api_key_sha256: / { next }
    c && /^    name: / {
      print; n = $2; gsub(/"/, "", n)
      if (n in h) printf "    api_key_sha256: \"%s\"\n", h[n]
      next
    }
    /^  \}$/ { c = 0 }
    { print }' "$merged" >"$out" || return 1
  rm -f "$merged" "$merged.hashes"
  "${protoc[@]}" --encode="$type" <"$out" >/dev/null || return 1
  echo "$out"
}
