#!/usr/bin/env bash
# End-to-end test of the docker compose deployment, run as a self-hoster would (README: scripts/init-env, then
# `docker compose up -d --build`), with the unchanged docker-compose.yml plus deploy/smoke/compose.scripted-llm.yml
# (the scripted LLM as a service). Through nginx over TLS with HTTP/2 only:
#   up --build -> health -> create-user -> HTTP->HTTPS redirect, HSTS, /metrics refused, registration closed ->
#   log in, set the LLM, create and start an agent -> a conversation whose scripted LLM runs a real command in a real
#   sandbox container, its event stream read through the proxy with each delta timestamped on arrival (deltas are
#   produced 300 ms apart: they must not arrive bunched) -> the widget script with its headers -> IPv6 on [::1] ->
#   nginx's JSON 504 from a hung (paused) server -> two server replicas behind nginx, a certificate renewal with
#   `nginx -s reload` under an open event stream, a run on one replica streamed through nginx from the other ->
#   restart the stack: rows and workspace file still there -> scripts/backup -> scripts/cleanup + down -v ->
#   scripts/restore (it checks rows and workspace checksums) -> the data is back through the API -> scripts/cleanup +
#   down -v: nothing left -> an upgrade from the previous release's server image to the current one (two replicas
#   migrate once) and its rollback, in a project of its own.
# Prints a table of steps with seconds. Its own compose project (metisai-smoke-<random>), free host ports (or the
# SMOKE_*_PORT given), sandbox network and env file (in a temp dir): a deployment on the same host, or another run of
# this test, is untouched.
# Images are kept (the build cache of the next run); containers, volumes and networks of this run are removed.
# When node:24-bookworm-slim, postgres:18 or nginx:1.28 can neither be found nor pulled, it builds the stand-ins of
# deploy/standins/ (machines without registry access), tagged by the hash of their files so they are built once.
#
# Env: DOCKER (docker CLI, default docker), SMOKE_HTTP_PORT, SMOKE_HTTPS_PORT (default: free ports), NODE_IMAGE,
#      POSTGRES_IMAGE, NGINX_IMAGE, EXTRA_CA_CERTS (PEM to trust in builds; default: the host's
#      /usr/local/share/ca-certificates/*.crt), SMOKE_KEEP_WORKDIR=1 (keep the temp dir: env file, backup, logs),
#      SMOKE_PROJECT_PREFIX (default metisai-smoke: the compose projects are <prefix>-<random> and <…>-upgrade).
set -euo pipefail

cd "$(dirname "$0")/.."
repo="$(pwd)"
DOCKER="${DOCKER:-docker}"
export COMPOSE_PROJECT_NAME="${SMOKE_PROJECT_PREFIX:-metisai-smoke}-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
export COMPOSE_FILE="docker-compose.yml:deploy/smoke/compose.scripted-llm.yml"
work="$(mktemp -d /tmp/metisai-smoke.XXXXXX)"
chmod 755 "$work"
env_file="$work/env"

if "$DOCKER" compose version >/dev/null 2>&1; then
  compose_cmd=("$DOCKER" compose)
elif command -v docker-compose >/dev/null; then
  compose_cmd=(docker-compose)
  # docker-compose 1.29 builds through the engine API (the classic builder) unless told to call `docker build`. With a
  # CLI that has BuildKit (built in before Docker 23, else the buildx plugin), `docker build` shares the cache of
  # scripts/ensure-docker.sh's sandbox image build: a fresh CI machine then does not build that image twice.
  cli_major="$("$DOCKER" version -f '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)"
  if "$DOCKER" buildx version >/dev/null 2>&1 || { [ -n "$cli_major" ] && [ "$cli_major" -lt 23 ] 2>/dev/null; }; then
    export COMPOSE_DOCKER_CLI_BUILD="${COMPOSE_DOCKER_CLI_BUILD:-1}" DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-1}"
  else
    export COMPOSE_DOCKER_CLI_BUILD="${COMPOSE_DOCKER_CLI_BUILD:-0}"
  fi
else
  echo "compose-smoke: neither 'docker compose' nor 'docker-compose' is available" >&2; exit 1
fi
compose() { "${compose_cmd[@]}" --env-file "$env_file" "$@"; }
# The upgrade test's own project: docker-compose.yml alone, its own volumes (SERVER_IMAGE chosen per call).
upgrade_compose() { COMPOSE_PROJECT_NAME="$COMPOSE_PROJECT_NAME-upgrade" COMPOSE_FILE=docker-compose.yml compose "$@"; }
# The same file is the server's env_file (docker-compose.yml: `env_file: ${ENV_FILE:-.env}`).
export ENV_FILE="$env_file"
# scripts/cleanup, backup and restore call compose themselves: the same command, env file and project.
export COMPOSE="${compose_cmd[*]} --env-file $env_file"
export DOCKER SANDBOX_NETWORK="$COMPOSE_PROJECT_NAME-sandboxes"

if [ -z "${EXTRA_CA_CERTS+x}" ] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  EXTRA_CA_CERTS="$(cat /usr/local/share/ca-certificates/*.crt)"
  echo "compose-smoke: trusting the host's extra CA certificates during builds"
fi
export EXTRA_CA_CERTS="${EXTRA_CA_CERTS:-}"

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
fail() { log "FAIL: $*"; exit 1; }

# The table of steps: `step <name>` ends the previous step and starts the next.
steps=()
step_name=""
step_start=""
run_start="$(now)"
step() {
  local t
  t="$(now)"
  [ -z "$step_name" ] || steps+=("$(printf '%-52s %7s' "$step_name" "$(secs "$step_start" "$t")")")
  step_name="$1"
  step_start="$t"
  [ -z "$1" ] || log "-- $1"
}
table() {
  printf '\n%-52s %7s\n' "step" "seconds"
  local row
  for row in "${steps[@]}"; do printf '%s\n' "$row"; done
  printf '%-52s %7s\n\n' "total" "$(secs "$run_start" "$(now)")"
}

installation=""
cleanup() {
  local status=$?
  step ""
  if [ "$status" -ne 0 ]; then
    log "FAILED; logs:"
    compose logs --no-color --tail=60 server nginx scripted-llm 2>/dev/null || true
  fi
  compose unpause server >/dev/null 2>&1 || true
  # Sandboxes, their volumes and network are the engine's, outside the compose project.
  if [ -n "$installation" ]; then scripts/cleanup --installation "$installation" >/dev/null 2>&1 || true; fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  if [ -n "$installation" ]; then scripts/cleanup --installation "$installation" >/dev/null 2>&1 || true; fi
  [ -n "${sse_pid:-}" ] && kill "$sse_pid" 2>/dev/null
  "$DOCKER" rm -f "$COMPOSE_PROJECT_NAME-nginx-other" "$COMPOSE_PROJECT_NAME-nginx-timeout" >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ] && [ -n "${upgrade_started:-}" ]; then
    log "the upgrade project's server logs:"
    upgrade_compose logs --no-color --tail=40 server 2>/dev/null || true
  fi
  [ -z "${upgrade_started:-}" ] || upgrade_compose down -v --remove-orphans >/dev/null 2>&1 || true
  if [ "${SMOKE_KEEP_WORKDIR:-}" = 1 ]; then log "work dir kept: $work"; else rm -rf "$work"; fi
  table
  [ "$status" -eq 0 ] && log "PASS" || log "FAIL (exit $status)"
  exit "$status"
}
trap cleanup EXIT

