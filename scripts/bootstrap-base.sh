#!/usr/bin/env bash
# Build a Debian trixie minbase root filesystem with debootstrap and import it as a local image,
# for machines where no container registry answers (air-gapped hosts, CI). The Dockerfiles stay
# unchanged: this image is passed to them as BASE_IMAGE.
# Usage: bootstrap-base.sh <image-tag>
set -euo pipefail
TAG=${1:?usage: bootstrap-base.sh <image-tag>}
SUITE=${PADDOCK_BOOTSTRAP_SUITE:-trixie}
MIRROR=${PADDOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if docker image inspect "$TAG" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "paddock: building the base image locally needs root (debootstrap). Re-run as root, or set PADDOCK_BASE_IMAGE to an image you have." >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
work=$(mktemp -d /var/tmp/paddock-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "paddock: debootstrap $SUITE (minbase) from $MIRROR — takes about two minutes" >&2
debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$MIRROR" >"$work/log" 2>&1 || {
  tail -20 "$work/log" >&2; echo "paddock: debootstrap failed; check that $MIRROR is reachable" >&2; exit 1; }
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
tar -C "$work/rootfs" -c . | docker import \
  --change 'ENV DEBIAN_FRONTEND=noninteractive' --change 'CMD ["/bin/bash"]' \
  --message "paddock local bootstrap of debian $SUITE minbase" - "$TAG" >/dev/null
echo "paddock: imported $TAG" >&2
