#!/bin/bash
# Make a throw-away CA, a server certificate for 127.0.0.1/::1/localhost and a client certificate under
# $BROKERS_TLS_DIR (default $BROKERS_ROOT/tls), plus PKCS12 key/trust stores for ActiveMQ. The start
# scripts turn on their TLS listeners when this material exists (RabbitMQ 127.0.0.1:61614, ActiveMQ
# 127.0.0.1:61624). Idempotent: keeps existing material unless it is incomplete or FORCE=1. Test use only.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
D=$BROKERS_TLS_DIR
files=(ca.pem ca.key server.pem server.key client.pem client.key server.p12 truststore.p12)
complete=1
for f in "${files[@]}"; do [ -s "$D/$f" ] || complete=0; done
if [ "$complete" = 1 ] && [ "${FORCE:-0}" != 1 ] &&
   openssl x509 -checkend 86400 -noout -in "$D/server.pem" >/dev/null 2>&1; then
  echo "tls material already in $D"
  exit 0
fi
mkdir -p "$D"
cd "$D"
rm -f "${files[@]}" ./*.csr ./*.cnf ./*.srl
q() { "$@" >/dev/null 2>&1 || { echo "make-tls.sh: failed: $*" >&2; "$@" >&2 || true; exit 1; }; }
q openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=stomp-test-ca" -keyout ca.key -out ca.pem
printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > ext.cnf
q openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
q openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile ext.cnf -out server.pem
printf 'extendedKeyUsage=clientAuth\n' > cext.cnf
q openssl req -newkey rsa:2048 -nodes -subj "/CN=stomp-test-client" -keyout client.key -out client.csr
q openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile cext.cnf -out client.pem
q openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name server -passout pass:password -out server.p12
if command -v keytool >/dev/null; then
  q keytool -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 -storetype PKCS12 -storepass password
else
  q openssl pkcs12 -export -nokeys -in ca.pem -passout pass:password -out truststore.p12
fi
rm -f ./*.csr
chmod 644 ./*
echo "tls material in $D (CA: ca.pem, server: server.pem/server.key, client: client.pem/client.key)"