# --- images ------------------------------------------------------------------------------------------------------
step "base images (real or stand-in)"
# A base image: the real one if present or pullable, else the stand-in built from debian:bookworm-slim.
base_image() { # <real image> <stand-in name> <stand-in dir>
  if "$DOCKER" image inspect "$1" >/dev/null 2>&1 || timeout 60 "$DOCKER" pull -q "$1" >/dev/null 2>&1; then
    echo "$1"; return
  fi
  local hash
  hash="$(cd "$3" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
  if ! "$DOCKER" image inspect "$2:$hash" >/dev/null 2>&1; then
    log "$1 is not available: building the stand-in $2:$hash from $3" >&2
    DOCKER_BUILDKIT=0 "$DOCKER" build -q --build-arg EXTRA_CA_CERTS -t "$2:$hash" "$3" >&2
  fi
  echo "$2:$hash"
}
NODE_IMAGE="${NODE_IMAGE:-$(base_image node:24-bookworm-slim metisai/node24-standin deploy/standins/node24)}"
POSTGRES_IMAGE="${POSTGRES_IMAGE:-$(base_image postgres:18 metisai/postgres-standin deploy/standins/postgres)}"
NGINX_IMAGE="${NGINX_IMAGE:-$(base_image nginx:1.28 metisai/nginx-standin deploy/standins/nginx)}"
# nginx's TLS listen lines differ before and from 1.25.1 (deploy/nginx/docker-entrypoint.d/40-metisai.sh): the
# configuration is also checked on an nginx of the other generation, the stand-in built from Debian's bookworm (1.22)
# or unstable (current) suite.
nginx_version="$("$DOCKER" run --rm --entrypoint nginx "$NGINX_IMAGE" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')"
if printf '%s\n1.25.0\n' "$nginx_version" | sort -V -C; then other_suite=sid; else other_suite=bookworm; fi
other_nginx_hash="$(cd deploy/standins/nginx && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
OTHER_NGINX_IMAGE="metisai/nginx-standin:$other_nginx_hash-$other_suite"
if ! "$DOCKER" image inspect "$OTHER_NGINX_IMAGE" >/dev/null 2>&1; then
  log "building $OTHER_NGINX_IMAGE (Debian $other_suite's nginx)"
  DOCKER_BUILDKIT=0 "$DOCKER" build -q --build-arg DEBIAN_SUITE="$([ "$other_suite" = sid ] && echo sid)" -t "$OTHER_NGINX_IMAGE" deploy/standins/nginx >/dev/null
fi
log "NODE_IMAGE=$NODE_IMAGE POSTGRES_IMAGE=$POSTGRES_IMAGE NGINX_IMAGE=$NGINX_IMAGE (nginx $nginx_version); the other nginx: $OTHER_NGINX_IMAGE"

# --- the two commands of the README --------------------------------------------------------------------------------
step "scripts/init-env"
scripts/init-env --file "$env_file" --public-url "https://localhost" >/dev/null
grep -q '^SECRET_KEY=[0-9a-f]\{64\}$' "$env_file" || fail "init-env wrote no SECRET_KEY"
grep -q '^POSTGRES_PASSWORD=[0-9a-f]\{48\}$' "$env_file" || fail "init-env wrote no POSTGRES_PASSWORD"
# Host ports free on IPv4 and IPv6 alike. (Not port 0: the engine would pick one free port for 0.0.0.0 and another
# for ::, and `localhost:<the IPv4 port>`, which Chromium tries on ::1 first, could then reach another service.)
free_port() {
  node -e '
    const net = require("node:net");
    const server = net.createServer();
    const print = () => { console.log(server.address().port); server.close(); };
    server.once("error", () => server.listen(0, "0.0.0.0", print));
    server.listen({ port: 0, host: "::", ipv6Only: false }, print);'
}
smoke_http_port="${SMOKE_HTTP_PORT:-$(free_port)}"
smoke_https_port="${SMOKE_HTTPS_PORT:-$(free_port)}"
while [ "$smoke_https_port" = "$smoke_http_port" ]; do smoke_https_port="$(free_port)"; done
# What differs from a real host: ports, images, the sandbox network, and the scripted LLM allowed through egress.
cat >> "$env_file" <<ENV
HTTP_PORT=$smoke_http_port
HTTPS_PORT=$smoke_https_port
SERVER_IMAGE=metisai/server:smoke
NODE_IMAGE=$NODE_IMAGE
POSTGRES_IMAGE=$POSTGRES_IMAGE
NGINX_IMAGE=$NGINX_IMAGE
SANDBOX_NETWORK=$SANDBOX_NETWORK
EGRESS_ALLOWED_HOSTS=scripted-llm:9999
SCRIPTED_LLM_SCRIPT=$work/script.json
ENV
# Settings that docker-compose.yml does not name reach the server through its env_file (checked below), and the upload
# limit reaches both the server and nginx (client_max_body_size).
cat >> "$env_file" <<ENV
QUOTA_AGENTS_PER_USER=1
UPLOAD_LIMIT_BYTES=6000000
ENV
# The scripted LLM: a command in the sandbox, then an answer streamed in 300 ms steps.
proof="smoke-$(date +%s)-$RANDOM"
answer="The sandbox wrote the proof file; it holds the word we asked for, and this sentence streams in small steps."
cat > "$work/script.json" <<JSON
[
  { "toolCalls": [{ "name": "execute_bash", "arguments": { "command": "echo $proof > proof.txt && cat proof.txt && hostname" } }], "chunkDelayMs": 0 },
  { "content": "$answer", "chunkDelayMs": 300 }
]
JSON
chmod 644 "$work/script.json" "$env_file"

step "docker compose up -d --build"
old_server_image="$("$DOCKER" image inspect -f '{{.Id}}' metisai/server:smoke 2>/dev/null || true)"
compose up -d --build >"$work/up.log" 2>&1 || { tail -n 40 "$work/up.log"; fail "up --build failed"; }
new_server_image="$("$DOCKER" image inspect -f '{{.Id}}' metisai/server:smoke)"
# The previous build of this test's server image is replaced: remove it (the build stages stay, as cache).
if [ -n "$old_server_image" ] && [ "$old_server_image" != "$new_server_image" ]; then "$DOCKER" image rm "$old_server_image" >/dev/null 2>&1 || true; fi
# The first build stage copies the whole source tree: its image is new with every edit and is no cache worth keeping
# (the stages after it are cached by the manifests they copy). Untagged ones of earlier runs are removed.
"$DOCKER" image prune -f --filter label=org.metisai.build-stage=manifests >/dev/null 2>&1 || true

