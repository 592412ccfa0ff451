#!/usr/bin/env bash
# Smoke test of the docker compose deployment (docker-compose.yml + Dockerfile):
#   build, start postgres + server (after the one-shot sandbox-image service), wait for health,
#   register -> login -> create agent -> /readyz,
#   run the migrate command, check that a weak SECRET_KEY is refused, then remove everything.
# It runs as its own compose project (metisai-smoke, port 18000) so a real deployment is untouched.
# When node:24-bookworm-slim / postgres:17 are absent and cannot be pulled, it builds the
# stand-ins of deploy/standins/ (for machines without registry access) from debian:bookworm-slim.
#
# Env: DOCKER (docker CLI, default docker), METIS_PORT (18000), NODE_IMAGE, POSTGRES_IMAGE,
#      EXTRA_CA_CERTS (PEM to trust in builds; default: the host's /usr/local/share/ca-certificates/*.crt).
set -euo pipefail

cd "$(dirname "$0")/.."
DOCKER="${DOCKER:-docker}"
export COMPOSE_PROJECT_NAME=metisai-smoke
export METIS_PORT="${METIS_PORT:-18000}"
export SERVER_IMAGE=metisai/server:smoke
export SECRET_KEY="$(openssl rand -hex 32)"
export POSTGRES_PASSWORD="$(openssl rand -hex 16)"
export DOCKER_GID="${DOCKER_GID:-$(stat -c %g /var/run/docker.sock 2>/dev/null || echo 0)}"
BASE="http://127.0.0.1:${METIS_PORT}"

if "$DOCKER" compose version >/dev/null 2>&1; then
  compose() { "$DOCKER" compose "$@"; }
elif command -v docker-compose >/dev/null; then
  compose() { docker-compose "$@"; }
  # docker-compose v1 builds through the engine API unless told to call `docker build`.
  export COMPOSE_DOCKER_CLI_BUILD="${COMPOSE_DOCKER_CLI_BUILD:-0}"
else
  echo "compose-smoke: neither 'docker compose' nor 'docker-compose' is available" >&2; exit 1
fi

if [ -z "${EXTRA_CA_CERTS+x}" ] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  EXTRA_CA_CERTS="$(cat /usr/local/share/ca-certificates/*.crt)"
  echo "compose-smoke: trusting the host's extra CA certificates during builds"
fi
export EXTRA_CA_CERTS="${EXTRA_CA_CERTS:-}"

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    log "FAILED; server logs:"
    compose logs --no-color --tail=80 server 2>/dev/null || true
  fi
  # Sandboxes are containers of the host's engine, outside the compose project: remove this installation's.
  if [ -n "${installation:-}" ]; then
    "$DOCKER" ps -aq --filter label=metisai.managed=true --format '{{.ID}} {{.Label "metisai.owner"}}' \
      | awk -v p="metisai:$installation:" 'index($2, p) == 1 { print $1 }' | xargs -r "$DOCKER" rm -f >/dev/null 2>&1 || true
  fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  "$DOCKER" image rm "$SERVER_IMAGE" >/dev/null 2>&1 || true
  # The classic builder keeps the build stages as untagged images.
  "$DOCKER" image prune -f --filter label=org.metisai.build-stage >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT

# A base image: the real one if present or pullable, else the stand-in built from debian:bookworm-slim.
base_image() { # <real image> <stand-in tag> <stand-in dir>
  if "$DOCKER" image inspect "$1" >/dev/null 2>&1 || timeout 120 "$DOCKER" pull -q "$1" >/dev/null 2>&1; then
    echo "$1"; return
  fi
  if "$DOCKER" image inspect "$2" >/dev/null 2>&1; then
    log "$1 is not available: using the existing stand-in $2" >&2
    echo "$2"; return
  fi
  log "$1 is not available: building the stand-in $2 from $3" >&2
  "$DOCKER" build -q --build-arg EXTRA_CA_CERTS -t "$2" "$3" >&2
  echo "$2"
}
export NODE_IMAGE="${NODE_IMAGE:-$(base_image node:24-bookworm-slim metisai/node24-standin deploy/standins/node24)}"
export POSTGRES_IMAGE="${POSTGRES_IMAGE:-$(base_image postgres:17 metisai/postgres-standin deploy/standins/postgres)}"
log "NODE_IMAGE=$NODE_IMAGE POSTGRES_IMAGE=$POSTGRES_IMAGE port=$METIS_PORT"

