#!/bin/sh
# SPDX-License-Identifier: ISC
# Install the Debian packages p2pd needs to build, test and run its demo,
# but only those that are missing. Run as root (or with sudo available).
set -eu
PKGS="gcc make autoconf automake libtool pkg-config
libevent-dev libsodium-dev libprotobuf-c-dev protobuf-c-compiler libjson-c-dev
libcriterion-dev clang libclang-rt-14-dev libenet-dev
iproute2 nftables coturn curl procps tcpdump ethtool
abigail-tools"
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