step "health (postgres, server, nginx; one-shots exited 0)"
wait_healthy() {
  local deadline=$(( $(date +%s) + 180 )) service id state
  for service in postgres server nginx; do
    while :; do
      id="$(compose ps -q "$service")"
      state="$("$DOCKER" inspect -f '{{.State.Health.Status}} {{.RestartCount}}' "$id" 2>/dev/null || echo "gone 0")"
      [ "${state% *}" = healthy ] && break
      [ "${state% *}" != unhealthy ] && [ "${state#* }" = 0 ] && [ "$(date +%s)" -le "$deadline" ] || fail "$service not healthy ($state)"
      sleep 0.5
    done
  done
  for service in sandbox-image tls-init; do
    state="$("$DOCKER" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$(compose ps -q "$service")")"
    [ "$state" = "exited 0" ] || fail "one-shot $service: $state (expected: exited 0)"
  done
}
wait_healthy
# The host ports nginx is published on (again after each up). An engine that publishes on `::` as well (Docker 20.10
# and later, on a host with IPv6) lists that binding apart.
find_ports() {
  http_port="$(compose port nginx 80 | sed 's/.*://')"
  https_port="$(compose port nginx 443 | sed 's/.*://')"
  base="https://localhost:$https_port"
  local nginx_id
  nginx_id="$(compose ps -q nginx)"
  http6_port="$("$DOCKER" port "$nginx_id" 80 | sed -n 's/^\[::\]:\([0-9]*\)$/\1/p' | head -n 1)"
  https6_port="$("$DOCKER" port "$nginx_id" 443 | sed -n 's/^\[::\]:\([0-9]*\)$/\1/p' | head -n 1)"
}
find_ports
published="$("$DOCKER" ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --format '{{.Names}} {{.Ports}}' | grep -- '->' || true)"
[ "$(wc -l <<<"$published")" = 1 ] && grep -q nginx <<<"$published" || fail "only nginx may publish ports: $published"
# The self-signed certificate tls-init made: what this test trusts (a new one after down -v).
fetch_certificate() { compose exec -T nginx cat /etc/metisai/tls/fullchain.pem > "$work/ca.pem"; }
fetch_certificate
openssl x509 -in "$work/ca.pem" -noout -ext subjectAltName | grep -q 'DNS:localhost' || fail "self-signed certificate without localhost"
installation="$(compose exec -T postgres psql -U metisai -d metisai -tAc 'select id from installation limit 1' | tr -d '[:space:]')"

json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=process.argv[1].split(".").reduce((o,k)=>o?.[k],JSON.parse(s));if(v===undefined){console.error("missing "+process.argv[1]+" in "+s);process.exit(1)}console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }
https() { curl -sS --http2 --cacert "$work/ca.pem" "$@"; }
api() { # <method> <path> [json body]; with $token when set
  https -f -X "$1" "$base$2" -H 'content-type: application/json' ${token:+-H "authorization: Bearer $token"} ${3:+-d "$3"}
}

step "create-user (entry point command)"
email="admin-$RANDOM@example.com"
password="a long smoke password $RANDOM"
printf '%s\n' "$password" | compose run --rm -T server create-user --email "$email" --password-stdin >"$work/create-user.log" 2>&1 \
  || { cat "$work/create-user.log"; fail "create-user failed"; }

step "nginx: HTTP/2, TLS, redirect, HSTS, /metrics, closed registration"
[ "$(https -o /dev/null -w '%{http_version}' "$base/readyz")" = 2 ] || fail "nginx does not answer with HTTP/2"
headers="$(https -D - -o /dev/null "$base/readyz")"
grep -qi '^strict-transport-security: max-age=' <<<"$headers" || fail "no HSTS header: $headers"
redirect="$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:$http_port/api/v1/agents")"
[ "$redirect" = "301 https://localhost/api/v1/agents" ] || fail "port 80 does not redirect to HTTPS: $redirect"
[ "$(https -o /dev/null -w '%{http_code}' "$base/metrics")" = 404 ] || fail "/metrics answers through nginx"
closed="$(https -o - -w ' %{http_code}' -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' -d "{\"email\":\"x$RANDOM@example.com\",\"password\":\"another long password\"}")"
[[ "$closed" == *registration_closed*" 403" ]] || fail "registration is not closed: $closed"
too_large="$(head -c 110000000 /dev/zero | https -o - -w ' %{http_code}' -X PUT "$base/api/v1/conversations/00000000-0000-0000-0000-000000000000/files/content?path=big" --data-binary @- -H 'content-type: application/octet-stream' || true)"
[[ "$too_large" == *payload_too_large*" 413" ]] || fail "a body over the limit does not get the JSON 413: $too_large"
[ "$(https -f "$base/api/v1/server-info" | json upload_limit_bytes)" = 6000000 ] || fail "UPLOAD_LIMIT_BYTES did not reach the server"

step "IPv6: https://[::1] answers as IPv4 does"
# nginx's own listeners: `[::]:443` and `[::]:80` are rendered when the container has IPv6; `nginx -t` passes.
listeners="$(compose exec -T nginx sh -c 'cat /etc/nginx/metisai/listen-tls.conf /etc/nginx/metisai/listen-http.conf' | tr -s '\n' ' ')"
compose exec -T nginx nginx -t -q || fail "nginx -t fails"
container_ipv6="$(compose exec -T nginx sh -c 'test -f /proc/net/if_inet6 && echo yes || echo no' | tr -d '[:space:]')"
if [ "$container_ipv6" = yes ]; then
  grep -q 'listen \[::\]:443 ssl' <<<"$listeners" && grep -q 'listen \[::\]:80;' <<<"$listeners" || fail "the container has IPv6 but nginx has no [::] listeners: $listeners"
fi
log "nginx listens: $listeners(container IPv6: $container_ipv6); published: $("$DOCKER" port "$(compose ps -q nginx)" | tr '\n' ' ')"
if [ -n "$https6_port" ]; then
  # The engine's proxy takes the IPv6 connection on the host and forwards it to the container (over IPv4 inside).
  v4="$(https -o - -w ' %{http_code} HTTP/%{http_version}' "$base/api/v1/server-info")"
  v6="$(https -6 -g -o - -w ' %{http_code} HTTP/%{http_version}' "https://[::1]:$https6_port/api/v1/server-info")" || fail "no answer over IPv6 on [::1]:$https6_port"
  [ "$v6" = "$v4" ] && [[ "$v6" == *" 200 HTTP/2" ]] || fail "IPv6 answers '$v6', IPv4 '$v4'"
  ready6="$(https -6 -g -o /dev/null -w '%{http_code} %{remote_ip}' "https://[::1]:$https6_port/readyz")"
  [ "$ready6" = "200 ::1" ] || fail "/readyz over IPv6: $ready6"
  redirect6="$(curl -sS -6 -g -o /dev/null -w '%{http_code} %{redirect_url}' "http://[::1]:$http6_port/api/v1/agents")"
  [ "$redirect6" = "301 https://[::1]/api/v1/agents" ] || fail "port 80 over IPv6 does not redirect to HTTPS: $redirect6"
  log "IPv6: [::1]:$https6_port answers as 127.0.0.1:$https_port ($v6); [::1]:$http6_port redirects"
