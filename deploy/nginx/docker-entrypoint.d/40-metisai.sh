#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts (mounted into /docker-entrypoint.d/ by docker-compose.yml).
# Writes the snippets templates/metisai.conf.template includes, then watches the certificate for renewals.
#   listen-tls.conf   nginx >= 1.25.1: `listen 443 ssl;` + `http2 on;`; older (Debian's 1.22): `listen 443 ssl http2;`.
#                     [::] listeners only when the container has IPv6 (as the official image's 10-listen-on-ipv6 does).
#   body.conf         client_max_body_size = the largest of UPLOAD_LIMIT_BYTES, IMPORT_LIMIT_BYTES and BODY_LIMIT_BYTES,
#                     the server's limits (compose passes the same variables to both services: one source).
#   timeouts.conf     proxy_read_timeout and proxy_send_timeout = METIS_PROXY_READ_TIMEOUT (default 65m: above the
#                     server's SSE_MAX_AGE_SECONDS, so event streams are never cut; a server that accepts a request and
#                     never answers gets nginx's 504 after it).
#   reload            every 60 s, `nginx -s reload` when fullchain.pem or privkey.pem changed (an ACME renewal).
set -eu
dir=/etc/nginx/metisai
cert=/etc/metisai/tls/fullchain.pem
key=/etc/metisai/tls/privkey.pem
mkdir -p "$dir"

version="$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9][0-9.]*\).*|\1|p')"
major="${version%%.*}"; rest="${version#*.}"; minor="${rest%%.*}"; patch="${rest#*.}"; patch="${patch%%.*}"
ipv6=no
[ -f /proc/net/if_inet6 ] && ipv6=yes
if [ "$major" -gt 1 ] || [ "$minor" -gt 25 ] || { [ "$minor" -eq 25 ] && [ "$patch" -ge 1 ]; }; then
  { echo "listen 443 ssl;"; [ "$ipv6" = yes ] && echo "listen [::]:443 ssl;"; echo "http2 on;"; } > "$dir/listen-tls.conf"
else
  { echo "listen 443 ssl http2;"; [ "$ipv6" = yes ] && echo "listen [::]:443 ssl http2;"; } > "$dir/listen-tls.conf"
fi
{ echo "listen 80;"; [ "$ipv6" = yes ] && echo "listen [::]:80;"; } > "$dir/listen-http.conf"
echo "$0: nginx $version, IPv6 $ipv6"

upload="${UPLOAD_LIMIT_BYTES:-104857600}"
import="${IMPORT_LIMIT_BYTES:-52428800}"
body="${BODY_LIMIT_BYTES:-1048576}"
case "$upload$import$body" in *[!0-9]*) echo "$0: UPLOAD_LIMIT_BYTES, IMPORT_LIMIT_BYTES and BODY_LIMIT_BYTES must be byte counts" >&2; exit 1 ;; esac
limit="$upload"
[ "$import" -gt "$limit" ] && limit="$import"
[ "$body" -gt "$limit" ] && limit="$body"
echo "client_max_body_size $limit;" > "$dir/body.conf"
echo "$0: client_max_body_size $limit"

timeout="${METIS_PROXY_READ_TIMEOUT:-65m}"
case "$timeout" in
  '' | *[!0-9smhd]* | [!0-9]*) echo "$0: METIS_PROXY_READ_TIMEOUT must be an nginx time (65m, 90s, …): '$timeout'" >&2; exit 1 ;;
esac
{ echo "proxy_read_timeout $timeout;"; echo "proxy_send_timeout $timeout;"; } > "$dir/timeouts.conf"
echo "$0: proxy_read_timeout $timeout"

if [ ! -s "$cert" ] || [ ! -s "$key" ]; then
  echo "$0: no certificate at $cert and $key (the tls-init service makes a self-signed one; see docs/deployment.md#tls)" >&2
  exit 1
fi

sum() { cat "$cert" "$key" 2>/dev/null | cksum; }
(
  last="$(sum)"
  while sleep 60; do
    now="$(sum)"
    if [ "$now" != "$last" ] && nginx -t -q 2>/dev/null; then
      echo "$0: certificate changed, reloading nginx"
      nginx -s reload && last="$now"
    fi
  done
) &
