# SPDX-License-Identifier: ISC
# abilib.sh: what abicheck.sh and abidump.sh share: the versions of
# libp2pclient from its header and from the built library's libtool file,
# the abidw/abidiff calls with the options the baseline is made with, and
# the layout: every public struct member's offset, size and type, every
# enum value, typedef and function signature (read from the DWARF by pahole
# and pfunct, not by libabigail) and the header's constants.
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${top_builddir:-.}
hdr="$src/libclient/p2pclient.h"
dump="$src/libclient/abi/libp2pclient.abi"
verfile="$src/libclient/abi/version"
layout="$src/libclient/abi/layout"
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
	command -v pahole >/dev/null 2>&1 && command -v pfunct >/dev/null 2>&1 ||
	    { echo "SKIP: pahole/pfunct not found (apt-get install dwarves)"; exit 77; }
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
# --exported-interfaces-only: without it, abidw 2.2 writes a function that
# one file of the library calls and another defines (p2pclient_status,
# called by p2pclient_group.c) once, as the caller's declaration, without
# its ELF symbol; abidiff then compares neither its parameters nor the
# types only they reach (a uint32_t member of struct p2pclient_status
# turned uint16_t went unseen). abi_dw_complete checks that it stays so.
abi_dw() {	# abi_dw OUT: the dump of the built library
	h=$(abi_hdr)
	[ -n "$h" ] || { echo "no p2pclient.h in the debug information of $lib"; return 1; }
	(cd "$bld" && abidw --no-corpus-path --no-comp-dir-path --no-show-locs \
	    --exported-interfaces-only --drop-private-types --header-file "$h" \
	    "$lib") > "$1"
}
abi_dw_complete() {	# abi_dw_complete DUMP: every exported function typed in it
	for f in $(nm -D --defined-only "$lib" | sed -n 's/.* T \(p2pclient_[a-z0-9_]*\)@.*/\1/p' | sort -u); do
		grep -q "<function-decl name='$f' .*elf-symbol-id='$f@" "$1" ||
		    echo "$f: exported, but the ABI dump has no declaration of it with its symbol (abidiff would not compare its types)"
	done
}
# abi_breaks REPORT: what in an abidiff report breaks applications built
# before it (abidiff's own "incompatible" bit covers removed symbols only):
# moved or removed members, a member or parameter of another type, a
# changed return type. Appended members and added functions print nothing:
# a pointer whose pointed-to struct only grew ("type of 'struct x* p'
# changed:" then "in pointed to type") is judged by the nested lines.
abi_breaks() {
	awk '/type of \x27[^\x27]*\x27 changed/ { held = $0; next }
	held != "" { if ($0 !~ /^[ \t]*in pointed to type/) print held; held = "" }
	/offset changed|data member deletion|type name changed|return type changed|parameter [0-9]+ .*(added|removed)|Removed functions?:|Removed variables?:/
	END { if (held != "") print held }' "$1"
}

# abi_compare DIR: the built library against the baseline, both ways: its
# dump (DIR/dump) by abidiff against libclient/abi/libp2pclient.abi, its
# layout (DIR/layout) against libclient/abi/layout. Prints what differs;
# returns 0 (nothing), 1 (additions only: MINOR), 2 (an incompatible
# change: MAJOR; also when there is no baseline yet), 3 (a tool failed).
abi_compare() {
	abi_dw "$1/dump" || return 3
	abi_dw_complete "$1/dump" > "$1/incomplete"
	[ -s "$1/incomplete" ] && { cat "$1/incomplete"; return 3; }
	abi_layout "$1/layout" || return 3
	[ -f "$dump" ] && [ -f "$layout" ] || { echo "no baseline in libclient/abi/ yet"; return 2; }
	# Two dumps made the same way: abidiff filters an ELF file's private
	# types differently from a dump's.
	abidiff --no-show-locs "$dump" "$1/dump" > "$1/report" 2>&1
	r=$?
	[ $((r & 3)) -eq 0 ] || { cat "$1/report"; echo "abidiff failed (exit $r)"; return 3; }
	abi_layout_diff "$layout" "$1/layout" > "$1/layout.diff"
	[ $r -eq 0 ] || { echo "abidiff (exit $r):"; sed 's/^/  /' "$1/report"; }
	[ -s "$1/layout.diff" ] &&
	    { echo "layout (libclient/abi/layout):"; sed 's/^/  /' "$1/layout.diff"; }
	if [ $((r & 8)) -ne 0 ] || abi_breaks "$1/report" | grep -q . ||
	    grep -q '^BREAK' "$1/layout.diff"; then
		return 2
	fi
	[ $r -eq 0 ] && [ ! -s "$1/layout.diff" ] && return 0
	return 1
}

# abi_layout OUT: the layout, one "WHAT<TAB>NAME<TAB>DESCRIPTION" line each,
# sorted: "struct p2pclient_status<TAB>local_port<TAB>uint32_t, offset 72,
# size 4", "enum p2pclient_error<TAB>P2PCLIENT_OK<TAB>= 0", "function<TAB>
# p2pclient_status<TAB>int p2pclient_status(struct p2pclient *, ...)",
# "typedef<TAB>...", "constant<TAB>P2PCLIENT_RELIABLE<TAB>0x00". Every
# struct, enum, typedef and function the header defines must be in the
# library's debug information.
# norm(): one spelling of a type whatever pahole's spacing ("char * *",
# "const char  *"): "const char *", "char **".
abi_norm='function norm(s,  o, i, c, p) { gsub(/[ \t]+/, " ", s); sub(/;$/, "", s)
	while (gsub(/\* \*/, "**", s)) ; o = ""
	for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); p = substr(o, length(o), 1)
		if (c == "*" && o != "" && p != " " && p != "*" && p != "(") o = o " "; o = o c }
	sub(/^ /, "", o); sub(/ $/, "", o); return o }'