elif [ "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null || echo 1)" = 0 ] && [ -n "${CI:-}" ]; then
  fail "the host has IPv6 but the engine published nginx on IPv4 only: $("$DOCKER" port "$(compose ps -q nginx)" | tr '\n' ' ')"
else
  log "IPv6 not tested: the engine publishes no [::] port (host IPv6 disabled: $(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null || echo unknown))"
fi

step "log in, set the LLM, create and start an agent"
token="$(api POST /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}" | json access_token)"
# TRUST_PROXY=1 and nginx's X-Forwarded-For: the login's address is the peer nginx saw, not nginx's own.
nginx_ip="$("$DOCKER" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(compose ps -q nginx)")"
session_ip="$(api GET /api/v1/auth/sessions | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).data.find(x=>x.current)?.ip ?? ""))')"
[ -n "$session_ip" ] && [ "$session_ip" != "$nginx_ip" ] || fail "the session's address is '$session_ip' (nginx is $nginx_ip)"
log "client address seen by the server: $session_ip (nginx: $nginx_ip)"
api PUT /api/v1/settings '{"llm_model":"scripted","llm_base_url":"http://scripted-llm:9999/v1"}' >/dev/null
agent="$(api POST /api/v1/agents '{"name":"smoke","config":{}}' | json id)"
api POST "/api/v1/agents/$agent/start" '{}' >/dev/null
for _ in $(seq 1 240); do
  status="$(api GET "/api/v1/agents/$agent" | json status)"
  [ "$status" = running ] && break
  [ "$status" = error ] && fail "agent start failed: $(api GET "/api/v1/agents/$agent")"
  sleep 0.5
done
[ "$status" = running ] || fail "agent not running: $status"
# QUOTA_AGENTS_PER_USER=1 came through the env file only.
second="$(https -o - -w ' %{http_code}' -X POST "$base/api/v1/agents" -H 'content-type: application/json' -H "authorization: Bearer $token" -d '{"name":"second","config":{}}')"
[[ "$second" == *'"quota":"agents"'*" 429" ]] || fail "QUOTA_AGENTS_PER_USER=1 from the env file is not in force: $second"

step "conversation: command in a sandbox, deltas through nginx"
conversation="$(api POST /api/v1/conversations "{\"agent_id\":\"$agent\"}" | json id)"
# The event stream over HTTP/2 through nginx; each line stamped when it arrives.
# `exec` in a subshell: $! is curl's own pid (a function would leave curl running as its child).
(exec curl -sS --http2 --cacert "$work/ca.pem" -N -H "authorization: Bearer $token" -H 'accept: text/event-stream' \
  "$base/api/v1/conversations/$conversation/events") > >(while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done > "$work/sse.log") &
sse_pid=$!
for _ in $(seq 1 40); do grep -q . "$work/sse.log" 2>/dev/null && break; sleep 0.25; done
api POST "/api/v1/conversations/$conversation/messages" '{"content":"write the proof file"}' >/dev/null
for _ in $(seq 1 240); do
  grep -q '"type":"state","state":"\(idle\|finished\|error\)"\|"state":"\(idle\|finished\|error\)".*"type":"state"' "$work/sse.log" && break
  sleep 0.5
