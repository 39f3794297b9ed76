#!/bin/sh
# SPDX-License-Identifier: ISC
# Install the Debian packages p2pd needs to build, test and run its demo,
# but only those that are missing. Run as root (or with sudo available).
set -eu
# One package per line, sorted: branches that add packages then rarely collide.
PKGS="
abigail-tools
autoconf
automake
clang
coturn
curl
dwarves
debhelper
dpkg-dev
ethtool
fakeroot
gcc
git
iproute2
libclang-rt-dev
libcriterion-dev
libenet-dev
libevent-dev
libhiredis-dev
libjson-c-dev
libminiupnpc-dev
libprotobuf-c-dev
libsodium-dev
libsystemd-dev
libtool
lintian
make
man-db
mandoc
miniupnpd-nftables
mono-mcs
mono-runtime
nftables
pkg-config
procps
protobuf-c-compiler
python3
redis-server
systemd
tcpdump
zsh
"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
