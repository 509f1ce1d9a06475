#!/usr/bin/env bash
# Engine preflight: make sure a Docker engine answers, installing and starting Debian's
# docker.io (+ runsc for the gvisor tier) when none is reachable and we are root on
# Debian/Ubuntu. Idempotent; fast (< 3 s) when the engine already answers.
# Never edits an engine configuration that Paddock did not write itself.
set -euo pipefail

MARKER_KEY="io.paddock.managed"          # key we leave in daemon.json files we wrote
DAEMON_JSON=/etc/docker/daemon.json
WAIT_SECONDS=60                           # dockerd usually answers in 1-3 s; slow disks take longer
LOG=/var/log/paddock-dockerd.log

say() { printf 'paddock preflight: %s\n' "$*" >&2; }

engine_answers() {
  if [ -n "${DOCKER_HOST:-}" ]; then
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1
  else
    [ -S /var/run/docker.sock ] && docker version --format '{{.Server.Version}}' >/dev/null 2>&1
  fi
}

runsc_registered() {
  docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'
}

# The runsc flags Paddock wants: ptrace works everywhere (no KVM needed); host networking keeps the
# engine's per-sandbox networks. Not --oci-seccomp: with it, Debian's runsc (2022) logs every
# interactive shell out at once (even with a profile that allows every syscall by name: its
# deny default misbehaves; docs/security.md), so agents cannot run under gVisor at all.
# Without it gVisor does not enforce Paddock's seccomp profile; `paddock doctor` says so.
runsc_args() {
  printf '%s' '"--platform=ptrace", "--network=host"'
}

desired_daemon_json() {
  cat <<JSON
{
  "runtimes": {
    "runsc": {
      "path": "$1",
      "runtimeArgs": [$(runsc_args "$1")]
    }
  },
  "labels": ["$MARKER_KEY=true"]
}
JSON
}

# Tell a running dockerd to re-read daemon.json (runtimes reload without stopping containers).
# Only the engine whose pid file we can read: never signal processes by name.
reload_engine() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = dockerd ]; then
    kill -HUP "$pid"
    for _ in $(seq 1 20); do sleep 0.25; engine_answers && break; done
  else
    say "could not find dockerd's pid (/var/run/docker.pid): restart the engine to apply $DAEMON_JSON"
  fi
}

# Is $DAEMON_JSON ours and out of date (flags Paddock gives runsc changed)?
owned_json_stale() {
  command -v runsc >/dev/null 2>&1 && [ -w /etc ] && [ -e "$DAEMON_JSON" ] && grep -q "$MARKER_KEY" "$DAEMON_JSON" &&
    [ "$(cat "$DAEMON_JSON")" != "$(desired_daemon_json "$(command -v runsc)")" ]
}

if command -v docker >/dev/null 2>&1 && engine_answers; then
  if owned_json_stale; then
    desired_daemon_json "$(command -v runsc)" > "$DAEMON_JSON"
    say "updated $DAEMON_JSON (runsc flags: $(runsc_args "$(command -v runsc)")); reloading the engine"
    reload_engine
  fi
  if runsc_registered || [ "${PADDOCK_SKIP_RUNSC:-}" = 1 ] || [ ! -w /etc ]; then
    exit 0
  fi
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  say "DOCKER_HOST=$DOCKER_HOST does not answer. Start that engine or unset DOCKER_HOST to use the local one."
  exit 1
fi

is_debian_like() { [ -r /etc/os-release ] && grep -Eqi '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release; }
if [ "$(id -u)" != 0 ] || ! is_debian_like; then
  say "no Docker engine answers on /var/run/docker.sock."
  say "Install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop, start it, then retry."
  say "On Debian/Ubuntu as root this script installs and starts Debian's docker.io by itself."
  exit 1
fi

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v runsc >/dev/null 2>&1 || need_pkgs+=(runsc)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
command -v ip >/dev/null 2>&1 || need_pkgs+=(iproute2)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing ${need_pkgs[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# Register runsc only in a daemon.json that is absent or that we wrote ourselves.
if command -v runsc >/dev/null 2>&1; then
  runsc_path=$(command -v runsc)
  if [ ! -e "$DAEMON_JSON" ] || grep -q "$MARKER_KEY" "$DAEMON_JSON"; then
    mkdir -p /etc/docker
    desired=$(desired_daemon_json "$runsc_path")
    if [ "$(cat "$DAEMON_JSON" 2>/dev/null)" != "$desired" ]; then
      printf '%s\n' "$desired" > "$DAEMON_JSON"
      say "wrote $DAEMON_JSON (runsc runtime for the gvisor tier)"
      if engine_answers; then reload_engine; fi
    fi
  else
    say "$DAEMON_JSON exists and was not written by Paddock; leaving it alone (gvisor tier needs runsc registered there)."
  fi
fi

if ! engine_answers; then
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl start docker || true
  fi
fi
if ! engine_answers; then
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    command -v containerd >/dev/null 2>&1 && ! pgrep -x containerd >/dev/null 2>&1 && \
      (setsid containerd >>/var/log/paddock-containerd.log 2>&1 < /dev/null &)
    say "starting dockerd (log: $LOG)"
    (setsid dockerd >>"$LOG" 2>&1 < /dev/null &)
  fi
  for _ in $(seq 1 $((WAIT_SECONDS * 4))); do
    engine_answers && break
    sleep 0.25
  done
fi
if ! engine_answers; then
  say "dockerd did not answer within ${WAIT_SECONDS}s; see $LOG"
  exit 1
fi
say "engine ready: $(docker version --format 'Docker {{.Server.Version}}')"
