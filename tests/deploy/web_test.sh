#!/usr/bin/env bash
# deploy/lib/web.sh: the gateway configuration of a local run keeps the base configuration,
# gives every Open311 channel (the demo channels when the base has none) an api_key_sha256 that
# is the SHA-256 of its key in open311-api-keys (mode 600, the same keys on a second run)
# instead of the one the base lists, sets the jurisdiction only when the base has none, and
# fails on a base that does not parse; the test command runs the browser
# suite unless told otherwise, and always in CI.
#
#   tests/deploy/web_test.sh [REPO_ROOT]
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() {
  echo "FAIL [$1]: $2"
  failures=$((failures + 1))
}
# shellcheck source=deploy/lib/web.sh
source "$ROOT/deploy/lib/web.sh"

decode() {  # the value of FIELD in a textproto, one a line
  sed -n "s/^ *$1: \"\\(.*\\)\"\$/\\1/p" "$2"
}

# ----- a base with its own jurisdiction and another setting
mkdir -p "$TMP/a"
cat >"$TMP/base.textproto" <<'PROTO'
# a comment
allowed_origins: "https://console.example"
open311 { jurisdiction_id: "firegrid.500110" per_address_per_minute: 7 }
PROTO
out="$(FIREGRID_GATEWAY_CONFIG="$TMP/base.textproto" fg_open311_demo_config "$TMP/a")" ||
  fail base "fg_open311_demo_config failed"
[ "$out" = "$TMP/a/gateway.textproto" ] || fail base "printed $out"
[ "$(decode allowed_origins "$out")" = "https://console.example" ] || fail base "allowed_origins lost"
[ "$(decode jurisdiction_id "$out")" = "firegrid.500110" ] || fail base "jurisdiction_id: $(decode jurisdiction_id "$out")"
grep -q 'per_address_per_minute: 7' "$out" || fail base "per_address_per_minute lost"
[ "$(decode name "$out" | tr '\n' ' ')" = "wechat hotline12345 web " ] ||
  fail channels "channels: $(decode name "$out" | tr '\n' ' ')"
[ "$(stat -c %a "$TMP/a/open311-api-keys")" = 600 ] || fail keys "open311-api-keys is not mode 600"
mapfile -t hashes < <(decode api_key_sha256 "$out")
i=0
while read -r channel key; do
  [ "${#key}" -ge 32 ] || fail keys "the $channel key is short: $key"
  [ "$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)" = "${hashes[$i]}" ] ||
    fail keys "the $channel hash is not the SHA-256 of its key"
  i=$((i + 1))
done <"$TMP/a/open311-api-keys"
[ "$i" = 3 ] || fail keys "$i keys"
[ "$(sort -u <<<"$(cut -d' ' -f2 "$TMP/a/open311-api-keys")" | wc -l)" = 3 ] || fail keys "keys repeat"

# ----- a second run keeps the keys
cp "$TMP/a/open311-api-keys" "$TMP/keys.before"
FIREGRID_GATEWAY_CONFIG="$TMP/base.textproto" fg_open311_demo_config "$TMP/a" >/dev/null
cmp -s "$TMP/keys.before" "$TMP/a/open311-api-keys" || fail rerun "the keys changed on a second run"
[ "$(decode api_key_sha256 "$TMP/a/gateway.textproto" | wc -l)" = 3 ] || fail rerun "channels doubled"

# ----- a base with its own channels: their settings stay, their keys are replaced
mkdir -p "$TMP/d"
cat >"$TMP/channels.textproto" <<'PROTO'
open311 {
  channels { name: "web" api_key_sha256: "9b1ca2965ffc4e1244c82e5b786a28b96f5f5ac7a4a84d8ae48a60ead7076735" per_minute: 61 }
  channels { per_minute: 601 name: "kiosk" }
}
PROTO
out="$(FIREGRID_GATEWAY_CONFIG="$TMP/channels.textproto" fg_open311_demo_config "$TMP/d")" ||
  fail channels-base "fg_open311_demo_config failed"
[ "$(decode name "$out" | tr '\n' ' ')" = "web kiosk " ] || fail channels-base "channels: $(decode name "$out")"
grep -q 9b1ca2965ffc "$out" && fail channels-base "the base's key hash is still there"
grep -q 'per_minute: 61$' "$out" || fail channels-base "per_minute 61 lost"
grep -q 'per_minute: 601$' "$out" || fail channels-base "per_minute 601 lost"
[ "$(cut -d' ' -f1 "$TMP/d/open311-api-keys" | tr '\n' ' ')" = "web kiosk " ] || fail channels-base "keys for $(cut -d' ' -f1 "$TMP/d/open311-api-keys")"
mapfile -t hashes < <(decode api_key_sha256 "$out")
[ "${#hashes[@]}" = 2 ] || fail channels-base "${#hashes[@]} hashes"
kiosk_key="$(sed -n 's/^kiosk //p' "$TMP/d/open311-api-keys")"
[ "${hashes[1]}" = "$(printf '%s' "$kiosk_key" | sha256sum | cut -d' ' -f1)" ] || fail channels-base "the kiosk hash"

# ----- no base: the demo district's jurisdiction
mkdir -p "$TMP/b"
FIREGRID_GATEWAY_CONFIG="$TMP/none.textproto" fg_open311_demo_config "$TMP/b" >/dev/null ||
  fail nobase "fg_open311_demo_config failed without a base"
[ "$(decode jurisdiction_id "$TMP/b/gateway.textproto")" = "firegrid.500109" ] || fail nobase "jurisdiction_id"

# ----- a base that does not parse
echo 'no_such_field: 1' >"$TMP/bad.textproto"
mkdir -p "$TMP/c"
if FIREGRID_GATEWAY_CONFIG="$TMP/bad.textproto" fg_open311_demo_config "$TMP/c" >/dev/null 2>&1; then
  fail bad "a base that does not parse was accepted"
fi

# ----- when the test command runs the browser suite
# wanted "VAR=VALUE ..." CTEST_ARGS... — fg_browser_suite_wanted in that environment.
wanted() {
  local vars="$1"
  shift
  # shellcheck disable=SC2086,SC2016  # words by design; $0 and $@ are the inner shell's
  env -u CI -u FIREGRID_BROWSER_TESTS $vars bash -c 'source "$0"; fg_browser_suite_wanted "$@"' \
    "$ROOT/deploy/lib/web.sh" "$@"
}
wanted "" || fail suite "not run by default"
if wanted "" -L unit; then fail suite "run although ctest arguments narrowed the run"; fi
wanted FIREGRID_BROWSER_TESTS=1 -L unit || fail suite "not run with FIREGRID_BROWSER_TESTS=1"
if wanted FIREGRID_BROWSER_TESTS=0; then fail suite "run with FIREGRID_BROWSER_TESTS=0"; fi
wanted "CI=true FIREGRID_BROWSER_TESTS=0" -L unit || fail suite "left out in CI"

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS"
