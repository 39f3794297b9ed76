# SPDX-License-Identifier: ISC
# abilib.sh: what abicheck.sh and abidump.sh share: the versions of
# libp2pclient from its header and from the built library's libtool file,
# and the abidw/abidiff calls with the options the baseline is made with.
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${top_builddir:-.}
hdr="$src/libclient/p2pclient.h"
dump="$src/libclient/abi/libp2pclient.abi"
verfile="$src/libclient/abi/version"
la="$bld/libp2pclient.la"

hdr_num() {	# hdr_num MAJOR|MINOR|PATCH
	sed -n "s/^#define P2PCLIENT_VERSION_$1[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$hdr"
}
la_num() {	# la_num current|revision|age
	sed -n "s/^$1=\([0-9][0-9]*\)$/\1/p" "$la"
}
abi_versions() {	# sets maj min pat cur rev age, lib, and have ("1.0.0 1:0:0")
	maj=$(hdr_num MAJOR); min=$(hdr_num MINOR); pat=$(hdr_num PATCH)
	[ -f "$la" ] || { echo "$la: not built"; return 1; }
	cur=$(la_num current); rev=$(la_num revision); age=$(la_num age)
	lib="$(cd "$bld" && pwd)/.libs/$(sed -n "s/^dlname='\(.*\)'$/\1/p" "$la")"
	have="$maj.$min.$pat $cur:$rev:$age"
	[ -n "$maj" ] && [ -n "$min" ] && [ -n "$pat" ] && [ -n "$cur" ] && [ -f "$lib" ] ||
	    { echo "cannot read the versions from $hdr and $la"; return 1; }
}
abi_tools() {	# exit 77 where the check cannot run
	command -v abidiff >/dev/null 2>&1 && command -v abidw >/dev/null 2>&1 ||
	    { echo "SKIP: abidiff/abidw not found (apt-get install abigail-tools)"; exit 77; }
	[ "$(uname -m)" = x86_64 ] ||
	    { echo "SKIP: the baseline ABI dump is of x86_64, this is $(uname -m)"; exit 77; }
	readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info' ||
	    { echo "SKIP: $lib has no debug information (built without -g)"; exit 77; }
}
# libabigail tells public types from private ones by the header's path as
# the debug information spells it (relative to the build directory), so the
# tools run there and are given that spelling.
abi_hdr() {
	(cd "$bld" && abidw --no-corpus-path "$lib") |
	    grep -o "filepath='\([^']*/\)\{0,1\}p2pclient\.h'" | head -n 1 |
	    sed "s/^filepath='\(.*\)'$/\1/"
}
abi_dw() {	# abi_dw OUT: the dump of the built library
	h=$(abi_hdr)
	[ -n "$h" ] || { echo "no p2pclient.h in the debug information of $lib"; return 1; }
	(cd "$bld" && abidw --no-corpus-path --no-comp-dir-path --no-show-locs \
	    --drop-private-types --header-file "$h" "$lib") > "$1"
}
abi_diff() {	# abi_diff OLD-DUMP: abidiff's exit code (bits: 4 change, 8 incompatible)
	# Two dumps made the same way: abidiff filters an ELF file's private
	# types differently from a dump's.
	t=$(mktemp)
	abi_dw "$t" || { rm -f "$t"; return 1; }
	abidiff --no-show-locs "$1" "$t"
	r=$?
	rm -f "$t"
	return $r
}
