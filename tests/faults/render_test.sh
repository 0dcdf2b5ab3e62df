#!/usr/bin/env bash
# tests/faults/run.sh --render: the figures section of a document regenerated from a fixture of
# figures lines (testdata/figures.jsonl), the hand-written prose around it kept.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat > "$tmp/doc.md" <<'DOC'
# Reliability
Prose before.
<!-- faults:figures:begin -->
stale table
<!-- faults:figures:end -->
Prose after.
DOC
"$here/run.sh" --render "$here/testdata/figures.jsonl" "$tmp/doc.md" > /dev/null
doc="$(cat "$tmp/doc.md")"
has() { grep -qF -- "$1" <<< "$doc" || fail "missing: $1"; }

has "Prose before."
has "Prose after."
grep -qF "stale table" <<< "$doc" && fail "the old figures were kept"
# The later line of an experiment replaces the earlier one; the order is of first appearance.
has "| 10 | 812 | 810 | 1 | 2 | 1.23 s |"
grep -qF "| 2 | 73 | 73 |" <<< "$doc" && fail "an experiment's earlier figures were kept"
has "| writes given up | 2 |"
has "| 1 | 2788 | 2788 | 0 | 0 | 4.04 s |"
[[ "$(grep -c '^### ' <<< "$doc")" == 2 ]] || fail "not one section per experiment"
first="$(grep -m1 '^### ' <<< "$doc")"
[[ "$first" == "### kill -9 buildings under CreateBuilding load" ]] || fail "order: $first"

# Rendering again gives the same document.
cp "$tmp/doc.md" "$tmp/once.md"
"$here/run.sh" --render "$here/testdata/figures.jsonl" "$tmp/doc.md" > /dev/null
cmp -s "$tmp/doc.md" "$tmp/once.md" || fail "rendering twice changed the document"

# A document without the markers is refused and left alone.
printf '# No markers\n' > "$tmp/plain.md"
if "$here/run.sh" --render "$here/testdata/figures.jsonl" "$tmp/plain.md" 2> /dev/null; then
  fail "a document without markers was accepted"
fi
[[ "$(cat "$tmp/plain.md")" == "# No markers" ]] || fail "a document without markers was changed"

# A line that is not a figures object is refused.
printf '{"cycles": 1}\n' > "$tmp/bad.jsonl"
if "$here/run.sh" --render "$tmp/bad.jsonl" "$tmp/doc.md" 2> /dev/null; then
  fail "a line without an experiment was accepted"
fi
"$here/run.sh" --help | grep -qF -- "--full" || fail "--help does not describe --full"
echo "PASS"