done
kill "$sse_pid" 2>/dev/null || true
wait "$sse_pid" 2>/dev/null || true
sse_pid=""
events="$(api GET "/api/v1/conversations/$conversation/events?limit=200")"
grep -q "$proof" <<<"$events" || fail "the command's output is not among the events: $events"
sandbox_host="$(node -e 'const b=JSON.parse(require("fs").readFileSync(0,"utf8"));const items=b.items??b.events??b.data??b;const o=items.find(e=>e.type==="observation");const text=JSON.stringify(o);const m=/smoke-[0-9]+-[0-9]+\\n([0-9a-f]{12})/.exec(text);console.log(m?m[1]:"")' <<<"$events")"
[ -n "$sandbox_host" ] && "$DOCKER" ps -q --no-trunc | grep -q "^$sandbox_host" || fail "the command did not run in a sandbox container of this engine (hostname '$sandbox_host')"
sandbox_networks="$("$DOCKER" inspect -f '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}' "$sandbox_host")"
[[ " $sandbox_networks " != *" ${COMPOSE_PROJECT_NAME}_default "* ]] || fail "the sandbox joined the compose network: $sandbox_networks"
log "sandbox ${sandbox_host:0:12} ran the command; its networks: ${sandbox_networks:-none}"
# Deltas: produced 300 ms apart; through a buffering proxy they would arrive together.
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
  const times = lines.filter((l) => / data: \{"type":"delta"/.test(l)).map((l) => Number(l.split(" ")[0]));
  if (times.length < 8) { console.error(`only ${times.length} deltas arrived`); process.exit(1); }
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const spread = gaps.filter((g) => g >= 0.15).length;
  console.log(`deltas: ${times.length}, ${(times.at(-1) - times[0]).toFixed(1)} s from first to last, ${spread} of ${gaps.length} gaps >= 150 ms`);
  if (spread < gaps.length * 0.8) { console.error("deltas arrived bunched: the proxy buffers the stream"); process.exit(1); }
' "$work/sse.log" || fail "event stream through nginx"
file="$(https -f "$base/api/v1/conversations/$conversation/files/content?path=proof.txt" -H "authorization: Bearer $token")"
[ "$file" = "$proof" ] || fail "proof.txt holds '$file', expected '$proof'"
# Uploads up to the server's limit pass nginx; one byte more is the server's own 413 (with its limit), not nginx's.
upload() { # <bytes>
  head -c "$1" /dev/urandom > "$work/upload.bin"
  https -o - -w ' %{http_code}' -X PUT "$base/api/v1/conversations/$conversation/files/content?path=upload.bin" \
    -H "authorization: Bearer $token" -H 'content-type: application/octet-stream' --data-binary @"$work/upload.bin" || true
}
at_limit="$(upload 6000000)"
[[ "$at_limit" == *" 20"[01] ]] || fail "an upload of UPLOAD_LIMIT_BYTES does not pass nginx: $at_limit"
over_limit="$(upload 6000001)"
[[ "$over_limit" == *'"limit_bytes":6000000'*" 413" ]] || fail "an upload over UPLOAD_LIMIT_BYTES is not the server's 413: $over_limit"
rm -f "$work/upload.bin"

step "metrics on the server's own port, inside the compose network"
metrics="$(compose exec -T server node -e 'fetch("http://127.0.0.1:9464/metrics").then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); }, () => process.exit(1))')"
for name in metisai_http_request_duration_seconds_count metisai_runs metisai_sandboxes metisai_llm_calls_total metisai_llm_tokens_total \
  metisai_open_event_streams metisai_db_pool_connections nodejs_eventloop_lag_seconds; do
  grep -q "^$name" <<<"$metrics" || fail "metric $name missing from server:9464/metrics"
done
grep -q '^metisai_llm_calls_total{provider="scripted-llm:9999",outcome="ok"} 2$' <<<"$metrics" || fail "LLM calls not counted: $(grep llm_calls <<<"$metrics")"

step "widget script through nginx"
widget_version="$(node -p 'require("./packages/widget/package.json").version')"
widget_headers="$(https -D - -o "$work/widget.js" "$base/widget/$widget_version/metis-chat.iife.js")"
grep -qi '^content-type: \(text\|application\)/javascript' <<<"$widget_headers" || fail "widget content-type: $widget_headers"
grep -qi '^cache-control: public, max-age=31536000, immutable' <<<"$widget_headers" || fail "widget cache-control: $widget_headers"
grep -qi '^access-control-allow-origin: \*' <<<"$widget_headers" || fail "widget CORS: $widget_headers"
grep -qi '^cross-origin-resource-policy: cross-origin' <<<"$widget_headers" || fail "widget CORP: $widget_headers"
grep -qi '^strict-transport-security: ' <<<"$widget_headers" || fail "widget without nginx's headers: $widget_headers"

step "console (/login, sign in, dashboard) in Chromium through nginx"
if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  # Chromium aborts a load with ERR_NETWORK_CHANGED when the host's interfaces change meanwhile (any container or
  # network another process starts on this engine): that, and only that, is tried again.
  for attempt in 1 2 3; do
    console_ok=""
    node tests/compose-e2e/test/support/console-in-chromium.ts "$base" "$email" "$password" "$work" >"$work/console.log" 2>&1 && console_ok=1
    cat "$work/console.log"
    [ -z "$console_ok" ] && grep -q 'ERR_NETWORK_CHANGED' "$work/console.log" && [ "$attempt" -lt 3 ] || break
    log "Chromium saw the host's network change (attempt $attempt); again"
  done
  [ -n "$console_ok" ] || fail "the console through nginx"
  # Kept for a look: the screenshots of the sign-in page and the dashboard.
  mkdir -p "${SMOKE_SCREENSHOTS:-/tmp/metisai-smoke-screenshots}"
  cp "$work"/console-*.png "${SMOKE_SCREENSHOTS:-/tmp/metisai-smoke-screenshots}/"
elif [ -n "${CI:-}" ]; then
  fail "no Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium} (CI is set; .ci/run installs Debian's chromium)"
else
  log "skipping the console check: no Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium} (apt-get install chromium)"
fi
grep -q 'metis-chat' "$work/widget.js" || fail "the widget script does not define metis-chat"

step "the nginx config on the other nginx generation: HTTP/2, JSON 502 and 429, HTML 502"
# The same templates, entrypoint script, pages and certificate, on the compose network, with an upstream port nothing
# listens on: the server is unreachable, so /api/ answers nginx's JSON 502 and other paths its page.
# An nginx container with the deployment's templates, entrypoint script, pages and certificate on the compose network,
# published on a free port of 127.0.0.1: run_nginx <name> <image> <upstream> [docker run options…]; prints the port.
run_nginx() {
  local name="$1" image="$2" upstream="$3" port
  shift 3
  "$DOCKER" run -d --name "$name" --network "${COMPOSE_PROJECT_NAME}_default" -p 127.0.0.1::443 \
    -e METIS_SERVER_NAME=_ -e METIS_UPSTREAM="$upstream" -e METIS_AUTH_RATE=5r/s -e METIS_AUTH_BURST=20 \
    -e METIS_EMBED_RATE=10r/s -e METIS_EMBED_BURST=40 "$@" \
    -v "$repo/deploy/nginx/templates:/etc/nginx/templates:ro" \
    -v "$repo/deploy/nginx/docker-entrypoint.d/40-metisai.sh:/docker-entrypoint.d/40-metisai.sh:ro" \
    -v "$repo/deploy/nginx/static:/etc/nginx/metisai/static:ro" \
    -v "${COMPOSE_PROJECT_NAME}_tls:/etc/metisai/tls:ro" "$image" >/dev/null
  port="$("$DOCKER" port "$name" 443 | head -n 1 | sed 's/.*://')"
  for _ in $(seq 1 60); do https -o /dev/null "https://localhost:$port/_metisai/none" 2>/dev/null && break; sleep 0.5; done
  echo "$port"
}
other="$COMPOSE_PROJECT_NAME-nginx-other"
other_port="$(run_nginx "$other" "$OTHER_NGINX_IMAGE" server:8001)"
other_version="$("$DOCKER" exec "$other" nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')"
[ "$other_version" != "$nginx_version" ] || fail "the other nginx is the same version ($other_version)"
bad_gateway="$(https -o - -w ' %{http_code} HTTP/%{http_version}' "https://localhost:$other_port/api/v1/agents")"
[[ "$bad_gateway" == '{"error":{"code":"bad_gateway",'*" 502 HTTP/2" ]] || fail "nginx $other_version: /api/ without a server: $bad_gateway"
page="$(https -D - -o - "https://localhost:$other_port/login")"
grep -qi '^content-type: text/html' <<<"$page" && grep -q ' 502' <<<"$page" || fail "nginx $other_version: /login without a server: $page"
# limit_req per address on /api/v1/auth/ (5 r/s, burst 20) and /api/v1/embed/sessions (10 r/s, burst 40): requests
# beyond the burst, sent at once, get nginx's JSON 429 (the others its 502: no server behind it).
flood() { # <path> <requests>: prints "<count> x <status>, …" and checks that at least 10 were refused, in JSON
  local requests=() i codes refused
  for i in $(seq 1 "$2"); do requests+=(-o "$work/flood-$i.json" "https://localhost:$other_port$1"); done
  # In parallel (HTTP/2 streams of one connection): they arrive together, however loaded the machine is. (curl's
  # parallel mode draws a progress meter on stderr despite -s.)
  codes="$(https -Z --parallel-max "$2" -w '%{http_code}\n' -X POST -H 'content-type: application/json' -d '{}' "${requests[@]}" 2>/dev/null | sort | uniq -c | awk '{ printf "%s x %s, ", $1, $2 }')"
  refused="$(grep -o '[0-9]* x 429' <<<"$codes" | cut -d' ' -f1)"
  [ "${refused:-0}" -ge 10 ] || fail >&2 "nginx $other_version: too few 429s from limit_req on $1: $codes"
  [ "$(grep -l '^{"error":{"code":"rate_limited",' "$work"/flood-*.json | wc -l)" = "$refused" ] \
    || fail >&2 "nginx $other_version: a 429 on $1 is not the API's JSON: $(cat "$work"/flood-*.json | sort | uniq -c)"
  rm -f "$work"/flood-*.json
  echo "$codes"
}
auth_codes="$(flood /api/v1/auth/login 40)"
embed_codes="$(flood /api/v1/embed/sessions 60)"
log "nginx $other_version: $("$DOCKER" exec "$other" cat /etc/nginx/metisai/listen-tls.conf | tr '\n' ' '); 40 sign-ins at once: $auth_codes 60 embed sessions at once: $embed_codes"
"$DOCKER" rm -f "$other" >/dev/null

step "nginx: JSON 504 (API) and HTML 504 (console) from a hung server"
# A server that accepts connections and never answers, as a hung process does: the compose server, paused (its kernel
# still accepts TCP connections). In front of it, the deployment's nginx with NGINX_PROXY_READ_TIMEOUT's variable set
# to 3 s (the deployment's own nginx keeps 65 minutes, which event streams need).
timeout_nginx="$COMPOSE_PROJECT_NAME-nginx-timeout"
timeout_port="$(run_nginx "$timeout_nginx" "$NGINX_IMAGE" server:8000 -e METIS_PROXY_READ_TIMEOUT=3s)"
[ "$(https -o /dev/null -w '%{http_code}' "https://localhost:$timeout_port/readyz")" = 200 ] || fail "nginx with a 3 s read timeout: /readyz before the pause"
compose pause server >/dev/null 2>&1
started="$(now)"
gateway_timeout="$(https -D "$work/504.headers" -o - -w ' %{http_code}' -H "authorization: Bearer $token" "https://localhost:$timeout_port/api/v1/agents")"
waited="$(secs "$started" "$(now)")"
console_timeout="$(https -D "$work/504-console.headers" -o - -w ' %{http_code}' "https://localhost:$timeout_port/login")"
compose unpause server >/dev/null 2>&1
[[ "$gateway_timeout" == '{"error":{"code":"gateway_timeout","message":"'*'"}}'*" 504" ]] || fail "/api/ when the server hangs: $gateway_timeout"
grep -qi '^content-type: application/json' "$work/504.headers" || fail "the API's 504 is not JSON: $(cat "$work/504.headers")"
grep -qi '^content-type: text/html' "$work/504-console.headers" && [[ "$console_timeout" == *"<html"*" 504" ]] || fail "/login when the server hangs: $(cat "$work/504-console.headers") $console_timeout"
awk -v w="$waited" 'BEGIN { exit !(w >= 2.9 && w < 20) }' || fail "the 504 came after $waited s (the read timeout is 3 s)"
log "after ${waited} s: $(tr -d '\n' <<<"$gateway_timeout"); /login: the HTML page, 504"
"$DOCKER" rm -f "$timeout_nginx" >/dev/null
[ "$(https -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] || fail "the server does not answer after its pause"

# --- replicas, certificate renewal ----------------------------------------------------------------------------------
# The API from inside a server container, bypassing nginx: inside <container> <method> <path> [json body]; the bearer
# token is $inside_token when set.
inside() {
  "$DOCKER" exec -e TOKEN="${inside_token:-}" -e METHOD="$2" -e URL_PATH="$3" -e BODY="${4:-}" "$1" node -e '
    const headers = { "content-type": "application/json" };
    if (process.env.TOKEN) headers.authorization = `Bearer ${process.env.TOKEN}`;
    fetch(`http://127.0.0.1:8000${process.env.URL_PATH}`, { method: process.env.METHOD, headers, body: process.env.BODY || undefined })
      .then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); }, (e) => { console.error(String(e)); process.exit(1); });'
}
# One replica's Prometheus metrics (its own port, inside its container).
replica_metrics() {
  "$DOCKER" exec "$1" node -e 'fetch("http://127.0.0.1:9464/metrics").then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); }, () => process.exit(1))'
}
served_server_info() { replica_metrics "$1" | awk '/^metisai_http_request_duration_seconds_count\{/ && /route="\/api\/v1\/server-info"/ { s += $NF } END { print s + 0 }'; }
open_streams() { replica_metrics "$1" | awk '/^metisai_open_event_streams / { print $2 + 0 }'; }
llm_calls() { replica_metrics "$1" | awk '/^metisai_llm_calls_total\{/ { s += $NF } END { print s + 0 }'; }
# Waits until <compose function> has <count> server containers, each healthy or (sooner than the 5 s health check
# interval) logging that it listens; sets $replicas to their ids.
wait_replicas() {
  local deadline=$(( $(date +%s) + 180 )) id ready
  while :; do
    mapfile -t replicas < <("$1" ps -q server)
    ready=0
    for id in "${replicas[@]}"; do
      if [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null)" = healthy ] \
        || "$DOCKER" logs "$id" 2>/dev/null | grep -q '"msg":"MetisAI server listening"'; then ready=$((ready + 1)); fi
    done
    [ "${#replicas[@]}" = "$2" ] && [ "$ready" = "$2" ] && return
    [ "$(date +%s)" -le "$deadline" ] || fail "$1: $ready of ${#replicas[@]} server containers ready, expected $2"
    sleep 0.5
  done
}

