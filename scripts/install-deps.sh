#!/bin/sh
# Installs (Debian/Ubuntu, apt-get) everything podfs needs to build and test.
# Quick no-op when every package is already there.
set -eu

PKGS="meson ninja-build pkg-config gcc libc6-dev
libfuse3-dev fuse3 libyaml-dev libcap-dev libseccomp-dev libarchive-dev libssl-dev
inotify-tools busybox-static python3 python3-kubernetes python3-yaml jq
iproute2 procps psmisc util-linux coreutils rsync
containernetworking-plugins iptables
clang libclang-rt-dev
skopeo docker-registry apache2-utils
apparmor"

missing=""
for p in $PKGS; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$st" = installed ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
        [ "${1:-}" = "-q" ] || echo "install-deps: all packages present"
        exit 0
fi

echo "install-deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
                SUDO="sudo"
        else
                echo "install-deps: need root to install:$missing" >&2
                exit 1
        fi
else
        SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q </dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing </dev/null
