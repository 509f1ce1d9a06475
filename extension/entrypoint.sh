#!/bin/sh
# paddockd in the Docker Desktop extension container. Starts as root only to
#  - let the unprivileged `paddock` user create the API socket in the socket directory
#    (Docker Desktop's /run/guest-services) and write the state volume, and
#  - give it the engine socket's group (its gid differs between hosts, so it cannot be baked in),
# then drops to `paddock` with no capabilities. If the engine socket is not reachable through its
# group (mode without group rw), paddockd stays root and says so: it cannot work without the engine.
set -eu

engine_sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
engine_sock=${engine_sock#unix://}
sock_dir=$(dirname "${PADDOCK_SOCKET:?PADDOCK_SOCKET must name the API socket}")
state_dir=${PADDOCK_STATE_DIR:?PADDOCK_STATE_DIR must name the state directory}

if [ "$(id -u)" != 0 ]; then exec "$@"; fi

mkdir -p "$sock_dir" "$state_dir"
chown paddock:paddock "$sock_dir"
# A state volume written by an older root-run image: hand it over once.
if [ "$(stat -c %u "$state_dir")" != 1000 ] || [ -n "$(find "$state_dir" -mindepth 1 ! -user paddock -print -quit)" ]; then
  chown -R paddock:paddock "$state_dir"
fi

drop="setpriv --reuid=paddock --regid=paddock --inh-caps=-all --bounding-set=-all --no-new-privs"
if [ -S "$engine_sock" ]; then
  gid=$(stat -c %g "$engine_sock")
  if $drop --groups="$gid" test -r "$engine_sock" -a -w "$engine_sock"; then
    exec $drop --groups="$gid" "$@"
  fi
  echo "paddock: the engine socket $engine_sock (mode $(stat -c %a "$engine_sock"), gid $gid) is not usable by a non-root user; running paddockd as root" >&2
  exec "$@"
fi
echo "paddock: no engine socket at $engine_sock; paddockd starts unprivileged and reports the engine as unreachable" >&2
exec $drop --clear-groups "$@"