step "replicas: --scale server=2, nginx reaches both (Docker's resolver)"
compose up -d --no-deps --no-recreate --scale server=2 server >"$work/scale.log" 2>&1 || { cat "$work/scale.log"; fail "scaling to 2 servers failed"; }
wait_replicas compose 2
first="${replicas[0]}" second="${replicas[1]}"
before_first="$(served_server_info "$first")" before_second="$(served_server_info "$second")"
# nginx re-resolves `server` at most 10 s later (resolver valid=10s) and then spreads requests over both addresses.
for _ in $(seq 1 30); do
  for _ in $(seq 1 10); do https -f -o /dev/null "$base/api/v1/server-info" || fail "server-info through nginx with two replicas"; done
  by_first=$(( $(served_server_info "$first") - before_first )) by_second=$(( $(served_server_info "$second") - before_second ))
  [ "$by_first" -gt 0 ] && [ "$by_second" -gt 0 ] && break
  sleep 0.5
done
[ "$by_first" -gt 0 ] && [ "$by_second" -gt 0 ] || fail "requests through nginx reached one replica only: $by_first and $by_second"
log "server-info through nginx answered by ${first:0:12} ($by_first) and ${second:0:12} ($by_second)"

step "certificate renewal: nginx -s reload serves it, an open stream is kept"
# An event stream through nginx, opened before the reload; read on in the next step.
(exec curl -sS --http2 --cacert "$work/ca.pem" -N -H "authorization: Bearer $token" -H 'accept: text/event-stream' \
  "$base/api/v1/conversations/$conversation/events") > >(while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done > "$work/sse2.log") &
