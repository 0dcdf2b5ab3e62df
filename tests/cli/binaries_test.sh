#!/usr/bin/env bash
# Every firegrid binary follows the same command-line conventions: `--version` prints
# "<name> <version> (commit <commit>)" and exits 0 without doing anything else, `--help` exits 0
# and lists --version, and an unknown flag is a usage error (exit 2).
#
#   tests/cli/binaries_test.sh BINARY...
set -euo pipefail

failures=0
fail() {
  echo "FAIL [$1]: $2"
  failures=$((failures + 1))
}
[ "$#" -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }

for bin in "$@"; do
  name="$(basename "$bin")"
  status=0
  out="$(timeout 20 "$bin" --version 2>&1)" || status=$?
  [ "$status" -eq 0 ] || fail "$name --version" "exit status $status: $out"
  [[ "$out" =~ ^$name\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ ([0-9a-f]{7,40}|unknown)\)$ ]] ||
    fail "$name --version" "not \"$name <version> (commit <commit>)\": $out"

  status=0
  out="$(timeout 20 "$bin" --help 2>&1)" || status=$?
  [ "$status" -eq 0 ] || fail "$name --help" "exit status $status"
  grep -q -- "--version" <<<"$out" || fail "$name --help" "does not list --version"

  status=0
  timeout 20 "$bin" --no-such-flag >/dev/null 2>&1 </dev/null || status=$?
  [ "$status" -eq 2 ] || fail "$name --no-such-flag" "exit status $status, want 2"
done

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "$# binaries: --version, --help and usage errors as documented"
