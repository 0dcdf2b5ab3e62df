#!/usr/bin/env bash
# Creates the development secrets the k8s dev overlay generates its Secrets from, in DIR
# (k8s/overlays/dev/secrets/ by default, gitignored): nothing secret is ever committed.
#
#   deploy/k8s-dev-secrets.sh [--force] [DIR]
#
#   DIR          where the files go (created, mode 700):
#                  hs256.key        the HS256 development token key (48 random bytes, base64)
#                  signing-key.pem  the accounts service's RSA signing key (2048 bits)
#                  public.pem       its public half, what every service verifies tokens with
#                  person.key       the credit service's person-id hashing key (48 random bytes)
#                  tls.crt, tls.key the Ingress's self-signed certificate for firegrid.dev.localhost
#                  mqtt/            deploy/mqtt-credentials.sh's files: the mosquitto password
#                                   file and ACL, and the monitoring user's password
#   --force      make new keys even where they exist (the person key changes every subject id:
#                only for a fresh cluster)
#   -h, --help   print this text and do nothing else
#
# A file that exists is kept, so running it again changes nothing. Add MQTT clients with
#   deploy/mqtt-credentials.sh DIR/mqtt gateway:ID device:ID ...
# then apply the overlay again. Needs openssl and mosquitto_passwd (Debian packages openssl,
# mosquitto). Exit status: 2 for a wrong argument.
set -euo pipefail

# shellcheck source=deploy/lib/usage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/usage.sh"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR=""
force=0
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      fg_usage "${BASH_SOURCE[0]}"
      exit 0
      ;;
    --force) force=1 ;;
    -*) fg_usage_error "${BASH_SOURCE[0]}" "unknown argument: $arg" ;;
    *)
      [ -z "$DIR" ] || fg_usage_error "${BASH_SOURCE[0]}" "unknown argument $arg (DIR is $DIR)"
      DIR="$arg"
      ;;
  esac
done
DIR="${DIR:-$ROOT/k8s/overlays/dev/secrets}"
command -v openssl >/dev/null 2>&1 ||
  { echo "error: openssl is missing (Debian package openssl)" >&2; exit 1; }

umask 077
mkdir -p "$DIR"
chmod 700 "$DIR"
# wanted FILE — true when FILE is to be (re)made.
wanted() { [ "$force" -eq 1 ] || [ ! -s "$DIR/$1" ]; }
# random_key FILE — 48 bytes from /dev/urandom, base64 on one line without a newline (printable,
# so that `firegridctl token --key-file` and the services read the same bytes).
random_key() {
  head -c 48 /dev/urandom | base64 -w0 >"$DIR/$1.new"
  mv "$DIR/$1.new" "$DIR/$1"
  echo "wrote $DIR/$1"
}
if wanted hs256.key; then random_key hs256.key; fi
if wanted person.key; then random_key person.key; fi
if wanted signing-key.pem || [ ! -s "$DIR/public.pem" ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DIR/signing-key.pem.new" 2>/dev/null
  openssl pkey -in "$DIR/signing-key.pem.new" -pubout -out "$DIR/public.pem"
  mv "$DIR/signing-key.pem.new" "$DIR/signing-key.pem"
  echo "wrote $DIR/signing-key.pem and $DIR/public.pem"
fi
if wanted tls.key || [ ! -s "$DIR/tls.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=firegrid.dev.localhost" \
    -addext "subjectAltName=DNS:firegrid.dev.localhost" \
    -keyout "$DIR/tls.key.new" -out "$DIR/tls.crt" 2>/dev/null
  mv "$DIR/tls.key.new" "$DIR/tls.key"
  echo "wrote $DIR/tls.crt and $DIR/tls.key"
fi
if [ "$force" -eq 1 ] || [ ! -s "$DIR/mqtt/passwd" ]; then
  [ "$force" -eq 0 ] || rm -rf "$DIR/mqtt"
  bash "$ROOT/deploy/mqtt-credentials.sh" "$DIR/mqtt" >/dev/null
  echo "wrote $DIR/mqtt (the monitoring user only; add clients with deploy/mqtt-credentials.sh)"
fi
