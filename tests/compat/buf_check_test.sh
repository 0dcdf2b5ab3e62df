#!/usr/bin/env bash
# tools/buf/check.sh bites: in a scratch git repository holding a copy of protos/, buf lint fails
# on a message named against the rules; buf breaking fails on a renumbered field and on a renamed
# one (wire-compatible, but FILE keeps names: config text and the generated C++ use them) against
# the last v* tag, passes on an added field, and without a tag compares a branch with its merge
# base with main (a clone of main at main compares with itself and passes, saying so).
#
#   tests/compat/buf_check_test.sh [REPO_ROOT]
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
CHECK="$ROOT/tools/buf/check.sh"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() {
  echo "FAIL [$1]: $2"
  failures=$((failures + 1))
}
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
EVENTS=protos/firegrid/hazards/v1/events.proto

# A scratch repository: protos/ as in the work tree, committed on main.
scratch() {
  local dir="$TMP/$1"
  mkdir -p "$dir"
  cp -r "$ROOT/protos" "$dir/protos"
  git -C "$dir" init -q -b main
  git -C "$dir" add protos
  git -C "$dir" commit -qm base
  echo "$dir"
}
# expect_fail NAME OUTPUT_PATTERN COMMAND... — the command fails and prints the pattern.
expect_fail() {
  local name="$1" pattern="$2" out
  shift 2
  if out="$("$@" 2>&1)"; then
    fail "$name" "passed: $out"
  elif ! grep -q -- "$pattern" <<<"$out"; then
    fail "$name" "failed without \"$pattern\": $out"
  fi
}
expect_pass() {
  local name="$1" pattern="$2" out
  shift 2
  if ! out="$("$@" 2>&1)"; then
    fail "$name" "failed: $out"
  elif ! grep -q -- "$pattern" <<<"$out"; then
    fail "$name" "passed without \"$pattern\": $out"
  fi
}

# ----- lint: the protos as they are pass; a message not in PascalCase fails
repo="$(scratch lint)"
expect_pass lint_clean "buf lint: protos/ passes" "$CHECK" -C "$repo" lint
echo 'message badly_named {}' >>"$repo/$EVENTS"
expect_fail lint_violation "PascalCase" "$CHECK" -C "$repo" lint

# ----- breaking against the last release tag
repo="$(scratch tagged)"
git -C "$repo" tag v1.0.0
git -C "$repo" commit -q --allow-empty -m later
expect_pass tag_unchanged "the last release tag, v1.0.0" "$CHECK" -C "$repo" breaking
sed -i 's/bool on_time = 2;/bool on_time = 3;/' "$repo/$EVENTS"
grep -q 'on_time = 3;' "$repo/$EVENTS" || fail tag_renumbered "the edit did not apply"
expect_fail tag_renumbered 'HazardClosed' "$CHECK" -C "$repo" breaking
git -C "$repo" checkout -q -- protos
sed -i 's/string note = 2;/string remark = 2;/' "$repo/$EVENTS"
grep -q 'remark = 2;' "$repo/$EVENTS" || fail tag_renamed "the edit did not apply"
expect_fail tag_renamed '"note"' "$CHECK" -C "$repo" breaking
git -C "$repo" checkout -q -- protos
sed -i 's/bool on_time = 2;/bool on_time = 2;\n  string added_later = 3;/' "$repo/$EVENTS"
grep -q 'added_later = 3;' "$repo/$EVENTS" || fail tag_added "the edit did not apply"
expect_pass tag_added "compatible" "$CHECK" -C "$repo" breaking
# The breaking change committed is caught as well (the tag, not HEAD, is the base).
sed -i 's/bool on_time = 2;/bool on_time = 4;/' "$repo/$EVENTS"
git -C "$repo" commit -qam "renumber"
expect_fail tag_renumbered_committed 'HazardClosed' "$CHECK" -C "$repo" breaking

# ----- without a tag: a branch against its merge base with main
repo="$(scratch untagged)"
git -C "$repo" checkout -qb feature
sed -i 's/bool on_time = 2;/bool on_time = 3;/' "$repo/$EVENTS"
git -C "$repo" commit -qam "renumber on a branch"
expect_fail branch_renumbered 'HazardClosed' "$CHECK" -C "$repo" breaking
git -C "$repo" checkout -q main
expect_pass main_at_main "nothing to compare yet" "$CHECK" -C "$repo" breaking
expect_fail main_renumbered_uncommitted 'HazardClosed' \
  bash -c "sed -i 's/bool on_time = 2;/bool on_time = 5;/' '$repo/$EVENTS' && '$CHECK' -C '$repo' breaking"

# ----- no base at all: an error that says what to do, not a silent pass
repo="$TMP/nobase"
mkdir -p "$repo" && cp -r "$ROOT/protos" "$repo/protos"
git -C "$repo" init -q -b trunk && git -C "$repo" add protos && git -C "$repo" commit -qm base
expect_fail no_base "pass --against" "$CHECK" -C "$repo" breaking

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "buf check: every case behaves"