sse_pid=$!
for _ in $(seq 1 40); do grep -q . "$work/sse2.log" 2>/dev/null && break; sleep 0.25; done
holder="" other_replica=""
for _ in $(seq 1 20); do
  if [ "$(open_streams "$first")" -gt 0 ]; then holder="$first" other_replica="$second"; break; fi
  if [ "$(open_streams "$second")" -gt 0 ]; then holder="$second" other_replica="$first"; break; fi
  sleep 0.25
done
[ -n "$holder" ] || fail "no replica counts the open event stream"
served_serial() { openssl s_client -connect "127.0.0.1:$https_port" -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -serial; }
old_serial="$(served_serial)"
[ "$old_serial" = "$(openssl x509 -in "$work/ca.pem" -noout -serial)" ] || fail "nginx serves $old_serial, not tls-init's certificate"
# The renewal: new files where nginx reads them (here tls-init's volume; a TLS_CERT_DIR on a real host), then the
# reload docs/deployment.md gives. nginx starts new workers with the new certificate; the old ones finish their
# connections.
compose run --rm --no-deps -T --entrypoint sh tls-init -c 'rm -f /etc/metisai/tls/fullchain.pem /etc/metisai/tls/privkey.pem && sh /usr/local/bin/init-self-signed.sh' >"$work/renew.log" 2>&1 \
  || { cat "$work/renew.log"; fail "making a new certificate failed"; }
new_serial="$(compose exec -T nginx cat /etc/metisai/tls/fullchain.pem | openssl x509 -noout -serial)"
[ "$new_serial" != "$old_serial" ] || fail "the new certificate has the old serial"
compose exec -T nginx nginx -s reload >"$work/reload.log" 2>&1 || { cat "$work/reload.log"; fail "nginx -s reload failed"; }
for _ in $(seq 1 40); do [ "$(served_serial)" = "$new_serial" ] && break; sleep 0.25; done
[ "$(served_serial)" = "$new_serial" ] || fail "nginx still serves $(served_serial) after the reload (new: $new_serial)"
fetch_certificate
[ "$(https -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] || fail "the new certificate is not the one served"
kill -0 "$sse_pid" 2>/dev/null || fail "the event stream opened before the reload was closed by it"
log "served serial: ${old_serial#serial=} before, ${new_serial#serial=} after nginx -s reload; the stream opened before it is still open"

step "replicas: a run on the other replica streams through nginx (NOTIFY)"
# The stream is held by one replica; the message goes straight to the other, which runs the conversation: its events
# reach the stream only through Postgres' LISTEN/NOTIFY. The stream is the one opened before the reload.
mark="$(wc -l < "$work/sse2.log")"
calls_holder="$(llm_calls "$holder")" calls_other="$(llm_calls "$other_replica")"
inside_token="$token" inside "$other_replica" POST "/api/v1/conversations/$conversation/messages" '{"content":"write the proof file again"}' >/dev/null \
  || fail "posting a message to the other replica failed"
for _ in $(seq 1 240); do
  tail -n "+$((mark + 1))" "$work/sse2.log" | grep -q '"type":"state","state":"\(idle\|finished\|error\)"\|"state":"\(idle\|finished\|error\)".*"type":"state"' && break
  sleep 0.5
done
kill "$sse_pid" 2>/dev/null || true
wait "$sse_pid" 2>/dev/null || true
sse_pid=""
new_deltas="$(tail -n "+$((mark + 1))" "$work/sse2.log" | grep -c ' data: {"type":"delta"' || true)"
[ "$new_deltas" -ge 8 ] || fail "the stream through nginx got $new_deltas deltas of the run on the other replica"
[ "$(( $(llm_calls "$other_replica") - calls_other ))" = 2 ] && [ "$(llm_calls "$holder")" = "$calls_holder" ] \
  || fail "the run did not happen on the other replica (LLM calls: holder $calls_holder -> $(llm_calls "$holder"), other $calls_other -> $(llm_calls "$other_replica"))"
log "stream on ${holder:0:12}, run on ${other_replica:0:12}: $new_deltas deltas arrived through nginx"

rows() { compose exec -T postgres psql -U metisai -d metisai -tAc "select (select count(*) from events), (select count(*) from conversations), (select count(*) from users)" | tr -d '[:space:]'; }
check_data() { # the conversation's events and workspace file, through nginx
  token="$(api POST /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}" | json access_token)"
  local again
  again="$(api GET "/api/v1/conversations/$conversation/events?limit=200")"
  grep -q "$proof" <<<"$again" || fail "$1: the conversation's events are gone"
  for _ in $(seq 1 3); do
    code=0
    file="$(https -f "$base/api/v1/conversations/$conversation/files/content?path=proof.txt" -H "authorization: Bearer $token")" || code=$?
    [ "$code" = 0 ] && [ "$file" = "$proof" ] && break
    log "$1: reading proof.txt failed once (curl exit $code, read '$file'); nginx's errors and the server's warnings:"
    compose logs --no-color --tail=40 nginx server 2>/dev/null | grep -E '\[(error|warn)\]|"level":(40|50)' | tail -n 6 || true
    sleep 2
  done
  [ "$file" = "$proof" ] || fail "$1: proof.txt holds '$file'"
}
rows_before="$(rows)"

step "restart the stack: rows and workspace file kept"
compose down >/dev/null 2>&1
compose up -d >/dev/null 2>&1
wait_healthy
find_ports
[ "$(rows)" = "$rows_before" ] || fail "rows after restart: $(rows), before: $rows_before"
check_data "after restart"

step "scripts/backup"
scripts/backup "$work/backup"
grep -q "^metisai-ws-" "$work/backup/volumes.txt" || fail "the backup holds no workspace volume"

step "scripts/cleanup + down -v: nothing of ours left"
leftovers() {
  "$DOCKER" ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
  "$DOCKER" volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
  "$DOCKER" network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
  "$DOCKER" ps -a --filter label=metisai.managed=true --format '{{.ID}} {{.Label "metisai.owner"}}' | awk -v p="metisai:$installation:" 'index($2, p) == 1'
  "$DOCKER" volume ls --filter label=metisai.managed=true --format '{{.Name}} {{.Label "metisai.owner"}}' | awk -v p="metisai:$installation:" 'index($2, p) == 1'
  "$DOCKER" network ls --format '{{.ID}} {{.Name}}' | awk -v n="$SANDBOX_NETWORK" '$2 == n' 
}
scripts/cleanup --installation "$installation"
compose down -v --remove-orphans >/dev/null 2>&1
scripts/cleanup --installation "$installation" >/dev/null
left="$(leftovers)"
[ -z "$left" ] || fail "left after down -v + cleanup: $left"

