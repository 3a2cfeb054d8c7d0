#!/bin/sh
# Make fresh test-only TLS material in $1 (tests/test_otlp_security.c):
# a CA, a server certificate for 127.0.0.1/localhost and a client
# certificate signed by it, and a server certificate for another host name
# (other.pem: a hostname mismatch). Keys are EC P-256, valid one day.
set -eu
d=$1
mkdir -p "$d"
cd "$d"
key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=cotel test CA" -days 1 \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign" -out ca.pem 2>/dev/null
sign() { # name subject san extendedKeyUsage
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\n' "$3" "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "$5" \
    -days 1 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
sign server "/CN=127.0.0.1" "IP:127.0.0.1,DNS:localhost" serverAuth 1
sign client "/CN=cotel test client" "DNS:client.invalid" clientAuth 2
sign other "/CN=other.invalid" "DNS:other.invalid" serverAuth 3
rm -f ./*.csr ./*.ext ca.key
