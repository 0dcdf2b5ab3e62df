# Used by render_test.sh (awk -f); kubectl kustomize output (keys sorted, lists not indented).
# Flattens the rendered NetworkPolicies of a kustomize output into lines:
#   <policy> SELECT <label=value ...|*>     the pods it applies to
#   <policy> TYPES <Ingress|Egress ...>
#   <policy> INGRESS|EGRESS <rule> PEER <selector:label=value,...|ipBlock:cidr>
#   <policy> INGRESS|EGRESS <rule> PORT <port>
function ind(s) { match(s, /^ */); return RLENGTH }
function endpeer() { if (peer != "") print name, dir, rule, "PEER", peer; peer = "" }
function flush() {
  if (np) { endpeer(); print name, "SELECT", (sel == "" ? "*" : sel); print name, "TYPES", types }
  np = 0; sec = ""; key = ""; sel = ""; types = ""; rule = 0; part = ""; peer = ""; name = ""
}
/^---$/ { flush(); next }
/^kind: NetworkPolicy$/ { np = 1 }
/^[a-z]/ { sec = $0; sub(/:.*/, "", sec); next }
sec == "metadata" && /^  name: / { name = $2; next }
sec == "spec" {
  i = ind($0); line = substr($0, i + 1)
  if (i == 2 && line !~ /^- /) {
    endpeer(); key = line; sub(/:.*/, "", key); part = ""
    if (key == "ingress" || key == "egress") { dir = toupper(key); rule = 0 }
    if (line == "podSelector: {}") sel = "*"
    next
  }
  if (key == "policyTypes") { types = types " " substr(line, 3); next }
  if (key == "podSelector") { if (i == 6) { gsub(/: /, "=", line); sel = sel " " line } next }
  if (key != "ingress" && key != "egress") next
  if (i == 2 && line ~ /^- /) { endpeer(); rule++; part = ""; line = substr(line, 3); i = 4 }
  if (i == 4 && line ~ /^(from|to|ports):/) { endpeer(); part = line; sub(/:.*/, "", part); next }
  if (i == 4 && line ~ /^- /) { line = substr(line, 3); i = 6; if (part != "ports") { endpeer(); peer = "." } }
  if (part == "ports") { if (line ~ /^port: /) print name, dir, rule, "PORT", $NF; next }
  if (i == 6 && line ~ /^[a-zA-Z]+: \{\}$/) { sub(/: \{\}/, "", line); peer = peer " " line ":*"; next }
  if (i == 6 && line ~ /:$/) { cur = line; sub(/:$/, "", cur); next }
  if (i == 10 && cur ~ /Selector$/) { gsub(/: /, "=", line); peer = peer " " cur ":" line; next }
  if (cur == "ipBlock" && line ~ /^cidr: /) { peer = peer " ipBlock:" $2; next }
}
END { flush() }
