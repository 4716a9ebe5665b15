#!/usr/bin/env bash
# OCSP responses signed per second: `pnc pki ocsp-serve` side by side with `openssl ocsp` as a responder, both driven
# by the same bounded load (`pnc pki ocsp-load`: POST, fresh nonce per request, every answer checked) on 127.0.0.1.
# Usage: dev/bench-ocsp.sh [requests=2000] [concurrency=8] [curve=P-256|P-521]
# Uses .build/release/pnc (built if missing; set PNC=... to use another binary).
# `openssl ocsp -port` binds every interface, so both responders run in a private network namespace that has only
# a loopback interface (created here with unshare; needs root or unprivileged user namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${OPENPNC_BENCH_NETNS:-}" ]; then
  if [ "$(id -u)" = 0 ]; then netns=(unshare --net); else netns=(unshare --net --map-root-user); fi
  exec env OPENPNC_BENCH_NETNS=1 "${netns[@]}" bash "$0" "$@"
fi
ip link set lo up
requests=${1:-2000}
concurrency=${2:-8}
curve=${3:-P-256}
PNC=${PNC:-.build/release/pnc}
[ -x "$PNC" ] || swift build -c release --product pnc >/dev/null
PNC=$(cd "$(dirname "$PNC")" && pwd)/$(basename "$PNC")
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
digest=sha256; [ "$curve" = "P-521" ] && digest=sha512
mkdir ca
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:$curve -nodes -keyout root.key -out root.pem -$digest \
  -subj "/CN=Bench Root" -days 30 -addext basicConstraints=critical,CA:true \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:$curve -nodes -keyout ca/key.pem -out ca.csr -subj "/CN=Bench CA" 2>/dev/null
printf "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n" > ca.ext
openssl x509 -req -in ca.csr -CA root.pem -CAkey root.key -set_serial 0x1001 -days 30 -$digest -extfile ca.ext -out ca/cert.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:$curve -nodes -keyout leaf.key -out leaf.csr -subj "/CN=Bench Leaf" 2>/dev/null
openssl x509 -req -in leaf.csr -CA ca/cert.pem -CAkey ca/key.pem -set_serial 0x3002 -days 30 -$digest -out leaf.pem 2>/dev/null
# The same single issued certificate in both responders' databases.
cat > ca/database.json <<JSON
{"formatVersion": 1, "nextCRLNumber": 1, "certificates": [{"serial": "3002", "subject": "CN=Bench Leaf",
 "notBefore": "2026-01-01T00:00:00Z", "notAfter": "2036-01-01T00:00:00Z", "sha256": ""}]}
JSON
printf 'V\t360101000000Z\t\t3002\tunknown\t/CN=Bench Leaf\n' > index.txt

port_ours=$((20000 + RANDOM % 20000)); port_openssl=$((port_ours + 1))
"$PNC" pki ocsp-serve --port "$port_ours" --ca ca --validity-seconds 3600 >ours.log 2>&1 & pids+=($!)
openssl ocsp -index index.txt -port "$port_openssl" -rsigner ca/cert.pem -rkey ca/key.pem -CA ca/cert.pem \
  -nmin 60 -multi "$(nproc)" >openssl.log 2>&1 & pids+=($!)
sleep 1.5
echo "OCSP load: $requests requests, $concurrency in flight, $curve, $(nproc) cores"
printf '%-34s ' "pnc pki ocsp-serve:"
"$PNC" pki ocsp-load --url "http://127.0.0.1:$port_ours" --issuer ca/cert.pem --cert leaf.pem \
  --requests "$requests" --concurrency "$concurrency"
printf '%-34s ' "openssl ocsp -multi $(nproc):"
"$PNC" pki ocsp-load --url "http://127.0.0.1:$port_openssl" --issuer ca/cert.pem --cert leaf.pem \
  --requests "$requests" --concurrency "$concurrency"
# Interop check: our verifier accepts openssl's signed answers and openssl's client accepts ours (tests cover the rest).
printf '%-34s ' "verified openssl answers:"
"$PNC" pki ocsp-load --url "http://127.0.0.1:$port_openssl" --issuer ca/cert.pem --cert leaf.pem --requests 50 \
  --concurrency 2 --verify