abi_layout() {
	types=$(sed -n 's/^\(struct\|enum\|union\) \(p2pclient_[a-z0-9_]*\) {.*/\2/p
	    s/^typedef .*(\*\(p2pclient_[a-z0-9_]*\))(.*/\1/p
	    s/^typedef .*[ *]\(p2pclient_[a-z0-9_]*\);.*/\1/p' "$hdr" | sort -u)
	funcs=$(grep -o '\bp2pclient_[a-z0-9_]*(' "$hdr" | tr -d '(' | sort -u)
	lt=$(mktemp)
	{
		# one type a call: given a list, pahole 1.24 misses some of it
		for t in $types; do pahole -C "$t" "$lib"; done | awk "$abi_norm"'
		/^typedef / { l = $0; sub(/;$/, "", l); n = l; sub(/^.*\(\*/, "", n); sub(/\).*$/, "", n)
			if (n == l) { n = l; sub(/^.*[ *]/, "", n) }
			printf "typedef\t%s\t%s\n", n, norm(l); next }
		/^(struct|union|enum) [a-z0-9_]+ \{/ { what = $1 " " $2; next }
		/^\};/ { what = ""; next }
		what == "" { next }
		/^[ \t]*\/\*.*\*\/[ \t]*$/ || /^[ \t]*$/ { next }
		what ~ /^enum / { l = $0; sub(/,[ \t]*$/, "", l); n = l; sub(/^[ \t]*/, "", n); sub(/[ \t=].*$/, "", n)
			v = l; sub(/^[^=]*= */, "", v); printf "%s\t%s\t= %s\n", what, n, v; next }
		match($0, /\/\*[ \t]*[0-9]+(:[ \t]*[0-9]+)?[ \t]+[0-9]+[ \t]*\*\/[ \t]*$/) {
			c = substr($0, RSTART + 2, RLENGTH - 2); sub(/\*\/.*$/, "", c)
			sub(/^[ \t]*/, "", c); gsub(/:[ \t]+/, ":", c); split(c, f, /[ \t]+/)
			d = substr($0, 1, RSTART - 1); sub(/;[ \t]*$/, "", d)
			if (d ~ /\(\*[A-Za-z_][A-Za-z0-9_]*\)/) {
				n = d; sub(/^[^(]*\(\*/, "", n); sub(/\).*$/, "", n); t = d; sub("\\(\\*" n "\\)", "(*)", t)
			} else {
				b = d; sub(/(\[[0-9]*\])*[ \t]*$/, "", b); a = substr(d, length(b) + 1)
				n = b; sub(/^.*[^A-Za-z0-9_]/, "", n); t = substr(b, 1, length(b) - length(n)) a
				if (t ~ /^[ \t]*}/) t = "(nested aggregate)"
			}
			printf "%s\t%s\t%s, offset %s, size %s\n", what, n, norm(t), f[1], f[2]; next }
		{ printf "%s\t?\tcannot read: %s\n", what, $0 }'
		pfunct -P --no_parm_names "$lib" | awk -v want=" $(echo $funcs) " "$abi_norm"'
		{ n = $0; sub(/\(.*$/, "", n); sub(/^.*[ *]/, "", n)
		  if (index(want, " " n " ")) printf "function\t%s\t%s\n", n, norm($0) }'
		${CC:-cc} -dM -E -x c "$hdr" | sed -n \
		    '/^#define P2PCLIENT_\(H\|VERSION_[A-Z]*\) /d
		    s/^#define \(P2PCLIENT_[A-Z0-9_]*\)\(([^)]*)\)\{0,1\} \(.*\)$/constant	\1	\2\3/p'
	} | LC_ALL=C sort -u > "$lt"
	miss=""
	for t in $types; do grep -q "^[a-z]* $t	\|^typedef	$t	" "$lt" || miss="$miss $t"; done
	for f in $funcs; do grep -q "^function	$f	" "$lt" || miss="$miss $f()"; done
	if [ -n "$miss" ] || grep -q '	?	' "$lt"; then
		echo "the layout of $lib is incomplete:$miss (not in its debug information) $(grep '	?	' "$lt")"
		rm -f "$lt"; return 1
	fi
	mv "$lt" "$1"
}

# abi_layout_diff OLD NEW: "BREAK what: name was ..., now ..." for every
# line of OLD that NEW lacks (a member moved or retyped, an enum value, a
# constant or a signature changed, anything removed), "ADD what: name (...)"
# for every name NEW adds (an appended member, a new function).
abi_layout_diff() {
	awk -F '\t' '
	NR == FNR { old[$0] = 1; k = $1 "\t" $2; okey[k] = 1; next }
	{ new[$0] = 1; k = $1 "\t" $2; if (k in nkey) nkey[k] = nkey[k] " | " $3; else nkey[k] = $3 }
	END {
		for (l in old) if (!(l in new)) { split(l, f, "\t"); k = f[1] "\t" f[2]
			if (k in nkey) printf "BREAK %s: %s was \"%s\", now \"%s\"\n", f[1], f[2], f[3], nkey[k]
			else printf "BREAK %s: %s removed (was \"%s\")\n", f[1], f[2], f[3] }
		for (l in new) if (!(l in old)) { split(l, f, "\t"); k = f[1] "\t" f[2]
			if (!(k in okey)) printf "ADD %s: %s (%s)\n", f[1], f[2], f[3] }
	}' "$1" "$2" | LC_ALL=C sort
}
