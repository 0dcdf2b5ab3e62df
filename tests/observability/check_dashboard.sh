#!/usr/bin/env bash
# Checks deploy/observability/grafana-dashboard.json: valid JSON, every panel query is valid
# PromQL (promtool checks them as recording rules), and every metric the dashboard and the alert
# rules use is documented in docs/observability.md. Exit 77 (skip) without promtool.
set -euo pipefail
root="$1"
dir="$root/deploy/observability"
command -v promtool >/dev/null || { echo "promtool not installed"; exit 77; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$dir/grafana-dashboard.json" "$tmp/rules.yml" <<'PY'
import json, sys
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
assert exprs, "no panel queries"
with open(sys.argv[2], "w") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        out.write(f"      - record: dashboard:panel_{i}\n        expr: {json.dumps(e)}\n")
PY
promtool check rules "$tmp/rules.yml" >/dev/null
missing=0
for m in $(grep -ohE '\b(firegrid|process)_[a-z_]+' "$dir/grafana-dashboard.json" "$dir/alerts.yml" |
             sed -E 's/_(bucket|sum|count)$//' | sort -u); do
  if ! grep -q "\`$m\`" "$root/docs/observability.md"; then
    echo "metric $m is used but not documented in docs/observability.md"
    missing=1
  fi
done
exit "$missing"