t0=$(now)
compose build server
t_built=$(now)
log "build: $(secs "$t0" "$t_built") s"
compose up -d
server_id="$(compose ps -q server)"
deadline=$(( $(date +%s) + 180 ))
while :; do
  read -r state restarts < <("$DOCKER" inspect -f '{{.State.Health.Status}} {{.RestartCount}}' "$server_id" 2>/dev/null || echo "gone 0")
  [ "$state" = healthy ] && break
  if [ "$state" = unhealthy ] || [ "$restarts" -gt 0 ] || [ "$(date +%s)" -gt "$deadline" ]; then
    log "server not healthy (state: $state, restarts: $restarts)"; exit 1
  fi
  sleep 0.5
done
t_healthy=$(now)
log "up -> server healthy: $(secs "$t_built" "$t_healthy") s"

# The one-shot sandbox-image service built (or found) the sandbox image and exited 0 before the server started.
sandbox_image_exit="$("$DOCKER" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$(compose ps -q sandbox-image)")"
[ "$sandbox_image_exit" = "exited 0" ] || { log "sandbox-image service: $sandbox_image_exit (expected: exited 0)"; exit 1; }
log "sandbox-image service: $sandbox_image_exit ($("$DOCKER" image inspect -f '{{.Id}}' metisai/sandbox:latest | cut -c8-19))"

json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=process.argv[1].split(".").reduce((o,k)=>o?.[k],JSON.parse(s));if(v===undefined){console.error("missing "+process.argv[1]+" in "+s);process.exit(1)}console.log(v)})' "$1"; }
# node may be missing on the host: fall back to the server image's.
command -v node >/dev/null || json() { "$DOCKER" run --rm -i --entrypoint node "$SERVER_IMAGE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=process.argv[1].split(".").reduce((o,k)=>o?.[k],JSON.parse(s));if(v===undefined){console.error("missing "+process.argv[1]+" in "+s);process.exit(1)}console.log(v)})' "$1"; }
post() { curl -fsS "$BASE$1" -H 'content-type: application/json' ${3:+-H "authorization: Bearer $3"} -d "$2"; }

email="smoke-$(date +%s)@example.com"
post /api/v1/auth/register "{\"email\":\"$email\",\"password\":\"a long smoke password\"}" | json user.id >/dev/null
log "register: ok ($email)"
token="$(post /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"a long smoke password\"}" | json access_token)"
log "login: ok"
agent="$(post /api/v1/agents '{"name":"smoke","config":{"llm_model":"gpt-4.1-mini"}}' "$token" | json id)"
log "create agent: ok ($agent)"
ready="$(curl -fsS "$BASE/readyz")"
echo "$ready" | json checks.database | grep -qx ok
log "readyz: $ready"

# The Docker runtime through the mounted socket: starting the agent warms a sandbox container.
installation="$(compose exec -T postgres psql -U metisai -d metisai -tAc 'select id from installation limit 1' | tr -d '[:space:]')"
sandboxes() {
  "$DOCKER" ps -q --filter label=metisai.managed=true --format '{{.ID}} {{.Label "metisai.owner"}}' \
    | awk -v p="metisai:$installation:" 'index($2, p) == 1 { print $1 }'
}
post "/api/v1/agents/$agent/start" '{}' "$token" >/dev/null
for _ in $(seq 1 120); do
  status="$(curl -fsS "$BASE/api/v1/agents/$agent" -H "authorization: Bearer $token" | json status)"
  [ "$status" = running ] && [ -n "$(sandboxes)" ] && break
  [ "$status" = error ] && { log "agent start failed"; curl -sS "$BASE/api/v1/agents/$agent" -H "authorization: Bearer $token"; exit 1; }
  sleep 0.5
done
sandbox="$(sandboxes | head -1)"
[ -n "$sandbox" ] || { log "no sandbox container appeared (agent status: $status)"; exit 1; }
log "agent start: $status, sandbox container $sandbox ($("$DOCKER" inspect -f '{{.Config.Image}}' "$sandbox")) on the host engine"
post "/api/v1/agents/$agent/stop" '{}' "$token" >/dev/null
for _ in $(seq 1 60); do [ -z "$(sandboxes)" ] && break; sleep 0.5; done
[ -z "$(sandboxes)" ] || { log "the sandbox was not removed when the agent stopped"; exit 1; }
log "agent stop: sandbox removed"

compose run --rm --no-deps server npm run migrate >/dev/null
log "npm run migrate (upgrade path): ok"

set +e
weak="$(compose run --rm --no-deps -e SECRET_KEY=your-secret-key-here server 2>&1)"
code=$?
set -e
if [ "$code" -eq 0 ] || ! grep -q 'SECRET_KEY: is too weak for production' <<<"$weak"; then
  log "a weak SECRET_KEY was not refused (exit $code): $weak"; exit 1
fi
log "weak SECRET_KEY refused (exit $code): $(grep -m1 'SECRET_KEY' <<<"$weak")"

log "PASS (build $(secs "$t0" "$t_built") s, healthy after $(secs "$t_built" "$t_healthy") s)"
