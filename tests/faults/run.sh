#!/usr/bin/env bash
# The fault experiments of tests/faults (CTest label "faults").
set -euo pipefail

usage() {
  cat <<'EOF'
Usage:
  tests/faults/run.sh [--build-dir DIR]
      The short run, as in the test command: a few cycles of every experiment
      (ctest -L faults).
  tests/faults/run.sh --full [--cycles N] [--build-dir DIR] [--doc FILE]
      The long run: N cycles of every experiment (FIREGRID_FAULTS_CYCLES, default 10), each
      experiment's figures collected (FIREGRID_FAULTS_REPORT), then the figures section of
      docs/reliability.md regenerated from them. Exits non-zero when an experiment failed (its
      figures are rendered all the same).
  tests/faults/run.sh --render REPORT.jsonl DOC.md
      Regenerates the figures section of DOC.md (between the faults:figures markers) from the
      JSON lines of REPORT.jsonl; the rest of DOC.md is left as it is.

The experiments must be built first (cmake --build build; the fault test binaries and the
service binaries). DIR defaults to <repository>/build.
EOF
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$repo/build"
doc="$repo/docs/reliability.md"
mode=short
cycles=10
render_report=""
render_doc=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --full) mode=full; shift ;;
    --cycles) cycles="${2:?--cycles needs a number}"; shift 2 ;;
    --build-dir) build="${2:?--build-dir needs a directory}"; shift 2 ;;
    --doc) doc="${2:?--doc needs a file}"; shift 2 ;;
    --render)
      mode=render
      render_report="${2:?--render needs REPORT.jsonl DOC.md}"
      render_doc="${3:?--render needs REPORT.jsonl DOC.md}"
      shift 3 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

if ! [[ "$cycles" =~ ^[1-9][0-9]*$ ]]; then
  echo "run.sh: --cycles must be a positive number, not '$cycles'" >&2
  exit 2
fi

# Replaces the lines between the markers of $2 with tables rendered from the JSON lines of $1:
# one section per experiment (the last line of an experiment wins), in order of first appearance.
render() {
  python3 - "$1" "$2" <<'PY'
import json, sys

report, doc = sys.argv[1], sys.argv[2]
BEGIN, END = "<!-- faults:figures:begin -->", "<!-- faults:figures:end -->"

experiments = {}
with open(report, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        line = line.strip()
        if not line:
            continue
        try:
            e = json.loads(line)
            name = e["experiment"]
        except (ValueError, KeyError) as err:
            sys.exit(f"run.sh: {report}:{n}: not a figures line ({err})")
        experiments[name] = e  # a later run of an experiment replaces it, in its place

def seconds(ms):
    return f"{ms / 1000:.2f} s"

out = [BEGIN, ""]
if not experiments:
    out += ["No figures yet: run `tests/faults/run.sh --full`.", ""]
for name, e in experiments.items():
    out += [f"### {name}", "",
            "| cycles | writes | acknowledged | lost | duplicated | recovery max |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {e.get('cycles', 0)} | {e.get('writes', 0)} | {e.get('acknowledged', 0)} "
            f"| {e.get('lost', 0)} | {e.get('duplicated', 0)} "
            f"| {seconds(e.get('recovery_max_ms', 0))} |", ""]
    extra = e.get("extra") or {}
    if extra:
        out += ["| figure | value |", "|---|---:|"]
        out += [f"| {k} | {v} |" for k, v in extra.items()]
        out.append("")
out.append(END)

with open(doc, encoding="utf-8") as f:
    text = f.read()
begin, end = text.find(BEGIN), text.find(END)
if begin < 0 or end < begin:
    sys.exit(f"run.sh: {doc} has no {BEGIN} … {END} section")
text = text[:begin] + "\n".join(out) + text[end + len(END):]
with open(doc, "w", encoding="utf-8") as f:
    f.write(text)
print(f"run.sh: {len(experiments)} experiments rendered into {doc}")
PY
}

case "$mode" in
  render)
    render "$render_report" "$render_doc"
    ;;
  short)
    exec ctest --test-dir "$build" -L faults --output-on-failure
    ;;
  full)
    report="$(mktemp "${TMPDIR:-/tmp}/firegrid-faults-XXXXXX.jsonl")"
    echo "run.sh: $cycles cycles per experiment; figures in $report"
    status=0
    FIREGRID_FAULTS_CYCLES="$cycles" FIREGRID_FAULTS_REPORT="$report" \
      ctest --test-dir "$build" -L faults --timeout 14400 --output-on-failure || status=$?
    render "$report" "$doc"
    if [[ $status -ne 0 ]]; then
      echo "run.sh: some experiments failed (ctest exit $status); their figures are rendered" >&2
    fi
    exit "$status"
    ;;
esac
