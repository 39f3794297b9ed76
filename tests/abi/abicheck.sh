#!/bin/sh
# SPDX-License-Identifier: ISC
# abicheck.sh (make check): libp2pclient's ABI is the committed baseline
# (libclient/abi/libp2pclient.abi compared by abidiff, libclient/abi/layout
# compared line by line; of the version in libclient/abi/version),
# the header's P2PCLIENT_VERSION_* and libtool's -version-info agree with it,
# and, in a git checkout, no commit changed the dump without the version.
# A change of the ABI fails here until `make abi-dump` records it with a new
# version (docs/ABI.md).
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/abi/abilib.sh"

fail=0
bad() { echo "FAIL: $*"; fail=1; }

abi_versions || exit 1
abi_tools
echo "libp2pclient $maj.$min.$pat, -version-info $cur:$rev:$age, $(basename "$lib")"
[ $((cur - age)) -eq "$maj" ] ||
    bad "-version-info $cur:$rev:$age gives soname major $((cur - age)), the header says $maj"
rec=$(cat "$verfile" 2>/dev/null)
[ "$rec" = "$have" ] ||
    bad "the ABI dump is of '$rec', the header and configure say '$have': run make abi-dump"

# Every function of the header is exported, each under a version node.
exp=$(nm -D --defined-only "$lib" | sed -n 's/.* T \(p2pclient_[a-z0-9_]*\)@@*P2PCLIENT_[0-9.]*$/\1/p' | sort -u)
for f in $(grep -o '\bp2pclient_[a-z0-9_]*(' "$hdr" | tr -d '(' | sort -u); do
	echo "$exp" | grep -qx "$f" ||
	    bad "$f is declared in p2pclient.h but not exported: add it to libclient/libp2pclient.map (docs/ABI.md)"
done
for f in $exp; do
	grep -q "\b$f(" "$hdr" || bad "$f is exported but not declared in p2pclient.h"
done
echo "exported: $(echo "$exp" | wc -l) functions, each in the header"

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
abi_compare "$d"
case $? in
0) echo "abidiff and the layout: the built library matches the baseline ($(wc -l < "$d/layout") layout lines)" ;;
1) bad "the ABI of libp2pclient changed, an addition (MINOR): follow docs/ABI.md, bump the version, run make abi-dump and commit the dump with it" ;;
2) bad "the ABI of libp2pclient changed, an incompatible change (BREAK above): applications built before it break (MAJOR, a new soname); follow docs/ABI.md" ;;
*) bad "the ABI could not be compared" ;;
esac

# The same commit changes the dump and the version (a git checkout only).
if [ "$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$src" && pwd -P)" ]; then
	# (or tests/abi/abilib.sh, which says how the baseline is made)
	for c in $(git -C "$src" log --no-merges --format=%H -- libclient/abi/libp2pclient.abi libclient/abi/layout); do
		git -C "$src" diff-tree --no-commit-id --name-only -r "$c" -- libclient/abi/version tests/abi/abilib.sh |
		    grep -q . || bad "commit $(git -C "$src" log -1 --format='%h %s' "$c" | cut -c1-70) changed the ABI baseline but not libclient/abi/version"
	done
	if ! git -C "$src" diff --quiet HEAD -- libclient/abi/libp2pclient.abi libclient/abi/layout 2>/dev/null &&
	    git -C "$src" diff --quiet HEAD -- libclient/abi/version tests/abi/abilib.sh 2>/dev/null; then
		bad "the ABI baseline differs from the last commit but libclient/abi/version does not"
	fi
	echo "git: every commit that changed the baseline changed the version"
fi
exit $fail
