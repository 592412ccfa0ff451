#!/bin/sh
# The tls-init one-shot service of docker-compose.yml: when /etc/metisai/tls holds no certificate, makes a
# self-signed one (once; later starts keep it) so that a first start without a domain serves HTTPS at all.
# Its subject alternative names: TLS_SAN (init-env writes the host's name and addresses there, e.g.
# "DNS:metis.example.com,IP:203.0.113.7"), the host of PUBLIC_URL, and localhost, 127.0.0.1, ::1.
# Mounted certificates (TLS_CERT_DIR holding fullchain.pem and privkey.pem) are left alone.
set -eu
dir=/etc/metisai/tls
if [ -s "$dir/fullchain.pem" ] && [ -s "$dir/privkey.pem" ]; then
  echo "tls-init: $dir holds a certificate; nothing to do"
  exit 0
fi
san="DNS:localhost,IP:127.0.0.1,IP:::1"
rest="${PUBLIC_URL#*://}"
rest="${rest%%/*}"
case "$rest" in
  \[*) host="${rest#[}"; host="${host%%]*}" ;;
  *) host="${rest%%:*}" ;;
esac
cn="${host:-localhost}"
case "$host" in
  '') ;;
  *:* | *[!0-9.]*) case "$host" in *:*) san="IP:$host,$san" ;; *) san="DNS:$host,$san" ;; esac ;;
  *) san="IP:$host,$san" ;;
esac
[ -n "${TLS_SAN:-}" ] && san="$TLS_SAN,$san"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
  -subj "/CN=$cn" -addext "subjectAltName=$san" -addext "basicConstraints=critical,CA:FALSE" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$dir/privkey.pem.tmp" -out "$dir/fullchain.pem.tmp" 2>/dev/null
chmod 644 "$dir/fullchain.pem.tmp"
mv "$dir/privkey.pem.tmp" "$dir/privkey.pem"
mv "$dir/fullchain.pem.tmp" "$dir/fullchain.pem"
echo "tls-init: made a self-signed certificate for $san (valid 825 days); replace it with a real one (docs/deployment.md#tls)"