step "scripts/restore (checks rows and workspace checksums)"
compose up -d postgres >/dev/null 2>&1
scripts/restore "$work/backup"
wait_healthy
find_ports
fetch_certificate
[ "$(rows)" = "$rows_before" ] || fail "rows after restore: $(rows), before: $rows_before"
check_data "after restore"

step "scripts/cleanup + down -v: nothing of ours left"
scripts/cleanup --installation "$installation"
compose down -v --remove-orphans >/dev/null 2>&1
scripts/cleanup --installation "$installation" >/dev/null
left="$(leftovers)"
[ -z "$left" ] || fail "left at the end: $left"
installation=""

# --- upgrade between two built images ------------------------------------------------------------------------------
# The previous release: a fixed commit of main with the deployment as it is now but one migration fewer (001–009;
# 010-snapshots came after it), built once per machine and kept under its own tag.
step "the previous release's server image (982d6e5, migrations 001-009)"
previous_commit=982d6e5977b1a3a8316aba76ebcdd61dedf937d5
previous_image="metisai/server:smoke-previous-${previous_commit:0:12}"
if ! "$DOCKER" image inspect "$previous_image" >/dev/null 2>&1; then
  if ! git cat-file -e "$previous_commit^{commit}" 2>/dev/null; then
    [ -z "${CI:-}" ] || fail "commit $previous_commit is not in this clone (CI needs the full history)"
    log "skipping the upgrade test: commit $previous_commit is not in this clone (a shallow clone or no git)"
    previous_image=""
  else
    log "building $previous_image from $previous_commit"
    git archive "$previous_commit" | DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}" "$DOCKER" build -q --build-arg NODE_IMAGE="$NODE_IMAGE" \
      --build-arg EXTRA_CA_CERTS -t "$previous_image" - >"$work/previous-build.log" 2>&1 || { tail -n 40 "$work/previous-build.log"; fail "building the previous image failed"; }
  fi
fi

if [ -n "$previous_image" ]; then
  step "upgrade: previous image -> current (2 replicas migrate once) -> rollback"
  upgrade_started=1
  upgrade_sql() { upgrade_compose exec -T postgres psql -U metisai -d metisai -tAc "$1" | tr -d '\r'; }
  upgrade_rows() { upgrade_sql "select (select count(*) from users), (select count(*) from agents), (select count(*) from settings)" | tr -d '[:space:]'; }
  # The previous release, as a host running it has it: its database made by its migrations, an account, an agent.
  SERVER_IMAGE="$previous_image" upgrade_compose up -d server >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "starting the previous image failed"; }
  wait_replicas upgrade_compose 1
  # create-user in the running container (the image's entry point with that command; `run --rm` would start another).
  printf '%s\n' "$password" | "$DOCKER" exec -i "${replicas[0]}" node --conditions=@metisai/source packages/server/src/main.ts create-user --email "$email" --password-stdin >>"$work/upgrade.log" 2>&1 \
    || { cat "$work/upgrade.log"; fail "create-user on the previous image failed"; }
  inside_token="$(inside "${replicas[0]}" POST /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}" | json access_token)"
  inside "${replicas[0]}" PUT /api/v1/settings '{"llm_model":"before-the-upgrade"}' >/dev/null || fail "settings on the previous image"
  old_agent="$(inside "${replicas[0]}" POST /api/v1/agents '{"name":"made before the upgrade","config":{}}' | json id)"
  migrations_before="$(upgrade_sql 'select name from schema_migrations order by id' | tr '\n' ' ')"
  [[ "$migrations_before" != *010-snapshots* ]] || fail "the previous image's database already has 010-snapshots: $migrations_before"
  upgrade_rows_before="$(upgrade_rows)"
  # The upgrade as docs/deployment.md gives it: SERVER_IMAGE names the new image, `up -d`; here with two replicas,
  # which start together on the old database.
  SERVER_IMAGE=metisai/server:smoke upgrade_compose up -d --no-deps --scale server=2 server >>"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "the upgrade's up -d failed"; }
  wait_replicas upgrade_compose 2
  for id in "${replicas[@]}"; do
    [ "$("$DOCKER" inspect -f '{{.Config.Image}}' "$id")" = metisai/server:smoke ] || fail "replica ${id:0:12} does not run the current image"
  done
  migrations_after="$(upgrade_sql 'select name from schema_migrations order by id' | tr '\n' ' ')"
  expected_migrations="$(find packages/server/src/db/migrations -name '[0-9][0-9][0-9]-*.ts' ! -name '*.test.ts' | wc -l)"
  [[ "$migrations_after" == *010-snapshots* ]] && [ "$(wc -w <<<"$migrations_after")" = "$expected_migrations" ] \
    || fail "after the upgrade: migrations $migrations_after (expected $expected_migrations)"
  migrated_by=0
  for id in "${replicas[@]}"; do
    if "$DOCKER" logs "$id" 2>&1 | grep '"msg":"database migrated"' | grep -q 010-snapshots; then migrated_by=$((migrated_by + 1)); fi
  done
  [ "$migrated_by" = 1 ] || fail "$migrated_by replicas applied the migrations (expected exactly one)"
  [ "$(upgrade_rows)" = "$upgrade_rows_before" ] || fail "rows after the upgrade: $(upgrade_rows), before: $upgrade_rows_before"
  for id in "${replicas[@]}"; do
    inside_token="$(inside "$id" POST /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}" | json access_token)"
    [ "$(inside "$id" GET "/api/v1/agents/$old_agent" | json name)" = "made before the upgrade" ] || fail "the agent is not served after the upgrade"
    [ "$(inside "$id" GET /api/v1/settings | json llm_model)" = before-the-upgrade ] || fail "the settings are not served after the upgrade"
  done
  # Rollback: 010 only adds, so the previous image runs on the migrated database (docs/deployment.md).
  SERVER_IMAGE="$previous_image" upgrade_compose up -d --no-deps --scale server=1 server >>"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "the rollback's up -d failed"; }
  wait_replicas upgrade_compose 1
  [ "$("$DOCKER" inspect -f '{{.Config.Image}}' "${replicas[0]}")" = "$previous_image" ] || fail "the rollback did not start the previous image"
  inside_token="$(inside "${replicas[0]}" POST /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}" | json access_token)"
  [ "$(inside "${replicas[0]}" GET "/api/v1/agents/$old_agent" | json name)" = "made before the upgrade" ] || fail "the agent is not served after the rollback"
  log "migrations before: ${migrations_before% }; after: $(wc -w <<<"$migrations_after") (one replica of two applied them); rows (users, agents, settings) $upgrade_rows_before kept; the previous image runs again after the rollback"
  upgrade_compose down -v --remove-orphans >/dev/null 2>&1
  [ -z "$("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME-upgrade"; "$DOCKER" volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME-upgrade")" ] \
    || fail "the upgrade project left containers or volumes"
  upgrade_started=""
fi
