#!/usr/bin/env bash
# Makes sure a Docker engine answers and holds the images the sandbox tests need.
# Idempotent: every step is skipped when its result already exists, so a second
# run takes well under a second.
#
#   1. engine:  install docker.io + debootstrap (apt) when `dockerd` is missing,
#               start `dockerd` in the background when no engine answers, wait for it.
#   2. base:    build a local `debian:bookworm-slim` stand-in (debootstrap minbase +
#               docker import) when the engine lacks it (no registry pulls needed).
#   3. sandbox: build the default sandbox image from packages/sandbox/Dockerfile.
#
# Environment (read by this script only; the sandbox library takes its settings as options):
#   SANDBOX_IMAGE   tag of the sandbox image to build (default metisai/sandbox:latest, the Docker
#                   driver's default image; the server's SANDBOX_IMAGE setting names the same thing)
#   BASE_IMAGE      base image tag, the Dockerfile's BASE_IMAGE (default debian:bookworm-slim; the
#                   sandbox tests run on it as their stock image)
#   DEBIAN_MIRROR   mirror for debootstrap (default http://deb.debian.org/debian)
#   DOCKERD_LOG     dockerd log file (default /var/log/metisai-dockerd.log)
#   DOCKER          docker CLI to use (default /usr/bin/docker when present, else docker on PATH)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sandbox_image="${SANDBOX_IMAGE:-metisai/sandbox:latest}"
base_image="${BASE_IMAGE:-debian:bookworm-slim}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
dockerd_log="${DOCKERD_LOG:-/var/log/metisai-dockerd.log}"

log() { printf '[ensure-docker] %s\n' "$*" >&2; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); fi
fi

# The docker CLI: $DOCKER when set, else Debian's /usr/bin/docker when present, else the one on PATH.
docker_cli() {
  if [ -n "${DOCKER:-}" ]; then "$DOCKER" "$@"; elif [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else docker "$@"; fi
}

# 1 when `docker build` can use BuildKit: clients before 23.0 (Debian 12's 20.10) have it built in, later ones only with
# the buildx plugin (Debian's docker.io >= 23 ships without it: DOCKER_BUILDKIT=1 then fails with "BuildKit is enabled
# but the buildx component is missing or broken"); 0 (the classic builder) otherwise. Both build our Dockerfiles.
buildkit_setting() {
  local major
  if docker_cli buildx version >/dev/null 2>&1; then echo 1; return; fi
  major="$(docker_cli version -f '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)"
  if [ -n "$major" ] && [ "$major" -lt 23 ] 2>/dev/null; then echo 1; else echo 0; fi
}

engine_answers() { docker_cli info >/dev/null 2>&1; }

# --- 1. engine ---------------------------------------------------------------
if engine_answers; then
  log "engine answers"
else
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    log "installing docker.io and debootstrap"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq docker.io debootstrap >/dev/null
  fi
  if ! engine_answers; then
    if pgrep -x dockerd >/dev/null 2>&1; then
      log "dockerd is already starting"
    else
      log "starting dockerd (log: $dockerd_log)"
      "${sudo_cmd[@]}" bash -c "nohup dockerd >>'$dockerd_log' 2>&1 </dev/null &"
    fi
    for _ in $(seq 1 120); do
      engine_answers && break
      sleep 0.5
    done
    if ! engine_answers; then
      log "dockerd did not answer within 60 s; last log lines:"
      tail -n 20 "$dockerd_log" >&2 || true
      exit 1
    fi
    log "engine answers"
  fi
fi

# --- 2. base image -----------------------------------------------------------
if docker_cli image inspect "$base_image" >/dev/null 2>&1; then
  log "$base_image present"
else
  command -v debootstrap >/dev/null 2>&1 || {
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq debootstrap >/dev/null
  }
  rootfs="$(mktemp -d /tmp/metisai-rootfs.XXXXXX)"
  trap '"${sudo_cmd[@]}" rm -rf "$rootfs"' EXIT
  log "building $base_image with debootstrap (about a minute)"
  "${sudo_cmd[@]}" debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  "${sudo_cmd[@]}" rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  "${sudo_cmd[@]}" tar -C "$rootfs" -c . | docker_cli import -c 'CMD ["bash"]' - "$base_image" >/dev/null
  "${sudo_cmd[@]}" rm -rf "$rootfs"
  trap - EXIT
  log "$base_image imported"
fi

# --- 3. default sandbox image ------------------------------------------------
if docker_cli image inspect "$sandbox_image" >/dev/null 2>&1; then
  log "$sandbox_image present"
else
  buildkit="$(buildkit_setting)"
  log "building $sandbox_image from packages/sandbox/Dockerfile (DOCKER_BUILDKIT=$buildkit)"
  DOCKER_BUILDKIT="$buildkit" docker_cli build -q \
    --build-arg "BASE_IMAGE=$base_image" \
    -t "$sandbox_image" \
    -f "$repo_root/packages/sandbox/Dockerfile" \
    "$repo_root/packages/sandbox" >/dev/null
  log "$sandbox_image built"
fi
