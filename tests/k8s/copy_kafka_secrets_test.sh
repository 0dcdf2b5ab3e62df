#!/usr/bin/env bash
# deploy/k8s-copy-kafka-secrets.sh against a fake kubectl (no cluster here): it reads each
# Strimzi Secret's one key from the Kafka namespace and applies a Secret of the same name with
# only that key in firegrid's; the CA's private key never leaves; a missing Secret stops it
# before anything else is applied.
#
#   tests/k8s/copy_kafka_secrets_test.sh [REPO_ROOT]
set -euo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() {
  echo "FAIL: $1"
  failures=$((failures + 1))
}

# The fake kubectl: `get secret NAME -o jsonpath={.data.KEY}` answers from $TMP/store/NS/NAME/KEY
# (base64, as the API gives it); `create secret generic ... --dry-run=client -o yaml` is the real
# manifest shape (kubectl itself is not needed for it: the fake prints it); `apply -f FILE`
# records FILE's contents in $TMP/applied.
mkdir -p "$TMP/bin" "$TMP/store/kafka"
cat >"$TMP/bin/kubectl" <<'FAKE'
#!/usr/bin/env bash
set -euo pipefail
ns=""
args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    -n) ns="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "${args[@]}"
case "$1 $2" in
  "get secret")
    name="$3"
    key="${5#jsonpath=\{.data.}"
    key="${key%\}}"
    key="${key//\\./.}"
    [ -d "$FAKE_STORE/$ns/$name" ] || { echo "Error from server (NotFound): secrets \"$name\" not found" >&2; exit 1; }
    [ ! -f "$FAKE_STORE/$ns/$name/$key" ] || cat "$FAKE_STORE/$ns/$name/$key"
    ;;
  "create secret")
    name="$4"
    from="${5#--from-file=}"
    key="${from%%=*}"
    file="${from#*=}"
    printf 'apiVersion: v1\ndata:\n  %s: %s\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\n' \
      "$key" "$(base64 -w0 <"$file")" "$name" "$ns"
    ;;
  "apply -f")
    cat "$3" >>"$FAKE_APPLIED"
    echo "---" >>"$FAKE_APPLIED"
    ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 3 ;;
esac
FAKE
chmod +x "$TMP/bin/kubectl"
export FAKE_STORE="$TMP/store" FAKE_APPLIED="$TMP/applied"
put() { mkdir -p "$TMP/store/kafka/$1"; printf '%s' "$3" | base64 -w0 >"$TMP/store/kafka/$1/$2"; }
put firegrid-cluster-ca-cert ca.crt "-----BEGIN CERTIFICATE-----cluster-ca"
put firegrid-cluster-ca-cert ca.key "-----BEGIN PRIVATE KEY-----never-copied"
for svc in buildings hazards notify credit monitoring accounts gateway; do
  put "firegrid-$svc" password "scram-password-of-$svc"
  put "firegrid-$svc" sasl.jaas.config "org.apache.kafka...password=scram-password-of-$svc"
done

PATH="$TMP/bin:$PATH" bash "$ROOT/deploy/k8s-copy-kafka-secrets.sh" >"$TMP/out" 2>&1 ||
  fail "the copy failed: $(cat "$TMP/out")"
[ "$(grep -c '^kind: Secret$' "$TMP/applied")" -eq 8 ] || fail "8 Secrets applied (the CA and 7 users)"
[ "$(grep -c '^  namespace: firegrid$' "$TMP/applied")" -eq 8 ] || fail "every Secret goes to firegrid"
grep -q "^  ca.crt: $(printf '%s' '-----BEGIN CERTIFICATE-----cluster-ca' | base64 -w0)\$" "$TMP/applied" ||
  fail "the CA certificate is copied as ca.crt"
grep -q 'ca.key\|never-copied' "$TMP/applied" && fail "the CA's private key was copied"
grep -q 'sasl.jaas.config' "$TMP/applied" && fail "keys beyond password were copied"
for svc in buildings hazards notify credit monitoring accounts gateway; do
  grep -q "^  password: $(printf '%s' "scram-password-of-$svc" | base64 -w0)\$" "$TMP/applied" ||
    fail "firegrid-$svc's password is copied"
done

# --print applies nothing and shows the manifests.
: >"$TMP/applied"
PATH="$TMP/bin:$PATH" bash "$ROOT/deploy/k8s-copy-kafka-secrets.sh" --print >"$TMP/printed" 2>&1 ||
  fail "--print failed"
[ ! -s "$TMP/applied" ] || fail "--print applied something"
[ "$(grep -c '^kind: Secret$' "$TMP/printed")" -eq 8 ] || fail "--print shows 8 Secrets"

# A user Strimzi has not made yet: an error naming it, nothing applied after it.
rm -rf "$TMP/store/kafka/firegrid-notify"
: >"$TMP/applied"
if PATH="$TMP/bin:$PATH" bash "$ROOT/deploy/k8s-copy-kafka-secrets.sh" >"$TMP/out" 2>&1; then
  fail "a missing Secret is an error"
fi
grep -q 'firegrid-notify' "$TMP/out" || fail "the error names the missing Secret"
grep -q 'firegrid-credit' "$TMP/applied" && fail "nothing after the missing Secret is applied"
rc=0
PATH="$TMP/bin:$PATH" bash "$ROOT/deploy/k8s-copy-kafka-secrets.sh" --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a wrong argument exits 2 (got $rc)"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "copy kafka secrets: the CA and 7 users' passwords, only those keys, stops at a missing one"
