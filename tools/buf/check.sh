#!/usr/bin/env bash
# buf lint and buf breaking of protos/ with the pinned buf of tools/buf (npm's @bufbuild/buf,
# installed by `npm ci` in tools/buf; deploy/test.sh does that). Rules: protos/buf.yaml and
# docs/api-compatibility.md. Nothing is fetched: the protos import only Google's well-known
# types, which buf ships.
#
#   tools/buf/check.sh [-C REPO_ROOT] lint
#   tools/buf/check.sh [-C REPO_ROOT] breaking [--against GIT_REF]
#
# breaking compares protos/ as it is in the work tree (uncommitted changes included) with
# protos/ at GIT_REF, by default the last release tag (`git describe --tags --match 'v*'
# --abbrev=0`) and without one the merge base of HEAD with main (or origin/main). In a clone of
# main at main that base is HEAD itself: the check then passes trivially, and it bites on a
# branch or once a release is tagged.
#
# Environment: FIREGRID_BUF (the buf binary; default tools/buf/node_modules/.bin/buf).
set -euo pipefail

usage() { sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUF="${FIREGRID_BUF:-$HERE/node_modules/.bin/buf}"
if [ "${1:-}" = -C ]; then
  [ "$#" -ge 2 ] || { usage >&2; exit 2; }
  ROOT="$(cd "$2" && pwd)"
  shift 2
fi
mode="${1:-}"
[ "$#" -gt 0 ] && shift
against=""
case "$mode" in
  -h | --help) usage; exit 0 ;;
  lint) [ "$#" -eq 0 ] || { usage >&2; exit 2; } ;;
  breaking)
    if [ "$#" -gt 0 ]; then
      if [ "$1" != --against ] || [ "$#" -ne 2 ]; then
        usage >&2
        exit 2
      fi
      against="$2"
    fi
    ;;
  *) usage >&2; exit 2 ;;
esac
if [ ! -x "$BUF" ]; then
  echo "error: no buf at $BUF: run \`npm ci\` in tools/buf (deploy/test.sh does it)" >&2
  exit 1
fi

if [ "$mode" = lint ]; then
  "$BUF" lint "$ROOT/protos" --error-format=text
  echo "buf lint: protos/ passes ($("$BUF" --version))"
  exit 0
fi

# The base to compare with.
if [ -z "$against" ]; then
  against="$(git -C "$ROOT" describe --tags --match 'v*' --abbrev=0 HEAD 2>/dev/null || true)"
  what="the last release tag"
  if [ -z "$against" ]; then
    for main in main origin/main; do
      if git -C "$ROOT" rev-parse --verify --quiet "$main^{commit}" >/dev/null; then
        against="$(git -C "$ROOT" merge-base HEAD "$main")" && break
      fi
    done
    what="the merge base of HEAD with $main"
  fi
  if [ -z "$against" ]; then
    echo "error: nothing to compare with: no v* tag and no main or origin/main branch; pass --against GIT_REF" >&2
    exit 1
  fi
else
  what="the given ref"
fi
commit="$(git -C "$ROOT" rev-parse --verify "$against^{commit}")"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
if ! git -C "$ROOT" archive "$commit" protos | tar -x -C "$TMP"; then
  echo "error: $against has no protos/" >&2
  exit 1
fi
note=""
if [ "$commit" = "$(git -C "$ROOT" rev-parse HEAD)" ] &&
  git -C "$ROOT" diff --quiet HEAD -- protos && [ -z "$(git -C "$ROOT" status --porcelain -- protos)" ]; then
  note=" (the same protos as HEAD: nothing to compare yet)"
fi
"$BUF" breaking "$ROOT/protos" --against "$TMP/protos" --error-format=text
echo "buf breaking: protos/ is compatible with $what, $against (${commit:0:12})$note"
